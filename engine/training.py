"""The minibatch trainer: configuration, one epoch at a time, early stopping, divergence.

The trainer knows nothing of threads. A caller (the CLI, a notebook, the GUI's worker) calls
:meth:`Trainer.run_epoch` in a loop; :meth:`Trainer.request_stop` makes the current epoch pause
at the next minibatch boundary, and the next ``run_epoch`` resumes exactly there, so pausing
never changes the numbers. One ``numpy.random.Generator`` seeded from the config drives the
split, the initial weights and every shuffle: the same seed gives the same numbers, bit for bit.

Just over 500 lines: TrainConfig and the Trainer's epoch loop belong together (26 modules
import TrainConfig from here); the losses, optimizers and network are their own modules.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, fields, replace

import numpy as np

from .data import DataError, Dataset
from .epochs import EpochReport, report_history
from .features import FeatureMap, Standardizer
from .losses import penalty, sample_losses
from .metrics import predictions
from .model import Model
from .network import ACTIVATIONS, Network, Workspace, add_penalty_grad
from .optimizers import OPTIMIZERS, make_optimizer
from .train_inputs import (
    ShuffledBlocks,
    SplitInputs,
    augmented_buffer,
    classes_present,
    shuffled_order,
    stratified_split,
)

__all__ = ["MODELS", "EpochReport", "FitResult", "TrainConfig", "Trainer", "stratified_split"]

MODELS = ("auto", "logistic", "softmax", "mlp")
#: A loss above max(DIVERGENCE_CHANCE·ln k, DIVERGENCE_GROWTH·initial loss) counts as divergence.
DIVERGENCE_CHANCE = 50.0
DIVERGENCE_GROWTH = 4.0
_EVAL_CHUNK = 8192


@dataclass(frozen=True)
class TrainConfig:
    """Every knob of a training run. Validated when a :class:`Trainer` is built."""

    model: str = "auto"
    hidden: tuple = ()
    activation: str = "relu"
    features: object = "linear"
    standardize: bool = True
    optimizer: str = "adam"
    lr: float = 0.001
    momentum: float = 0.9
    nesterov: bool = False
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-7
    batch_size: int = 32
    epochs: int = 100
    l1: float = 0.0
    l2: float = 0.0
    test_fraction: float = 0.0
    seed: int = 0
    early_stopping: int = 0
    dtype: str = "float32"
    #: Stop as converged when the training objective has not improved by more than
    #: ``tol`` × |best objective| for ``n_iter_no_change`` consecutive epochs (0 = off), in the
    #: spirit of scikit-learn's ``tol``/``n_iter_no_change`` (relative here, not absolute).
    tol: float = 0.0
    n_iter_no_change: int = 10

    def __post_init__(self):
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        if not isinstance(self.features, str):
            object.__setattr__(self, "features", tuple(self.features))

    def validate(self, n_classes: int | None = None) -> None:
        """Raise ValueError naming the first knob that is out of range."""
        checks = [
            (self.model in MODELS, f"model must be one of {', '.join(MODELS)}"),
            (self.activation in ACTIVATIONS, f"activation must be one of {', '.join(ACTIVATIONS)}"),
            (self.optimizer in OPTIMIZERS, f"optimizer must be one of {', '.join(OPTIMIZERS)}"),
            (math.isfinite(self.lr) and self.lr > 0, f"learning rate must be a positive number, not {self.lr}"),
            (0 <= self.momentum < 1, "momentum must be in [0, 1)"),
            (0 <= self.beta1 < 1 and 0 <= self.beta2 < 1, "Adam's betas must be in [0, 1)"),
            (self.epsilon > 0, "epsilon must be positive"),
            (self.batch_size >= 0, "batch size must be 0 (full batch) or positive"),
            (self.epochs >= 0, "epochs must be 0 (until stopped) or positive"),
            (self.l1 >= 0 and self.l2 >= 0, "L1 and L2 strengths must be ≥ 0"),
            (0 <= self.test_fraction < 1, "test fraction must be in [0, 1)"),
            (self.early_stopping >= 0, "early-stopping patience must be ≥ 0"),
            (math.isfinite(self.tol) and self.tol >= 0, "the convergence tolerance must be ≥ 0 (0 = off)"),
            (self.n_iter_no_change >= 1, "the convergence patience (n_iter_no_change) must be ≥ 1"),
            (self.dtype in ("float32", "float64"), "dtype must be float32 or float64"),
            (
                self.model not in ("logistic", "softmax") or not self.hidden,
                f"{self.model} regression has no hidden layers; choose model mlp for hidden layers",
            ),
            (
                n_classes is None or self.model != "logistic" or n_classes == 2,
                f"logistic regression is for 2 classes, the data have {n_classes}; choose softmax",
            ),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    def model_name(self, n_classes: int) -> str:
        """The concrete model: ``auto`` is logistic for 2 classes, softmax otherwise, mlp with hidden layers."""
        if self.model != "auto":
            return self.model
        if self.hidden:
            return "mlp"
        return "logistic" if n_classes == 2 else "softmax"

    def hidden_layers(self) -> tuple:
        """Hidden layers actually built: an mlp with none configured gets one layer of 16."""
        if self.model == "mlp" and not self.hidden:
            return (16,)
        return self.hidden

    def to_dict(self) -> dict:
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def with_(self, **changes) -> TrainConfig:
        return replace(self, **changes)


@dataclass(frozen=True)
class FitResult:
    stopped_because: str
    epochs_run: int
    history: list = field(default_factory=list)
    best_epoch: int | None = None
    diverged_epoch: int | None = None


class Trainer:
    """Trains one model on one dataset.

    Parameters
    ----------
    dataset : the data (immutable, so shared, not copied). The trainer keeps one full-size array
        of its own, the standardized features (:mod:`engine.train_inputs`).
    config : hyper-parameters; validated here.
    """

    def __init__(self, dataset: Dataset, config: TrainConfig = TrainConfig()):
        if dataset.n_classes < 2 or classes_present(dataset.y, dataset.n_classes) < 2:
            present = sorted({dataset.classes[i] for i in np.unique(dataset.y)}, key=str)
            raise DataError(
                f"the data have only one class ({', '.join(map(str, present)) or 'none'}); "
                "training needs points of at least 2 classes"
            )
        config.validate(dataset.n_classes)
        self.config = config
        self.dataset = dataset
        self.rng = np.random.default_rng(config.seed)
        self._split_rows(dataset)
        if self._train_rows is not None and classes_present(dataset.y[self._train_rows], dataset.n_classes) < 2:
            raise DataError("the training split holds only one class; lower the test fraction or add points")
        fmap = FeatureMap.from_spec(config.features, dataset.n_features)
        standardizer = self._fit_standardizer(fmap) if config.standardize else Standardizer.identity(fmap.n_outputs)
        network = Network(fmap.n_outputs, dataset.n_classes, config.hidden_layers(), config.activation, config.dtype)
        network.init(self.rng)
        self.model = Model(dataset.classes, fmap, standardizer, network, dataset.feature_names)
        self.model_name = config.model_name(dataset.n_classes)
        self.optimizer = make_optimizer(
            config.optimizer,
            network.size,
            network.dtype,
            lr=config.lr,
            momentum=config.momentum,
            nesterov=config.nesterov,
            beta1=config.beta1,
            beta2=config.beta2,
            epsilon=config.epsilon,
        )
        self.history = report_history()  # EpochReports in fixed memory (engine.epochs)
        self.epoch = 0
        self.stopped_because: str | None = None
        self.best_epoch: int | None = None
        self.diverged_epoch: int | None = None
        self._stop_requested = False
        self._load_split()
        self.initial_loss = self._evaluate(self._train)[0]
        self._best = (math.inf, None)
        self._wait = 0
        self._best_objective = math.inf
        self._no_change = 0

    # ------------------------------------------------------------------ public API
    @property
    def network(self) -> Network:
        return self.model.network

    @property
    def train_idx(self) -> np.ndarray:
        """Indices of the training rows (sorted). Made on each call when every row trains: an
        arange of the data's length is not worth keeping (8 bytes a row)."""
        return np.arange(self.dataset.n_samples) if self._train_rows is None else self._train_rows

    @property
    def n_train(self) -> int:
        return len(self._train)

    @property
    def n_test(self) -> int:
        return len(self.test_idx)

    @property
    def lr(self) -> float:
        return self.optimizer.lr

    def set_lr(self, lr: float) -> None:
        """Change the learning rate; applies from the next minibatch."""
        if not (math.isfinite(lr) and lr > 0):
            raise ValueError(f"learning rate must be a positive number, not {lr}")
        self.optimizer.lr = float(lr)

    def request_stop(self) -> None:
        """Ask :meth:`run_epoch` to return at the next minibatch boundary (thread-safe flag)."""
        self._stop_requested = True

    @property
    def mid_epoch(self) -> bool:
        """True when an epoch was paused part-way and the next ``run_epoch`` resumes it."""
        return self._cursor is not None

    @property
    def batches_per_epoch(self) -> int:
        """Minibatches in one epoch (the last one may be smaller than ``batch_size``)."""
        return -(-self.n_train // self._batch)

    @property
    def batches_done(self) -> int:
        """Minibatches of the epoch in progress run so far (0 between epochs)."""
        return 0 if self._cursor is None else -(-self._cursor // self._batch)

    def run_minibatch(self) -> EpochReport | None:
        """Run the next minibatch of the epoch in progress (or of a new one): the epoch's report
        when it was the epoch's last, else None with :attr:`mid_epoch` true. A pending stop
        request still comes first (then nothing runs and :attr:`batches_done` is unchanged).
        ``batches_per_epoch`` calls give exactly the numbers of one :meth:`run_epoch`."""
        return self.run_epoch(deadline=-math.inf)

    def run_epoch(self, deadline: float | None = None) -> EpochReport | None:
        """Run (or resume) one epoch. Returns its report, or None when it paused on request or
        diverged (then :attr:`stopped_because` is ``"stopped"`` or ``"diverged"``).

        ``deadline`` (a ``time.perf_counter()`` value) pauses the epoch at the first minibatch
        boundary after it, like a stop request (at least one minibatch runs). The lab's
        worker uses it to show a long epoch's progress before the epoch ends.
        """
        self.stopped_because = None
        net, opt, ws = self.network, self.optimizer, self._workspace
        params, grad, cfg = net.params, self._grad, self.config
        if self._cursor is None:
            self._begin_epoch()
        n, b = self.n_train, self._batch
        X, S, base, gathered = self._block  # rows base..gathered-1 of the epoch's order
        cursor, grad_sq = self._cursor, 0.0
        # The loop is call-bound at small batches: bind everything it touches to locals.
        gradient, step, dot, penalized = ws.batch_gradient, opt.step, np.dot, cfg.l1 or cfg.l2
        clock, until = time.perf_counter, math.inf if deadline is None else deadline
        started = clock()
        with np.errstate(all="ignore"):
            while cursor < n:
                if self._stop_requested:
                    break
                if cursor >= gathered:
                    base = cursor
                    X, S, gathered = self._blocks.gather(self._order, cursor)
                    self._block = (X, S, base, gathered)
                end = cursor + b
                gradient(X[cursor - base : end - base], S[cursor - base : end - base], params, grad)
                if penalized:
                    add_penalty_grad(params, net.weight_mask, grad, cfg.l1, cfg.l2, self._scratch)
                grad_sq += float(dot(grad, grad))
                step(params, grad)
                cursor = end
                if clock() >= until:
                    break
        self._epoch_seconds += clock() - started
        self._grad_sq += grad_sq
        self._batches += -(-(cursor - self._cursor) // b)
        self._cursor = cursor
        if cursor < n:
            self._stop_requested = False
            self.stopped_because = "stopped"
            return None
        self._cursor = None
        return self._end_epoch()

    def fit(self, on_epoch=None) -> FitResult:
        """Train until ``config.epochs`` (0: until stopped), convergence (``config.tol``), early
        stopping, divergence or a stop request.

        ``on_epoch(report)`` is called after every epoch.
        """
        target = self.config.epochs
        while target == 0 or self.epoch < target:
            report = self.run_epoch()
            if report is None:
                break
            if on_epoch is not None:
                on_epoch(report)
            if self.stopped_because in ("early_stopping", "converged"):
                break
        else:
            self.stopped_because = "epochs"
        return FitResult(
            self.stopped_because or "epochs", self.epoch, list(self.history), self.best_epoch, self.diverged_epoch
        )

    def replace_data(self, dataset: Dataset) -> None:
        """Train on edited data from the next epoch on, keeping weights and optimizer state.

        The feature map and standardizer stay as fitted, so the weights keep their meaning.
        Called between epochs (a paused epoch is abandoned).
        """
        if dataset.classes != self.dataset.classes or dataset.n_features != self.dataset.n_features:
            raise ValueError("the edited data have other classes or inputs; start a new training run")
        if classes_present(dataset.y, dataset.n_classes) < 2:
            raise DataError("the data have only one class; training needs points of at least 2 classes")
        self.dataset = dataset
        self._split_rows(dataset)
        self._load_split()

    def restore(self, model: Model, history=(), best_epoch: int | None = None) -> None:
        """Continue from a saved model (a session file) instead of the fresh initial weights.

        ``model``'s weights and standardizer replace this trainer's (the saved standardizer
        may come from data edited mid-run, so it is not refitted); ``history`` becomes the
        history and the epoch count continues after its last epoch. The split stays the seeded
        one. The optimizer's moments are not saved, so they start afresh. Call before the first
        epoch; ValueError if the model does not fit this data and configuration.
        """
        net, mine = model.network, self.network
        if (
            tuple(model.classes) != tuple(self.model.classes)
            or net.params.shape != mine.params.shape
            or net.hidden != mine.hidden
            or net.activation != mine.activation
            or model.feature_map.terms != self.model.feature_map.terms
        ):
            raise ValueError("the saved model does not fit these data and this configuration")
        mine.set_params(net.params)
        self.model.standardizer = Standardizer(model.standardizer.mean_.copy(), model.standardizer.scale_.copy())
        self.history = report_history(history)
        self.epoch = self.history.last_epoch
        self.best_epoch = best_epoch
        self._load_split()  # the cached inputs were standardized with the fresh standardizer

    def current_metrics(self) -> dict:
        """Loss, objective and accuracy of the current weights on both splits (test: None if empty)."""
        train_loss, train_acc = self._evaluate(self._train)
        test_loss = test_acc = None
        if self.n_test:
            test_loss, test_acc = self._evaluate(self._test)
        return {
            "train_loss": train_loss,
            "train_accuracy": train_acc,
            "test_loss": test_loss,
            "test_accuracy": test_acc,
            "objective": train_loss + self._penalty(),
        }

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """(mean cross-entropy, accuracy) of the current model on raw inputs."""
        return self._evaluate(SplitInputs(self.model, np.asarray(X), np.asarray(y)))

    # ------------------------------------------------------------------ internals
    def _split_rows(self, dataset: Dataset) -> None:
        """The seeded split; no index array of the training rows when every row trains."""
        if self.config.test_fraction > 0:
            self._train_rows, self.test_idx = stratified_split(dataset.y, self.config.test_fraction, self.rng)
        else:  # stratified_split's answer without its arange (it draws nothing then)
            self._train_rows, self.test_idx = None, np.arange(0)

    def _fit_standardizer(self, fmap: FeatureMap) -> Standardizer:
        """Fitted on the training rows' mapped features; the linear map's are the rows themselves,
        so it reads them in place (a temporary copy of the data fewer)."""
        X = self.dataset.X
        rows = X if self._train_rows is None else X[self._train_rows]
        return Standardizer().fit(rows if fmap.is_identity else fmap.transform(rows))

    def _load_split(self) -> None:
        ds, net = self.dataset, self.network
        self._train = SplitInputs(self.model, ds.X, ds.y, self._train_rows, check=True)
        self._test = SplitInputs(self.model, ds.X, ds.y, self.test_idx)
        n = self.n_train
        b = self.config.batch_size
        self._batch = n if b == 0 or b > n else b
        self._workspace = Workspace(net, self._batch)
        self._blocks = ShuffledBlocks(self._train, self._workspace, ds.n_classes, self._batch)
        self._eval_workspace = Workspace(net, min(max(n, self.n_test, 1), _EVAL_CHUNK))
        self._eval_inputs = augmented_buffer(self._eval_workspace.max_rows, net.n_inputs, net.dtype)
        self._grad = np.zeros_like(net.params)
        self._scratch = np.zeros_like(net.params)
        self._cursor = None
        self._order = self._block = None

    def _begin_epoch(self) -> None:
        self._order = shuffled_order(self.rng, self.n_train)
        self._block = (None, None, 0, 0)
        self._cursor = 0
        self._epoch_start = (self.network.params.copy(), self.optimizer.state_dict())
        self._epoch_seconds = 0.0
        self._grad_sq = 0.0
        self._batches = 0

    def _end_epoch(self) -> EpochReport | None:
        cfg, net = self.config, self.network
        params = net.params
        train_loss, train_acc = self._evaluate(self._train)
        val_loss = val_acc = None
        if self.n_test:
            val_loss, val_acc = self._evaluate(self._test)
        cost = self._penalty()
        start_params, start_state = self._epoch_start
        self.epoch += 1
        if self._diverged(train_loss, val_loss, params):
            params[...] = start_params
            self.optimizer.load_state_dict(start_state)
            self.diverged_epoch = self.epoch
            self.epoch -= 1
            self.stopped_because = "diverged"
            return None
        weight_norm = float(np.linalg.norm(params.astype(np.float64)))
        step = float(np.linalg.norm(params.astype(np.float64) - start_params))
        report = EpochReport(
            epoch=self.epoch,
            train_loss=train_loss,
            train_accuracy=train_acc,
            objective=train_loss + cost,
            val_loss=val_loss,
            val_accuracy=val_acc,
            grad_norm=math.sqrt(self._grad_sq / max(self._batches, 1)),
            weight_norm=weight_norm,
            update_ratio=step / weight_norm if weight_norm else 0.0,
            seconds=self._epoch_seconds,
            lr=self.optimizer.lr,
            samples=self.n_train,
        )
        self.history.append(report)
        if cfg.early_stopping:
            self._early_stopping(report)
        if cfg.tol > 0 and self.stopped_because is None:
            self._convergence(report)
        return report

    def _diverged(self, train_loss, val_loss, params) -> bool:
        limit = max(DIVERGENCE_CHANCE * math.log(self.dataset.n_classes), DIVERGENCE_GROWTH * self.initial_loss)
        return (
            not math.isfinite(train_loss)
            or train_loss > limit
            or (val_loss is not None and not math.isfinite(val_loss))
            or not bool(np.isfinite(params).all())
        )

    def _early_stopping(self, report: EpochReport) -> None:
        """Keras' EarlyStopping(patience, restore_best_weights=True) on the validation loss
        (the training loss when there is no validation split)."""
        monitored = report.val_loss if report.val_loss is not None else report.train_loss
        if monitored < self._best[0]:
            self._best = (monitored, self.network.params.copy())
            self.best_epoch = report.epoch
            self._wait = 0
            return
        self._wait += 1
        if self._wait >= self.config.early_stopping:
            self.network.params[...] = self._best[1]
            self.stopped_because = "early_stopping"
            self._wait = 0

    def _convergence(self, report: EpochReport) -> None:
        """Converged when the training objective has not improved by more than tol × |best| for
        ``n_iter_no_change`` consecutive epochs (scikit-learn's rule, with a relative tolerance).
        The weights stay as they are: a converged run equals a fixed-epochs run of its length."""
        objective, best = report.objective, self._best_objective
        if best == math.inf or objective < best - self.config.tol * abs(best):
            self._no_change = 0
        else:
            self._no_change += 1
        if objective < best:
            self._best_objective = objective
        if self._no_change >= self.config.n_iter_no_change:
            self.stopped_because = "converged"
            self._no_change = 0

    def _penalty(self) -> float:
        net = self.network
        return penalty(net.params * net.weight_mask, self.config.l1, self.config.l2)

    def _evaluate(self, split: SplitInputs) -> tuple[float, float]:
        """Mean cross-entropy and accuracy over all rows, in chunks through the eval workspace."""
        n = len(split)
        if n == 0:
            return math.nan, math.nan
        ws, params = self._eval_workspace, self.network.params
        loss_sum, correct = 0.0, 0
        with np.errstate(all="ignore"):
            for chunk, yc in split.chunks(self._eval_inputs):
                z = ws.forward(chunk, params)
                loss_sum += float(sample_losses(z, yc).sum())
                correct += int(np.count_nonzero(predictions(z) == yc))
        return loss_sum / n, correct / n
