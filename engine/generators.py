"""Seeded toy datasets: classic shapes (Gaussians, XOR, circles, moons, spirals, blobs), 1-D examples,
R's six-point glm example and data drawn from a known logistic model.

Every random generator takes ``n`` (samples), ``noise`` (its meaning is stated per generator, always
in data units) and ``seed``; one ``np.random.default_rng(seed)`` drives everything, and the
scikit-learn generators get an integer drawn from it, so the same seed gives the same arrays bit for
bit. Class sizes are exact (largest-remainder rounding of ``n * share``), not random, so a requested
1 % minority really is 1 %. Rows are shuffled, so a table view never shows one class after another.

Labels are integer codes; for two classes the positive class is 1 (the last class, docs/design.md §2).
The named entries the GUI offers (the New dataset dialog's list, the failure-mode presets) are in
:mod:`engine.catalog`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engine.data import Dataset
from engine.losses import sigmoid

__all__ = [
    "GeneratedLogistic",
    "blobs",
    "circles",
    "glm6",
    "logistic_model",
    "moons",
    "one_d_gaussians",
    "sincos",
    "spiral",
    "two_gaussians",
    "xor",
]

_NAMES_2D = ("x1", "x2")


# --------------------------------------------------------------------------------------------
# Generators
# --------------------------------------------------------------------------------------------


def two_gaussians(n: int = 200, noise: float = 1.0, seed: int | None = 0, *, balance: float = 0.5) -> Dataset:
    """Two round Gaussian clouds centred at (-1, -1) (class 0) and (1, 1) (class 1).

    Parameters
    ----------
    n : int
        Number of samples.
    noise : float
        Standard deviation of each cloud; the classes overlap more as it grows (Bayes error
        ``Phi(-sqrt(2) / noise)``: 7.9 % at 1.0, essentially 0 below 0.3).
    seed : int or None
        Seed for ``np.random.default_rng``.
    balance : float
        Fraction of class 1, in (0, 1).

    Returns
    -------
    Dataset
        ``X`` of shape (n, 2).
    """
    rng = np.random.default_rng(seed)
    counts = _split_counts(n, _binary_shares(balance))
    centres = np.array([[-1.0, -1.0], [1.0, 1.0]])
    y = np.repeat(np.arange(2), counts)
    X = centres[y] + noise * rng.standard_normal((n, 2))
    return _shuffled(rng, X, y, _NAMES_2D)


def xor(n: int = 200, noise: float = 0.35, seed: int | None = 0, *, balance: float = 0.5) -> Dataset:
    """XOR: four Gaussian clusters at (+-1, +-1); class 1 where x1 and x2 have the same sign.

    No straight line separates the classes, so a linear model stays near chance until a product
    feature (``x1*x2``) or a hidden layer is added.

    Parameters
    ----------
    n : int
        Number of samples.
    noise : float
        Standard deviation of each cluster.
    seed : int or None
        Seed for ``np.random.default_rng``.
    balance : float
        Fraction of class 1, in (0, 1); each class is split evenly between its two clusters.

    Returns
    -------
    Dataset
        ``X`` of shape (n, 2).
    """
    rng = np.random.default_rng(seed)
    n0, n1 = _split_counts(n, _binary_shares(balance))
    # Cluster order: two class-0 clusters, then two class-1 clusters.
    centres = np.array([[1.0, -1.0], [-1.0, 1.0], [1.0, 1.0], [-1.0, -1.0]])
    per_cluster = np.concatenate(
        [_split_counts(n0, (0.5, 0.5), at_least_one=False), _split_counts(n1, (0.5, 0.5), at_least_one=False)]
    )
    cluster = np.repeat(np.arange(4), per_cluster)
    y = (cluster >= 2).astype(np.int64)
    X = centres[cluster] + noise * rng.standard_normal((n, 2))
    return _shuffled(rng, X, y, _NAMES_2D)


def circles(
    n: int = 200, noise: float = 0.1, seed: int | None = 0, *, balance: float = 0.5, factor: float = 0.5
) -> Dataset:
    """A small circle (class 1) inside a unit circle (class 0), via ``make_circles``.

    Parameters
    ----------
    n : int
        Number of samples.
    noise : float
        Standard deviation of the Gaussian noise added to each point.
    seed : int or None
        Seed for ``np.random.default_rng``.
    balance : float
        Fraction of class 1 (the inner circle), in (0, 1).
    factor : float
        Radius of the inner circle relative to the outer one, in (0, 1).

    Returns
    -------
    Dataset
        ``X`` of shape (n, 2).
    """
    rng = np.random.default_rng(seed)
    n_outer, n_inner = _split_counts(n, _binary_shares(balance))
    from sklearn.datasets import make_circles  # lazy: scikit-learn takes ~1 s to import

    X, y = make_circles(
        n_samples=(int(n_outer), int(n_inner)), noise=noise, factor=factor, random_state=_sklearn_seed(rng)
    )
    return Dataset.from_labels(X, y, feature_names=_NAMES_2D)


def moons(n: int = 200, noise: float = 0.1, seed: int | None = 0, *, balance: float = 0.5) -> Dataset:
    """Two interleaving half circles, via ``sklearn.datasets.make_moons``.

    Parameters
    ----------
    n : int
        Number of samples.
    noise : float
        Standard deviation of the Gaussian noise added to each point.
    seed : int or None
        Seed for ``np.random.default_rng``.
    balance : float
        Fraction of class 1 (the lower moon), in (0, 1).

    Returns
    -------
    Dataset
        ``X`` of shape (n, 2).
    """
    rng = np.random.default_rng(seed)
    n0, n1 = _split_counts(n, _binary_shares(balance))
    from sklearn.datasets import make_moons  # lazy: scikit-learn takes ~1 s to import

    X, y = make_moons(n_samples=(int(n0), int(n1)), noise=noise, random_state=_sklearn_seed(rng))
    return Dataset.from_labels(X, y, feature_names=_NAMES_2D)


def spiral(n: int = 300, noise: float = 0.05, seed: int | None = 0, *, arms: int = 2, turns: float = 1.0) -> Dataset:
    """``arms`` interleaved spiral arms, one class per arm, of equal size.

    Arm k is ``r (cos a, sin a)`` with ``r = t`` and ``a = 2 pi (k / arms + turns t)`` for ``t``
    uniform in [0, 1], so the radius reaches 1.

    Parameters
    ----------
    n : int
        Number of samples.
    noise : float
        Standard deviation of the Gaussian noise added to each point.
    seed : int or None
        Seed for ``np.random.default_rng``.
    arms : int
        Number of arms (= classes), at least 2.
    turns : float
        How many full turns each arm makes.

    Returns
    -------
    Dataset
        ``X`` of shape (n, 2), ``arms`` classes.
    """
    if arms < 2:
        raise ValueError(f"spiral needs at least 2 arms, got {arms}")
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(arms), _split_counts(n, np.full(arms, 1.0 / arms)))
    t = rng.uniform(0.0, 1.0, n)
    angle = 2.0 * np.pi * (y / arms + turns * t)
    X = t[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    X += noise * rng.standard_normal((n, 2))
    return _shuffled(rng, X, y, _NAMES_2D)


def blobs(
    n: int = 300,
    noise: float = 1.0,
    seed: int | None = 0,
    *,
    n_classes: int = 3,
    balance: Sequence[float] | None = None,
) -> Dataset:
    """``n_classes`` Gaussian blobs with centres evenly spaced on a circle of radius 4.

    Uses ``sklearn.datasets.make_blobs``. Evenly spaced centres make every class reachable by a
    softmax regression, so the only difficulty is the overlap set by ``noise``.

    Parameters
    ----------
    n : int
        Number of samples.
    noise : float
        Standard deviation of each blob.
    seed : int or None
        Seed for ``np.random.default_rng``.
    n_classes : int
        Number of classes, 2 to 8 (the GUI offers 3 to 8; two blobs are :func:`two_gaussians`).
    balance : sequence of float or None
        Share of each class (normalised to sum to 1); ``None`` means equal shares.

    Returns
    -------
    Dataset
        ``X`` of shape (n, 2), ``n_classes`` classes.
    """
    if not 2 <= n_classes <= 8:
        raise ValueError(f"blobs makes 2 to 8 classes, got {n_classes}")
    shares = np.full(n_classes, 1.0 / n_classes) if balance is None else np.asarray(balance, float)
    if shares.shape != (n_classes,):
        raise ValueError(f"balance needs {n_classes} shares, got {len(shares)}")
    rng = np.random.default_rng(seed)
    counts = _split_counts(n, shares)
    angle = 2.0 * np.pi * np.arange(n_classes) / n_classes
    centres = 4.0 * np.column_stack([np.cos(angle), np.sin(angle)])
    from sklearn.datasets import make_blobs  # lazy: scikit-learn takes ~1 s to import

    X, y = make_blobs(
        n_samples=[int(c) for c in counts], centers=centres, cluster_std=noise, random_state=_sklearn_seed(rng)
    )
    return Dataset.from_labels(X, y, feature_names=_NAMES_2D)


def one_d_gaussians(n: int = 200, noise: float = 2.0, seed: int | None = 0, *, balance: float = 0.5) -> Dataset:
    """One feature ``x``: class 0 ~ N(-4, noise²), class 1 ~ N(4, noise²).

    The 1-D case shows the fitted sigmoid itself; with the default sd of 2 the classes overlap
    slightly (Bayes error 2.3 %), so the unpenalised optimum exists.

    Parameters
    ----------
    n : int
        Number of samples.
    noise : float
        Standard deviation of each class.
    seed : int or None
        Seed for ``np.random.default_rng``.
    balance : float
        Fraction of class 1, in (0, 1).

    Returns
    -------
    Dataset
        ``X`` of shape (n, 1), feature named ``x``.
    """
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(2), _split_counts(n, _binary_shares(balance)))
    X = (np.where(y == 1, 4.0, -4.0) + noise * rng.standard_normal(n))[:, None]
    return _shuffled(rng, X, y, ("x",))


def glm6() -> Dataset:
    """The six-point textbook example with a known ``glm`` optimum (docs/design.md §2).

    x = 2, 3, 5, 7, 11, 13 and y = 0, 0, 1, 0, 1, 1; R's ``glm(y ~ x, binomial)`` gives
    w = 0.551775920706039, b = -3.54907067213626. Same data as ``resources/examples/glm6.csv``.

    Returns
    -------
    Dataset
        ``X`` of shape (6, 1), feature ``x``, label column ``y``, classes (0, 1).
    """
    X = np.array([2.0, 3.0, 5.0, 7.0, 11.0, 13.0])[:, None]
    return Dataset.from_labels(X, [0, 0, 1, 0, 1, 1], feature_names=("x",), label_name="y")


@dataclass(frozen=True)
class GeneratedLogistic:
    """A dataset drawn from a known logistic model, with the truth that generated it.

    Attributes
    ----------
    dataset : Dataset
        The raw inputs ``X`` (n, d) and labels.
    weights : np.ndarray
        True weights, shape (d,), or (2 d,) on ``[sin x, cos x]`` when ``transform == "sincos"``.
    bias : float
        True intercept.
    transform : str or None
        ``None`` (the logit is linear in ``X``) or ``"sincos"``.
    """

    dataset: Dataset
    weights: np.ndarray
    bias: float
    transform: str | None = None

    def logit(self, X: np.ndarray) -> np.ndarray:
        """True log-odds ``w . phi(x) + b`` (no logit noise), shape (n,), for ``X`` (n, d)."""
        return _apply_transform(np.asarray(X, float), self.transform) @ self.weights + self.bias


def logistic_model(
    n: int,
    weights: Sequence[float],
    bias: float = 0.0,
    *,
    distribution: str = "normal",
    rho: float = 0.0,
    logit_noise: float = 0.0,
    transform: str | None = None,
    seed: int | None = 0,
) -> GeneratedLogistic:
    """Sample ``y ~ Bernoulli(sigmoid(w . phi(x) + b + logit_noise * e))`` with ``e ~ N(0, 1)``.

    Because the truth is known, tests and lessons can check that a fit recovers it (within its
    standard errors) and see what correlated inputs (``rho``) or unmodelled noise do to it.
    ``logit_noise`` > 0 is a model the fit cannot represent: it shrinks the fitted weights.

    Parameters
    ----------
    n : int
        Number of samples.
    weights : sequence of float
        True weights, length d; with ``transform="sincos"`` length 2 d, ordered
        ``[sin x1 .. sin xd, cos x1 .. cos xd]`` (the order of ``engine.features.TERMS``).
    bias : float
        True intercept.
    distribution : {"normal", "uniform"}
        Marginal of each input before correlating: N(0, 1), or uniform on (-sqrt 3, sqrt 3)
        (also variance 1). Correlation mixes uniforms, so with ``rho != 0`` the uniform marginals
        are only approximately uniform.
    rho : float
        Correlation between inputs: covariance ``rho ** |i - j|`` (Toeplitz, AR(1)); |rho| < 1.
    logit_noise : float
        Standard deviation of Gaussian noise added to each logit.
    transform : {None, "sincos"}
        Feature map ``phi`` in which the model is linear.
    seed : int or None
        Seed for ``np.random.default_rng``.

    Returns
    -------
    GeneratedLogistic
        The dataset (``X`` of shape (n, d), features ``x1 .. xd``, classes 0/1) and the truth.
    """
    w = np.array(weights, dtype=np.float64).ravel()
    if transform not in (None, "sincos"):
        raise ValueError(f"transform must be None or 'sincos', got {transform!r}")
    if transform == "sincos" and w.size % 2:
        raise ValueError("with transform='sincos' give 2 weights per input: sin terms, then cos")
    d = w.size // 2 if transform == "sincos" else w.size
    if d < 1:
        raise ValueError("weights must not be empty")
    if not -1.0 < rho < 1.0:
        raise ValueError(f"rho must lie strictly between -1 and 1, got {rho}")
    rng = np.random.default_rng(seed)
    if distribution == "normal":
        Z = rng.standard_normal((n, d))
    elif distribution == "uniform":
        Z = rng.uniform(-np.sqrt(3.0), np.sqrt(3.0), (n, d))
    else:
        raise ValueError(f"distribution must be 'normal' or 'uniform', got {distribution!r}")
    lags = np.abs(np.subtract.outer(np.arange(d), np.arange(d)))
    X = Z @ np.linalg.cholesky(rho**lags).T
    truth_logit = _apply_transform(X, transform) @ w + bias
    if logit_noise > 0:
        truth_logit = truth_logit + logit_noise * rng.standard_normal(n)
    y = (rng.random(n) < sigmoid(truth_logit)).astype(np.int64)
    names = tuple(f"x{i + 1}" for i in range(d))
    return GeneratedLogistic(Dataset.from_labels(X, y, feature_names=names), w, float(bias), transform)


def sincos(X: np.ndarray) -> np.ndarray:
    """``[sin x1 .. sin xd, cos x1 .. cos xd]`` for ``X`` of shape (n, d); returns (n, 2 d)."""
    X = np.asarray(X, dtype=np.float64)
    return np.hstack([np.sin(X), np.cos(X)])


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _binary_shares(balance: float) -> tuple[float, float]:
    """Shares (class 0, class 1) for a fraction ``balance`` of class 1."""
    if not 0.0 < balance < 1.0:
        raise ValueError(f"balance (fraction of class 1) must lie in (0, 1), got {balance}")
    return (1.0 - balance, balance)


def _split_counts(n: int, shares, *, at_least_one: bool = True) -> np.ndarray:
    """Split ``n`` into integer counts proportional to ``shares`` that sum to ``n`` exactly.

    Largest-remainder rounding; with ``at_least_one`` every class gets a sample, because a class
    with no samples would silently vanish from the Dataset's classes.
    """
    shares = np.asarray(shares, dtype=np.float64)
    if np.any(shares < 0) or not np.isfinite(shares).all() or shares.sum() <= 0:
        raise ValueError(f"shares must be non-negative and not all zero, got {shares.tolist()}")
    k = shares.size
    n = int(n)
    if at_least_one and n < k:
        raise ValueError(f"need at least {k} samples for {k} classes, got n={n}")
    exact = n * shares / shares.sum()
    counts = np.floor(exact).astype(np.int64)
    remainder_order = np.argsort(-(exact - counts), kind="stable")
    counts[remainder_order[: n - counts.sum()]] += 1
    if at_least_one:
        for empty in np.flatnonzero(counts == 0):
            counts[np.argmax(counts)] -= 1
            counts[empty] = 1
    return counts


def _sklearn_seed(rng: np.random.Generator) -> int:
    """An int ``random_state`` for scikit-learn drawn from our generator, so one seed rules all."""
    return int(rng.integers(2**31 - 1))


def _shuffled(rng: np.random.Generator, X: np.ndarray, y: np.ndarray, names: tuple[str, ...]) -> Dataset:
    order = rng.permutation(len(y))
    return Dataset.from_labels(X[order], y[order], feature_names=names)


def _apply_transform(X: np.ndarray, transform: str | None) -> np.ndarray:
    return sincos(X) if transform == "sincos" else X
