"""Logit Lab's training engine: pure NumPy (+ scikit-learn), never Qt.

Usable from a notebook::

    from engine import read_csv, TrainConfig, Trainer
    trainer = Trainer(read_csv("moons.csv"), TrainConfig(hidden=(16,), lr=0.01, epochs=200))
    result = trainer.fit()
    trainer.model.predict_proba(X)
"""

from .csv_io import read_csv, write_csv
from .data import DataError, Dataset
from .model import GridEvaluator, Model
from .training import EpochReport, FitResult, TrainConfig, Trainer

__all__ = [
    "DataError",
    "Dataset",
    "EpochReport",
    "FitResult",
    "GridEvaluator",
    "Model",
    "TrainConfig",
    "Trainer",
    "read_csv",
    "write_csv",
]
