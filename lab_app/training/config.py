"""The lab's default training configuration, and the configuration a run actually uses.

The controller holds the one configuration the user edits (the Trainer panel shows it). That
configuration keeps the user's choices even when the data cannot use them all (x₂ terms while the
points lie on a line); :func:`effective_config` says what a run on ``n_inputs`` columns trains,
and :class:`~lab_app.training.runs.RunInfo` records that.
"""

from __future__ import annotations

from engine.training import TrainConfig

__all__ = ["DEFAULT_CONFIG", "DEFAULT_N_ITER_NO_CHANGE", "DEFAULT_TOL", "effective_config"]

#: "until converged" (the lab's default): the objective gains less than 0.01% over 10 epochs.
DEFAULT_TOL, DEFAULT_N_ITER_NO_CHANGE = 1e-4, 10

#: What the lab starts with: fast, visibly moving, and correct for the default example; a run
#: ends when converged, not at Pause.
DEFAULT_CONFIG = TrainConfig(
    model="logistic",
    features=("x1", "x2"),
    lr=0.03,
    batch_size=32,
    epochs=0,
    test_fraction=0.2,
    seed=0,
    tol=DEFAULT_TOL,
    n_iter_no_change=DEFAULT_N_ITER_NO_CHANGE,
)


def effective_config(config: TrainConfig, n_inputs: int) -> TrainConfig:
    """``config`` as a run on ``n_inputs`` input columns uses it.

    The input terms (x₁, x₂, x₁², …) are for one or two inputs: with one, the terms of x₂ are
    dropped (x₁ alone if nothing is left); with more than two, the model is linear in every
    input. Preset names ("poly2", …) apply to any number of inputs and stay as they are.
    """
    if isinstance(config.features, str):
        return config
    if n_inputs > 2:
        return config.with_(features="linear")
    if n_inputs == 1:
        terms = tuple(t for t in config.features if "x2" not in t)
        return config.with_(features=terms or ("x1",))
    return config
