"""A trained classifier as a user sees it: raw inputs in, class probabilities out.

:class:`Model` chains the feature map, the standardizer and the network, and reports linear
models' coefficients in the original units of the mapped features (so they compare with R's
``glm``). :class:`PointEvaluator` and :class:`GridEvaluator` evaluate many weight vectors at fixed
points (the metrics, the boundary view's probability image) without allocating.
"""

from __future__ import annotations

import numpy as np

from .features import FeatureMap, Standardizer
from .network import Network, Workspace, augment

__all__ = ["GridEvaluator", "Model", "PointEvaluator"]


class Model:
    """Feature map → standardizer → network, plus the class labels.

    Parameters
    ----------
    classes : the class labels in the network's order (the last one is positive for binary models).
    input_names : names of the raw input columns.
    """

    def __init__(
        self, classes, feature_map: FeatureMap, standardizer: Standardizer, network: Network, input_names=None
    ):
        self.classes = tuple(classes)
        self.feature_map = feature_map
        self.standardizer = standardizer
        self.network = network
        self.input_names = tuple(input_names or (f"x{i + 1}" for i in range(feature_map.n_inputs)))

    @property
    def n_inputs(self) -> int:
        return self.feature_map.n_inputs

    @property
    def is_linear(self) -> bool:
        return self.network.is_linear

    @property
    def feature_names(self) -> list[str]:
        return self.feature_map.names(self.input_names)

    def features(self, X: np.ndarray) -> np.ndarray:
        """Mapped and standardized features (n_samples, n_features) of raw inputs.

        Inputs far beyond what the model saw may map to ±inf (x² of 1e200); that is the honest
        answer, so no overflow warning: a trainer refuses such data by name
        (:func:`engine.network.check_representable`), a view clips them (:func:`engine.network.augment`)."""
        with np.errstate(over="ignore", invalid="ignore"):
            return self.standardizer.transform(self.feature_map.transform(X))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """(n_samples, n_classes) probabilities of raw inputs (n_samples, n_inputs)."""
        return self.network.predict_proba(self.features(X)).astype(np.float64)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """(n_samples,) class codes."""
        return np.argmax(self.predict_proba(X), axis=1)

    def logits(self, X: np.ndarray) -> np.ndarray:
        return self.network.logits(self.features(X)).astype(np.float64)

    def coef_intercept(self):
        """Linear models only: ``coef`` (n_logits, n_features) and ``intercept`` (n_logits,)
        on the mapped features in their original (unstandardized) units."""
        if not self.is_linear:
            raise ValueError("only models without hidden layers have coefficients")
        ((W, b),) = self.network.layers
        return self.standardizer.to_original(W.T.astype(np.float64), b.astype(np.float64))

    def equation(self, digits: int = 4) -> list[str]:
        """The learned logit(s) as readable equations, one per logit."""
        coef, intercept = self.coef_intercept()
        names = self.feature_names
        rows = []
        for k in range(coef.shape[0]):
            terms = [f"{intercept[k]:.{digits}g}"]
            for w, name in zip(coef[k], names):
                terms.append(f"{'−' if w < 0 else '+'} {abs(w):.{digits}g}·{name}")
            label = f"logit P({self.classes[-1]})" if coef.shape[0] == 1 else f"z[{self.classes[k]}]"
            rows.append(f"{label} = " + " ".join(terms))
        return rows

    def copy(self) -> Model:
        return Model(self.classes, self.feature_map, self.standardizer, self.network.copy(), self.input_names)


class PointEvaluator:
    """Probabilities of a model at fixed raw points, for evaluating many weight vectors.

    The points' features are mapped and standardized once; :meth:`evaluate` then costs one
    forward pass, in equal chunks of at most :attr:`CHUNK` rows, into preallocated buffers (no
    allocation per call). The numbers are :meth:`Model.predict_proba`'s, in float32; the logits
    of the same pass are kept in :attr:`logits` (losses are computed from those, never from
    rounded probabilities).

    Parameters
    ----------
    model : the model whose feature map, standardizer and network shape are used.
    X : (n_samples, n_inputs) raw points.
    """

    #: Rows per forward pass. A whole 200×200 grid's hidden activations (~10 MB a layer for a
    #: (64, 64) network) spill out of the cache: chunks that fit make the pass ~1.5–2× faster and
    #: the workspace ~10× smaller (measured here: 14–22 ms → 6–10 ms for that grid).
    CHUNK = 4096

    def __init__(self, model: Model, X: np.ndarray):
        self.model = model
        net = model.network
        X = np.asarray(X, dtype=np.float64)
        n = X.shape[0]
        self._inputs = augment(model.features(X), net.dtype)
        n_chunks = max(1, -(-n // self.CHUNK))
        rows = max(1, -(-n // n_chunks))
        self._chunks = [(start, min(start + rows, n)) for start in range(0, n, rows)]
        self._workspace = Workspace(net, rows)
        self._out = np.empty((n, net.n_classes), dtype=np.float32)
        self._logits = np.empty((n, net.n_outputs), dtype=net.dtype)  # as the trainer sees them

    @property
    def n_samples(self) -> int:
        return self._out.shape[0]

    @property
    def logits(self) -> np.ndarray:
        """(n_samples, n_outputs) logits (the network's dtype) of the last :meth:`evaluate`; a reused buffer."""
        return self._logits

    def evaluate(self, params: np.ndarray | None = None) -> np.ndarray:
        """(n_samples, n_classes) float32 probabilities of ``params`` (default: the network's own);
        a view of a reused buffer, overwritten by the next call."""
        net = self.model.network
        ws, inputs, out, logits = self._workspace, self._inputs, self._out, self._logits
        params = net.params if params is None else params
        binary = net.n_outputs == 1
        for start, stop in self._chunks:
            logits[start:stop] = ws.forward(inputs[start:stop], params)
            p = ws.output_probabilities(stop - start)
            if binary:
                out[start:stop, 1] = p[:, 0]
            else:
                out[start:stop] = p
        if binary:
            np.subtract(1.0, out[:, 1], out=out[:, 0])
        return out


class GridEvaluator:
    """Probabilities of a model over a fixed H×W grid of two of its inputs.

    The grid's features are mapped and standardized once; :meth:`evaluate` then costs one
    forward pass into preallocated buffers (a :class:`PointEvaluator` of the grid points). Pass
    ``params`` to evaluate a snapshot of the weights without touching the live network. The grid
    varies inputs ``columns = (i, j)`` (x along ``xlim``, y along ``ylim``; default the first
    two); every other input is held at ``fixed`` (n_inputs,) — e.g. the training mean of each raw
    input; only the entries outside ``columns`` are used — or at 0 without it.

    For 1-D models ``ylim`` and ``columns`` are ignored and the result is (W, n_classes).
    """

    def __init__(self, model: Model, xlim, ylim=None, shape=(200, 200), fixed=None, columns=(0, 1)):
        self.model = model
        self.columns = (int(columns[0]), int(columns[1])) if model.n_inputs > 1 else (0, 1)
        self.xlim, self.ylim = tuple(map(float, xlim)), tuple(map(float, ylim or (0.0, 1.0)))
        self.shape = (1, int(shape[1])) if model.n_inputs == 1 else (int(shape[0]), int(shape[1]))
        H, W = self.shape
        xs = np.linspace(*self.xlim, W)
        if model.n_inputs == 1:
            raw = xs[:, None]
        else:
            ys = np.linspace(*self.ylim, H)
            gx, gy = np.meshgrid(xs, ys)
            raw = np.zeros((H * W, model.n_inputs))
            if fixed is not None:
                raw[:] = np.asarray(fixed, dtype=np.float64)
            i, j = self.columns
            if not (0 <= i < model.n_inputs and 0 <= j < model.n_inputs and i != j):
                raise ValueError(f"columns must be two different inputs in 0..{model.n_inputs - 1}, got {self.columns}")
            raw[:, i], raw[:, j] = gx.ravel(), gy.ravel()
        self.xs = xs
        self._points = PointEvaluator(model, raw)

    def evaluate(self, params: np.ndarray | None = None) -> np.ndarray:
        """(H, W, n_classes) float32 probabilities (row 0 = ``ylim[0]``); a view of a reused buffer."""
        H, W = self.shape
        out = self._points.evaluate(params).reshape(H, W, -1)
        return out[0] if self.model.n_inputs == 1 else out
