"""The code an exported script is made of (:mod:`engine.script_export` fills in settings and data).

Plain source text: the helpers every flavour shares (split, standardizer, losses, coefficients in
original units) and, per flavour, its imports and a ``train()`` that returns the printed report.
The NumPy flavour mirrors :mod:`engine.network`, :mod:`engine.optimizers` and
:mod:`engine.training` operation by operation; keep them in step (tests/engine/test_script_export.py
compares the numbers).
"""

from __future__ import annotations

__all__ = ["COMMON_HELPERS", "FLAVOUR_BODIES", "FLAVOUR_IMPORTS"]

FLAVOUR_IMPORTS = {
    "numpy": "",
    "sklearn": "import sklearn\nfrom sklearn.linear_model import LogisticRegression\n"
    "from sklearn.neural_network import MLPClassifier\n",
    "pytorch": "import torch\nfrom torch import nn\n",
    "keras": "import keras\n",
}

COMMON_HELPERS = '''
# ---- split, standardization, losses: as the lab does them
def stratified_split(y, fraction, rng):
    """(train, test) indices, each sorted: each class holds out round(fraction · count) points, keeping one."""
    if fraction <= 0:
        return np.arange(len(y)), np.arange(0)
    test = []
    for cls in np.unique(y):
        members = np.flatnonzero(y == cls)
        rng.shuffle(members)
        k = min(int(round(fraction * len(members))), len(members) - 1)
        test.extend(members[:k].tolist())
    test = np.array(sorted(test), dtype=np.int64)
    return np.setdiff1d(np.arange(len(y)), test), test


def fit_standardizer(phi):
    """(mean, scale) of each training feature column; a constant column keeps scale 1."""
    if not STANDARDIZE:
        return np.zeros(phi.shape[1]), np.ones(phi.shape[1])
    mean = phi.mean(axis=0)
    scale = phi.std(axis=0)
    scale[~(scale > 1e-12 * np.maximum(1.0, np.abs(mean)))] = 1.0
    return mean, scale


def prepare(rng):
    """Split, map and standardize: (Z_train, y_train, Z_test, y_test, mean, scale), Z in DTYPE."""
    train_idx, test_idx = stratified_split(Y, TEST_FRACTION, rng)
    phi_train = feature_map(X[train_idx])
    mean, scale = fit_standardizer(phi_train)
    Z_train = ((phi_train - mean) / scale).astype(DTYPE)
    Z_test = ((feature_map(X[test_idx]) - mean) / scale).astype(DTYPE)
    return Z_train, Y[train_idx], Z_test, Y[test_idx], mean, scale


def batch_size(n):
    """Rows per minibatch: BATCH_SIZE, or all n for the full batch (0) or a batch larger than the data."""
    return n if BATCH_SIZE == 0 or BATCH_SIZE > n else BATCH_SIZE


def cross_entropy(logits, y):
    """Mean cross-entropy of class codes y under logits (n, 1) (binary: logit of the last class) or (n, K).

    Computed from the logits (softplus, log-sum-exp), so it never overflows.
    """
    z = np.asarray(logits, dtype=np.float64)
    if z.shape[1] == 1:
        return float(np.mean(np.logaddexp(0.0, np.where(y == 1, -z[:, 0], z[:, 0]))))
    top = z.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(z - top).sum(axis=1)) + top[:, 0]
    return float(np.mean(log_norm - z[np.arange(len(y)), y]))


def accuracy(logits, y):
    """Share of points whose largest logit is their class (binary: class 1 when the logit is positive)."""
    z = np.asarray(logits)
    predicted = (z[:, 0] > 0).astype(np.int64) if z.shape[1] == 1 else np.argmax(z, axis=1)
    return float(np.mean(predicted == y))


def original_units(W, b, mean, scale):
    """Weights W (n_features, n_logits) and biases b (n_logits,) on standardized features as
    coefficients (n_logits, n_features) and intercepts (n_logits,) on the original features."""
    coef = np.asarray(W, dtype=np.float64).T / scale
    intercept = np.asarray(b, dtype=np.float64) - coef @ mean
    return coef.tolist(), intercept.tolist()


def report(logits, y, coef=None, intercept=None):
    return {
        "coef": coef,
        "intercept": intercept,
        "train_loss": cross_entropy(logits, y),
        "train_accuracy": accuracy(logits, y),
    }
'''

_NUMPY = '''
# ---- the model and its training in plain NumPy, step by step as the lab's engine does it
def sigmoid(z):
    """1 / (1 + e^−z) written as ½·tanh(z/2) + ½: never overflows."""
    return 0.5 * np.tanh(0.5 * z) + 0.5


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# hidden activations: f(z), and f'(z) from z or from a = f(z)
ACTIVATIONS = {
    "relu": (lambda z: np.maximum(z, 0.0), lambda z, a: z > 0),
    "tanh": (np.tanh, lambda z, a: 1.0 - a * a),
    "sigmoid": (sigmoid, lambda z, a: (1.0 - a) * a),
    "linear": (lambda z: z, lambda z, a: 1.0),
}


def init_params(sizes, rng):
    """[W1, b1, W2, b2, ...]: Glorot-uniform weights and zero biases (Keras' Dense defaults),
    drawn layer by layer from rng."""
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        params.append(rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(DTYPE))
        params.append(np.zeros(fan_out, dtype=DTYPE))
    return params


def forward(params, Z):
    """Logits (n, n_outputs) of standardized features Z, with every layer's pre- and post-activations."""
    f = ACTIVATIONS[ACTIVATION][0]
    pre, post = [], [Z]
    for W, b in zip(params[0:-2:2], params[1:-2:2]):
        pre.append(post[-1] @ W + b)
        post.append(f(pre[-1]))
    return post[-1] @ params[-2] + params[-1], pre, post


def gradients(params, Z, y):
    """Gradient of the batch's mean cross-entropy plus L1·Σ|w| + L2·Σw² (weights only), per parameter."""
    logits, pre, post = forward(params, Z)
    if logits.shape[1] == 1:  # one logit: sigmoid output, the last class is positive
        delta = sigmoid(logits) - (y == 1)[:, None]
    else:
        delta = softmax(logits)
        delta[np.arange(len(y)), y] -= 1.0
    delta = delta / len(y)
    f_prime = ACTIVATIONS[ACTIVATION][1]
    grads = [None] * len(params)
    for layer in range(len(params) // 2 - 1, -1, -1):
        W = params[2 * layer]
        grads[2 * layer] = post[layer].T @ delta
        if L2:
            grads[2 * layer] += 2.0 * L2 * W
        if L1:
            grads[2 * layer] += L1 * np.sign(W)
        grads[2 * layer + 1] = delta.sum(axis=0)
        if layer:
            delta = (delta @ W.T) * f_prime(pre[layer - 1], post[layer])
    return grads


class Adam:
    """Keras' Adam: m = β1·m + (1−β1)·g, v = β2·v + (1−β2)·g², p −= α·m / (√v + ε),
    α = lr·√(1−β2ᵗ) / (1−β1ᵗ)."""

    def __init__(self, params):
        self.t = 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    def step(self, params, grads):
        self.t += 1
        alpha = float(LR * np.sqrt(1.0 - BETA2**self.t) / (1.0 - BETA1**self.t))
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m *= BETA1
            m += (1.0 - BETA1) * g
            v *= BETA2
            v += (1.0 - BETA2) * (g * g)
            p -= m / (np.sqrt(v) + EPSILON) * alpha


class Momentum:
    """Keras' SGD with momentum: v = μ·v − lr·g; p += v (Nesterov: p += μ·v − lr·g)."""

    def __init__(self, params):
        self.velocity = [np.zeros_like(p) for p in params]

    def step(self, params, grads):
        for p, g, v in zip(params, grads, self.velocity):
            v *= MOMENTUM
            v -= g * LR
            p += MOMENTUM * v - g * LR if NESTEROV else v


class SGD:
    """Plain gradient descent: p −= lr·g."""

    def __init__(self, params):
        pass

    def step(self, params, grads):
        for p, g in zip(params, grads):
            p -= g * LR


def train():
    """Train as the lab does and return the report. One generator, in this order: the split, the
    initial weights (layer by layer), then one permutation of the training rows per epoch.
    (The lab also stops a diverging run and keeps the last finite weights; this script does not.)"""
    rng = np.random.default_rng(SEED)
    Z_train, y_train, Z_test, y_test, mean, scale = prepare(rng)
    n_outputs = 1 if len(CLASSES) == 2 else len(CLASSES)
    params = init_params([Z_train.shape[1], *HIDDEN, n_outputs], rng)
    optimizer = {"adam": Adam, "momentum": Momentum, "sgd": SGD}[OPTIMIZER](params)
    n = len(y_train)
    batch = batch_size(n)
    best, best_params, wait = np.inf, None, 0
    for _epoch in range(EPOCHS):
        order = rng.permutation(n)  # shuffle the rows, then take the minibatches in order
        Zs, ys = Z_train[order], y_train[order]
        for start in range(0, n, batch):
            optimizer.step(params, gradients(params, Zs[start : start + batch], ys[start : start + batch]))
        if EARLY_STOPPING:  # Keras' EarlyStopping(patience, restore_best_weights=True), loss without penalty
            Zm, ym = (Z_test, y_test) if len(y_test) else (Z_train, y_train)
            monitored = cross_entropy(forward(params, Zm)[0], ym)
            if monitored < best:
                best, best_params, wait = monitored, [p.copy() for p in params], 0
            else:
                wait += 1
                if wait >= EARLY_STOPPING:
                    params = best_params
                    break
    coef = intercept = None
    if not HIDDEN:
        coef, intercept = original_units(params[0], params[1], mean, scale)
    return report(forward(params, Z_train)[0], y_train, coef, intercept)
'''

_SKLEARN = '''
# ---- the model: scikit-learn
def penalty_options(n):
    """LogisticRegression's C (and l1_ratio) that make its objective the lab's.

    scikit-learn minimises  C·Σᵢ CEᵢ + r·Σ|w| + (1 − r)/2·Σw²  (r = l1_ratio; intercepts are not
    penalized). Divided by C·n that is  mean CE + r/(C·n)·Σ|w| + (1 − r)/(2·C·n)·Σw², the lab's
    mean CE + L1·Σ|w| + L2·Σw²  when  C = 1/(n·(L1 + 2·L2))  and  r = L1/(L1 + 2·L2);  with L2
    alone, C = 1/(2·L2·n). No penalty: C = inf (scikit-learn 1.8 on), penalty=None before.
    """
    new = tuple(int(part) for part in sklearn.__version__.split(".")[:2]) >= (1, 8)
    if L1 == 0 and L2 == 0:
        return {"C": np.inf} if new else {"penalty": None}
    strength = L1 + 2.0 * L2
    options = {"C": 1.0 / (n * strength)}
    if L1:  # lbfgs knows only L2; saga does L1 and elastic net (more slowly)
        options.update(solver="saga", l1_ratio=L1 / strength)
        if not new:
            options["penalty"] = "elasticnet"
    return options


def train():
    """Fit on the lab's training split and features. A linear model goes to LogisticRegression,
    which finds the exact optimum of the same objective (not the point the lab's optimizer reached
    after EPOCHS epochs, which is close to it when training converged); an MLP goes to MLPClassifier."""
    rng = np.random.default_rng(SEED)
    Z_train, y_train, Z_test, y_test, mean, scale = prepare(rng)
    Z_train = Z_train.astype(np.float64)
    if HIDDEN:
        return train_mlp(Z_train, y_train)
    model = LogisticRegression(tol=1e-10, max_iter=100_000, **penalty_options(len(y_train)))
    model.fit(Z_train, y_train)  # every class must occur in the training split
    W, b = model.coef_.T.copy(), model.intercept_.copy()
    if W.shape[1] > 1:
        # Softmax is the same model after adding one vector to every class's weights (and one
        # number to every intercept): report the centred member, whose columns sum to zero.
        W -= W.mean(axis=1, keepdims=True)
        b -= b.mean()
    coef, intercept = original_units(W, b, mean, scale)
    return report(Z_train @ W + b, y_train, coef, intercept)


def train_mlp(Z_train, y_train):
    """MLPClassifier with the lab's layers, optimizer, learning rate, batch and epochs. Where it
    differs and cannot be told otherwise: its own initial weights (random biases too) and shuffles
    from random_state; its penalty alpha/(2·batch)·Σw² is per batch, so alpha = 2·L2·batch (the
    last, smaller batch of an epoch gets a little more); no L1; EARLY_STOPPING is not applied;
    'momentum' is its SGD with momentum (the same update as Keras'); Adam is Keras' formula."""
    import warnings

    n = len(y_train)
    batch = batch_size(n)
    model = MLPClassifier(
        hidden_layer_sizes=tuple(HIDDEN),
        activation={"relu": "relu", "tanh": "tanh", "sigmoid": "logistic", "linear": "identity"}[ACTIVATION],
        solver="adam" if OPTIMIZER == "adam" else "sgd",
        alpha=2.0 * L2 * batch,
        batch_size=batch,
        learning_rate_init=LR,
        max_iter=EPOCHS,
        shuffle=True,
        random_state=SEED,
        tol=0.0,
        n_iter_no_change=EPOCHS + 1,  # train all EPOCHS epochs, as the lab does
        beta_1=BETA1,
        beta_2=BETA2,
        epsilon=EPSILON,
        momentum=MOMENTUM if OPTIMIZER == "momentum" else 0.0,
        nesterovs_momentum=NESTEROV,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "maximum iterations reached": we asked for exactly EPOCHS
        model.fit(Z_train, y_train)
    proba = np.clip(model.predict_proba(Z_train), 1e-300, 1.0)
    return {
        "coef": None,
        "intercept": None,
        "train_loss": float(-np.mean(np.log(proba[np.arange(n), np.searchsorted(model.classes_, y_train)]))),
        "train_accuracy": float(np.mean(model.predict(Z_train) == y_train)),
    }
'''

_PYTORCH = '''
# ---- the model: PyTorch
def train():
    """The lab's network in PyTorch, on the lab's training split and features. Differences:
    PyTorch's generator (seeded with SEED) draws other initial weights and shuffles than the lab's,
    so the numbers differ a little; Adam adds ε to √v̂ (bias-corrected) where Keras and the lab add
    it to √v; EARLY_STOPPING is not applied here."""
    rng = np.random.default_rng(SEED)
    Z_train, y_train, Z_test, y_test, mean, scale = prepare(rng)
    torch.manual_seed(SEED)
    dtype = torch.float64 if DTYPE == np.float64 else torch.float32
    n_outputs = 1 if len(CLASSES) == 2 else len(CLASSES)
    sizes = [Z_train.shape[1], *HIDDEN, n_outputs]
    activation = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "linear": nn.Identity}[ACTIVATION]
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        linear = nn.Linear(fan_in, fan_out, dtype=dtype)
        nn.init.xavier_uniform_(linear.weight)  # Glorot-uniform weights, zero biases: as Keras and the lab
        nn.init.zeros_(linear.bias)
        layers.append(linear)
        if i < len(sizes) - 2:
            layers.append(activation())
    model = nn.Sequential(*layers)
    weights = [m.weight for m in model if isinstance(m, nn.Linear)]
    if OPTIMIZER == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=LR, betas=(BETA1, BETA2), eps=EPSILON)
    elif OPTIMIZER == "momentum":
        # PyTorch's v = μ·v + g, p −= lr·v is Keras' v = μ·v − lr·g, p += v at a constant learning rate
        optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM, nesterov=NESTEROV)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    binary = n_outputs == 1
    inputs = torch.as_tensor(Z_train, dtype=dtype)
    labels = torch.as_tensor(y_train, dtype=torch.int64)
    targets = labels.to(dtype)[:, None] if binary else labels
    loss_fn = nn.BCEWithLogitsLoss() if binary else nn.CrossEntropyLoss()  # mean over the batch, from logits
    n = len(y_train)
    batch = batch_size(n)
    generator = torch.Generator().manual_seed(SEED)
    for _epoch in range(EPOCHS):
        order = torch.randperm(n, generator=generator)
        for start in range(0, n, batch):
            rows = order[start : start + batch]
            optimizer.zero_grad()
            loss = loss_fn(model(inputs[rows]), targets[rows])
            if L1 or L2:  # on weights only, never biases
                loss = loss + sum(L1 * w.abs().sum() + L2 * (w * w).sum() for w in weights)
            loss.backward()
            optimizer.step()
    with torch.no_grad():
        logits = model(inputs).numpy()
    coef = intercept = None
    if not HIDDEN:
        first = model[0]
        coef, intercept = original_units(first.weight.detach().numpy().T, first.bias.detach().numpy(), mean, scale)
    return report(logits, y_train, coef, intercept)
'''

_KERAS = '''
# ---- the model: Keras 3 (any backend)
def train():
    """The lab's network in Keras, on the lab's training split and features: the lab follows Keras'
    conventions (Glorot-uniform kernels and zero biases, Adam's formula, L1L2 on kernels only), but
    Keras' generators (seeded with SEED) draw other initial weights and shuffles, so the numbers
    differ a little. Its EarlyStopping monitors the loss with the penalty; the lab's without."""
    rng = np.random.default_rng(SEED)
    Z_train, y_train, Z_test, y_test, mean, scale = prepare(rng)
    keras.config.set_floatx("float64" if DTYPE == np.float64 else "float32")
    keras.utils.set_random_seed(SEED)
    n_outputs = 1 if len(CLASSES) == 2 else len(CLASSES)
    binary = n_outputs == 1

    def penalty():
        return keras.regularizers.L1L2(l1=L1, l2=L2) if (L1 or L2) else None

    layers = [keras.Input(shape=(Z_train.shape[1],))]
    layers += [keras.layers.Dense(h, activation=ACTIVATION, kernel_regularizer=penalty()) for h in HIDDEN]
    layers.append(keras.layers.Dense(n_outputs, kernel_regularizer=penalty()))  # logits
    model = keras.Sequential(layers)
    if OPTIMIZER == "adam":
        optimizer = keras.optimizers.Adam(learning_rate=LR, beta_1=BETA1, beta_2=BETA2, epsilon=EPSILON)
    else:
        momentum = MOMENTUM if OPTIMIZER == "momentum" else 0.0
        optimizer = keras.optimizers.SGD(learning_rate=LR, momentum=momentum, nesterov=NESTEROV and momentum > 0)
    if binary:
        loss = keras.losses.BinaryCrossentropy(from_logits=True)
    else:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=optimizer, loss=loss)

    def targets(y):
        return y.astype(DTYPE)[:, None] if binary else y

    callbacks, validation = [], None
    if EARLY_STOPPING:
        monitor = "val_loss" if len(y_test) else "loss"
        callbacks.append(
            keras.callbacks.EarlyStopping(monitor=monitor, patience=EARLY_STOPPING, restore_best_weights=True)
        )
        validation = (Z_test, targets(y_test)) if len(y_test) else None
    model.fit(
        Z_train,
        targets(y_train),
        batch_size=batch_size(len(y_train)),
        epochs=EPOCHS,
        shuffle=True,
        verbose=0,
        callbacks=callbacks,
        validation_data=validation,
    )
    logits = np.asarray(model.predict(Z_train, verbose=0))
    coef = intercept = None
    if not HIDDEN:
        kernel, bias = model.layers[0].get_weights()
        coef, intercept = original_units(kernel, bias, mean, scale)
    return report(logits, y_train, coef, intercept)
'''

FLAVOUR_BODIES = {"numpy": _NUMPY, "sklearn": _SKLEARN, "pytorch": _PYTORCH, "keras": _KERAS}
