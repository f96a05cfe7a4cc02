"""Loss landscapes: the objective over a plane of parameters, and optimizer paths across it.

* :class:`LossLandscape` — models with exactly two free parameters: 1-D logistic regression
  (w, b), or a 2-input logistic regression with its bias held fixed (w1, w2). :meth:`grid` is the
  contour map; :meth:`run_path` runs the engine's own optimizers (``engine.optimizers``) on the
  engine's own gradients (``engine.network``) from a chosen start, so SGD, momentum and Adam can be
  compared from the same point.
* :class:`PCASlice` — for any model: the plane through the final parameters spanned by the first
  two principal directions of a parameter path (Li et al., "Visualizing the loss landscape of
  neural nets", 2018), the path's coordinates in it, and the loss over it.
* :class:`Objective` — mean cross-entropy + penalty of one network on fixed data, evaluated for
  many parameter vectors at once (batched matrix products, no Python loop over grid points).

Everything is in the coordinates the optimizer sees: inputs as fed to the network (standardized if
the run standardizes) and the network's flat parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .losses import penalty, sample_losses
from .network import ACTIVATION_FUNCTIONS, Network, Workspace, add_penalty_grad, augment, targets
from .optimizers import make_optimizer

__all__ = ["LandscapeGrid", "LossLandscape", "Objective", "PCASlice", "ranges_around"]

#: Floats per chunk of the batched forward pass (about 32 MB in float64).
CHUNK_ELEMENTS = 4_000_000


@dataclass(frozen=True)
class LandscapeGrid:
    """The objective on a regular grid of a parameter plane.

    Attributes
    ----------
    xs : (W,) first coordinate of each column.
    ys : (H,) second coordinate of each row.
    loss : (H, W) objective; ``loss[i, j]`` is at ``(xs[j], ys[i])`` (row 0 = ``ys[0]``, as images).
    names : the two coordinates' names.
    """

    xs: np.ndarray
    ys: np.ndarray
    loss: np.ndarray
    names: tuple = ("p1", "p2")

    def argmin(self) -> np.ndarray:
        """(2,) grid point with the smallest objective."""
        i, j = np.unravel_index(np.nanargmin(self.loss), self.loss.shape)
        return np.array([self.xs[j], self.ys[i]])


class Objective:
    """Mean cross-entropy + ``l1·Σ|w| + l2·Σw²`` (weights only) of ``network``'s architecture.

    Parameters
    ----------
    network : supplies the architecture (layer shapes, activation, weight mask); its own
        parameters are not used.
    X : (n_samples, n_inputs) inputs as fed to the network (mapped and standardized).
    y : (n_samples,) class codes.
    max_rows : if given and smaller than n_samples, a fixed-seed sample of that many rows stands in
        for the data (an estimate, for slices of big models: each grid point costs one forward
        pass over every row).
    """

    def __init__(self, network: Network, X, y, l1: float = 0.0, l2: float = 0.0, max_rows: int | None = None):
        self.network = network
        self.X = np.asarray(X, dtype=np.float64)
        self.y = np.asarray(y, dtype=np.int64)
        if max_rows is not None and len(self.y) > max_rows:
            keep = np.sort(np.random.default_rng(0).choice(len(self.y), max_rows, replace=False))
            self.X, self.y = self.X[keep], self.y[keep]
        self.l1, self.l2 = float(l1), float(l2)
        if self.X.shape != (len(self.y), network.n_inputs):
            raise ValueError(f"X must be (n, {network.n_inputs}) with one label per row")
        self._mask = network.weight_mask.astype(bool)
        self._act = ACTIVATION_FUNCTIONS[network.activation]

    @classmethod
    def from_trainer(cls, trainer, max_rows: int | None = None) -> Objective:
        """The trainer's objective on its training split, in the space its optimizer sees."""
        X = trainer.model.features(trainer.dataset.X[trainer.train_idx])
        return cls(
            trainer.network, X, trainer.dataset.y[trainer.train_idx], trainer.config.l1, trainer.config.l2, max_rows
        )

    def __call__(self, P) -> np.ndarray:
        """Objective of each row of ``P`` (G, n_params) (or of one (n_params,) vector): (G,)."""
        P = np.asarray(P, dtype=np.float64)
        single = P.ndim == 1
        P = np.atleast_2d(P)
        if P.shape[1] != self.network.size:
            raise ValueError(f"expected {self.network.size} parameters per row, got {P.shape[1]}")
        width = max((b for _, b in self.network.shapes), default=1)
        step = max(1, CHUNK_ELEMENTS // (max(len(self.y), 1) * width))
        out = np.empty(len(P))
        for start in range(0, len(P), step):
            out[start : start + step] = self._chunk(P[start : start + step])
        return out[0] if single else out

    def _chunk(self, P: np.ndarray) -> np.ndarray:
        net, g = self.network, len(P)
        cost = penalty(P[:, self._mask], self.l1, self.l2, axis=1)
        if net.is_linear and net.n_outputs == 1:
            z = P[:, :-1] @ self.X.T + P[:, -1:]  # (g, n): one GEMM for every grid point
            with np.errstate(over="ignore", invalid="ignore"):
                return sample_losses(z[:, :, None], self.y).mean(axis=1) + cost
        a = self.X
        mats = [P[:, o : o + r * c].reshape(g, r, c) for o, (r, c) in zip(net.offsets, net.shapes)]
        with np.errstate(over="ignore", invalid="ignore"):
            for depth, M in enumerate(mats):
                # Contiguous weight stacks let matmul hand each product to BLAS (a strided view
                # falls back to NumPy's own loop, ~50× slower for 64-unit layers).
                W = np.ascontiguousarray(M[:, :-1, :])
                z = np.matmul(a, W) + M[:, -1:, :]  # (g, n, fan_out)
                a = self._act(z) if depth < len(mats) - 1 else z
            return sample_losses(z, self.y).mean(axis=1) + cost


class LossLandscape:
    """A binary logistic regression with exactly two free parameters.

    Parameters
    ----------
    X : (n_samples, 1) → free parameters (w, b); (n_samples, 2) → free (w1, w2) with the bias held
        at ``bias``. Inputs as fed to the network.
    y : (n_samples,) 0/1 codes (1 = positive = last class).
    bias : the held bias of the 2-input case (ignored for 1 input).
    l1, l2 : the penalty, as in TrainConfig.
    dtype : the network's dtype for :meth:`run_path` ("float64" exact, "float32" as the trainer).
    """

    def __init__(self, X, y, *, bias: float = 0.0, l1: float = 0.0, l2: float = 0.0, dtype="float64"):
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.int64)
        if X.ndim != 2 or X.shape[1] not in (1, 2):
            raise ValueError("a two-parameter landscape needs 1 input (w, b) or 2 inputs (w1, w2)")
        if not np.isin(y, (0, 1)).all():
            raise ValueError("a two-parameter landscape is for binary models (codes 0 and 1)")
        self.X, self.y = X, y
        self.l1, self.l2 = float(l1), float(l2)
        self.dtype = np.dtype(dtype)
        net = Network(X.shape[1], 2, (), dtype=self.dtype)
        self._template = net
        self.objective = Objective(net, X, y, l1, l2)
        if X.shape[1] == 1:
            self.names, self.free, self.held = ("w", "b"), np.array([0, 1]), np.array([], int)
        else:
            self.names, self.free, self.held = ("w1", "w2"), np.array([0, 1]), np.array([2])
        self.base = np.zeros(net.size)
        self.base[self.held] = bias
        #: The network of the latest :meth:`run_path`; its parameters are the path's last point.
        self.network: Network | None = None

    @classmethod
    def from_trainer(cls, trainer) -> LossLandscape:
        """The landscape of a trainer's linear binary model with 1 or 2 mapped features, on its
        training split in the space its optimizer sees; a 2-feature model's bias is held at its
        current value; the trainer's dtype is kept so paths match its arithmetic."""
        net = trainer.network
        if not net.is_linear or net.n_classes != 2 or net.n_inputs not in (1, 2):
            raise ValueError("the loss landscape needs a binary linear model with 1 or 2 features")
        X = trainer.model.features(trainer.dataset.X[trainer.train_idx])
        return cls(
            X,
            trainer.dataset.y[trainer.train_idx],
            bias=float(net.params[-1]),
            l1=trainer.config.l1,
            l2=trainer.config.l2,
            dtype=net.dtype,
        )

    def full_params(self, points) -> np.ndarray:
        """(..., 2) free coordinates → (..., n_params) flat network parameters."""
        points = np.asarray(points, dtype=np.float64)
        out = np.broadcast_to(self.base, points.shape[:-1] + self.base.shape).copy()
        out[..., self.free] = points
        return out

    def point(self, params) -> np.ndarray:
        """Flat network parameters (e.g. a training snapshot's) → (2,) free coordinates."""
        return np.asarray(params, dtype=np.float64)[self.free]

    def loss(self, points) -> np.ndarray:
        """Objective at (G, 2) free coordinates: (G,)."""
        return self.objective(self.full_params(np.atleast_2d(points)))

    def grid(self, ranges, shape=(120, 120)) -> LandscapeGrid:
        """Objective over ``ranges = ((x0, x1), (y0, y1))`` of the free coordinates.

        ``shape`` is (rows, columns); returns a :class:`LandscapeGrid` with loss (rows, columns).
        """
        (x0, x1), (y0, y1) = ranges
        xs, ys = np.linspace(x0, x1, int(shape[1])), np.linspace(y0, y1, int(shape[0]))
        gx, gy = np.meshgrid(xs, ys)
        loss = self.loss(np.column_stack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
        return LandscapeGrid(xs, ys, loss, self.names)

    def run_path(
        self,
        start,
        optimizer: str = "sgd",
        lr: float = 0.1,
        epochs: int = 100,
        batch_size: int = 0,
        seed: int = 0,
        **hyper,
    ) -> np.ndarray:
        """Train from ``start`` with the engine's optimizer and gradients; (epochs + 1, 2) path.

        ``path[k]`` holds the free parameters after ``k`` epochs (``path[0]`` is ``start`` rounded
        to the dtype). Minibatches (``batch_size`` > 0 and below n) are drawn from a fresh
        permutation per epoch from ``np.random.default_rng(seed)``; full batch uses the rows in
        order. ``hyper`` goes to :func:`engine.optimizers.make_optimizer` (momentum, nesterov,
        beta1, beta2, epsilon). A held bias gets a zero gradient, so no optimizer moves it.
        Afterwards :attr:`network` holds the final parameters: ``path[-1]`` equals
        ``network.params[:2]`` exactly.
        """
        net = self._template.copy()
        net.params[...] = self.full_params(np.asarray(start, dtype=np.float64))
        opt = make_optimizer(optimizer, net.size, net.dtype, lr=lr, **hyper)
        n = len(self.y)
        batch = n if batch_size <= 0 or batch_size > n else int(batch_size)
        Xa, T = augment(self.X, net.dtype), targets(self.y, 2, net.dtype)
        ws, grad = Workspace(net, batch), np.zeros_like(net.params)
        rng = np.random.default_rng(seed)
        path = np.empty((int(epochs) + 1, 2))
        path[0] = net.params[self.free]
        with np.errstate(all="ignore"):
            for epoch in range(1, int(epochs) + 1):
                if batch < n:
                    order = rng.permutation(n)
                    Xs, Ts = Xa[order], T[order]
                else:
                    Xs, Ts = Xa, T
                for cursor in range(0, n, batch):
                    xb, tb = Xs[cursor : cursor + batch], Ts[cursor : cursor + batch]
                    ws.forward(xb, net.params)
                    ws.backward(xb, tb, net.params, grad)
                    add_penalty_grad(net.params, net.weight_mask, grad, self.l1, self.l2)
                    grad[self.held] = 0.0
                    opt.step(net.params, grad)
                path[epoch] = net.params[self.free]
        self.network = net
        return path

    def compare_paths(self, start, runs, epochs: int = 100, batch_size: int = 0, seed: int = 0) -> list[np.ndarray]:
        """One path per ``(optimizer, lr)`` or ``(optimizer, lr, hyper_dict)`` in ``runs``, all
        from the same ``start`` with the same minibatch order: a list of (epochs + 1, 2) arrays."""
        paths = []
        for run in runs:
            name, lr, hyper = run[0], run[1], (run[2] if len(run) > 2 else {})
            paths.append(self.run_path(start, name, lr, epochs, batch_size, seed, **hyper))
        return paths


class PCASlice:
    """The plane of a parameter path's first two principal directions, through its last point.

    Parameters
    ----------
    param_history : (k, n_params) parameters along training, oldest first (k ≥ 2).
    objective : an :class:`Objective` for :meth:`grid` (optional otherwise).

    Attributes
    ----------
    center : (n_params,) the final parameters (the plane's origin).
    directions : (2, n_params) orthonormal directions: the top right-singular vectors of
        ``param_history − center``, signed so the path starts at non-negative coordinates. A path
        with fewer than two independent moves gets a completing orthonormal direction.
    coords : (k, 2) the path in plane coordinates.
    explained : (2,) share of the path's squared distance to ``center`` along each direction.
    """

    def __init__(self, param_history, objective: Objective | None = None):
        history = np.asarray(param_history, dtype=np.float64)
        if history.ndim != 2 or len(history) < 2 or history.shape[1] < 2:
            raise ValueError("need a (k ≥ 2, n_params ≥ 2) parameter history")
        self.objective = objective
        self.center = history[-1].copy()
        D = history - self.center
        _, s, vt = np.linalg.svd(D, full_matrices=False)
        total = float(np.sum(s**2))
        dirs = [vt[i] for i in range(min(2, len(s))) if s[i] > 1e-12 * max(s[0], 1e-300)]
        while len(dirs) < 2:
            dirs.append(_completing_direction(dirs, history.shape[1]))
        self.directions = np.array(dirs)
        self.coords = D @ self.directions.T
        flip = np.where(self.coords[0] < 0, -1.0, 1.0)
        self.directions *= flip[:, None]
        self.coords *= flip
        self.explained = (
            np.array([np.sum(self.coords[:, i] ** 2) for i in range(2)]) / total if total > 0 else np.zeros(2)
        )

    def params_at(self, points) -> np.ndarray:
        """(..., 2) plane coordinates → (..., n_params) parameters."""
        return self.center + np.asarray(points, dtype=np.float64) @ self.directions

    def projection(self) -> np.ndarray:
        """(k, n_params) the path projected orthogonally onto the plane."""
        return self.params_at(self.coords)

    def grid(self, ranges=None, shape=(41, 41)) -> LandscapeGrid:
        """Objective over ``ranges`` of plane coordinates (default: the path plus 25 % margin).

        Costs one forward pass of the whole network per grid point: for big models use a coarse
        ``shape`` and an :class:`Objective` with ``max_rows``, off the GUI thread.
        """
        if self.objective is None:
            raise ValueError("PCASlice.grid needs an Objective")
        if ranges is None:
            ranges = ranges_around(self.coords)
        (x0, x1), (y0, y1) = ranges
        xs, ys = np.linspace(x0, x1, int(shape[1])), np.linspace(y0, y1, int(shape[0]))
        gx, gy = np.meshgrid(xs, ys)
        loss = self.objective(self.params_at(np.column_stack([gx.ravel(), gy.ravel()])))
        return LandscapeGrid(xs, ys, loss.reshape(gx.shape), ("PC1", "PC2"))


def ranges_around(*point_sets, margin: float = 0.25, min_half_width: float = 0.5):
    """``((x0, x1), (y0, y1))`` enclosing every (k, 2) point set with ``margin`` of the span on
    each side, each axis at least ``2·min_half_width`` wide (for paths that barely move)."""
    pts = np.concatenate([np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in point_sets])
    pts = pts[np.isfinite(pts).all(axis=1)]
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    centre, half = (lo + hi) / 2, np.maximum((hi - lo) / 2 * (1 + 2 * margin), min_half_width)
    return tuple((float(c - h), float(c + h)) for c, h in zip(centre, half))


def _completing_direction(dirs, size: int) -> np.ndarray:
    """A unit vector orthogonal to ``dirs``: the least-covered coordinate axis, orthogonalised."""
    basis = np.array(dirs).reshape(-1, size)
    coverage = np.sum(basis**2, axis=0)
    e = np.zeros(size)
    e[int(np.argmin(coverage))] = 1.0
    e -= basis.T @ (basis @ e)
    return e / np.linalg.norm(e)
