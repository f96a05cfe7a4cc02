"""Logit Lab's training engine: pure NumPy (+ scikit-learn), never Qt.

Usable from a notebook::

    from engine import read_csv, TrainConfig, Trainer
    trainer = Trainer(read_csv("moons.csv"), TrainConfig(hidden=(16,), lr=0.01, epochs=200))
    result = trainer.fit()
    trainer.model.predict_proba(X)
    save_model("model.json", trainer.model)  # weights and preprocessing; load_model reads them back
    print(equation_latex(load_model("model.json")))  # linear models: the equation in original units
"""

from .csv_io import read_csv, write_csv
from .data import DataError, Dataset
from .equation import equation_latex, equation_text
from .model import GridEvaluator, Model
from .model_file import load_model, save_model
from .script_export import render_script, save_script
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
    "equation_latex",
    "equation_text",
    "load_model",
    "read_csv",
    "render_script",
    "save_model",
    "save_script",
    "write_csv",
]
