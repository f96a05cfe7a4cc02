"""Exported scripts (engine.script_export) against `logit-lab fit --json` and the exact optimum.

Each script runs in its own interpreter (``sys.executable``) from a temporary folder, as a user
would run it: the NumPy script must reproduce `fit --json` to 1e-6, the scikit-learn script must
land on the reference optimum (engine.reference.fit_reference) to 1e-3 relative, and the PyTorch
and Keras scripts must compile everywhere and run where their packages are installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine import generators
from engine.csv_io import read_csv, write_csv
from engine.reference import fit_reference
from engine.script_export import EMBED_LIMIT, FLAVOURS, render_script, save_script
from engine.training import TrainConfig, Trainer
from resources import example

ROOT = Path(__file__).resolve().parents[2]  # this checkout: the subprocesses use its engine and lab_app
GLM_W, GLM_B = 0.551775920706039, -3.54907067213626
KEYS = ("coef", "intercept", "train_loss", "train_accuracy")

#: name -> (data maker, `fit` options). glm6 is design.md §2's reference run.
CASES = {
    "glm6": (
        lambda folder: example("glm6.csv"),
        "--optimizer adam --lr 0.05 --batch-size 0 --epochs 3000 --no-standardize",
    ),
    "softmax3": (
        lambda folder: _csv(folder, "blobs.csv", generators.blobs(n=150, noise=1.5, seed=1)),
        "--model softmax --optimizer adam --lr 0.05 --batch-size 32 --epochs 150 --l2 0.001"
        " --test-fraction 0.2 --seed 3",
    ),
    "softmax3_full": (  # full batch until converged: fit --json sits on the optimum
        lambda folder: _csv(folder, "blobs.csv", generators.blobs(n=150, noise=1.5, seed=1)),
        "--model softmax --optimizer adam --lr 0.05 --batch-size 0 --epochs 3000 --l2 0.001"
        " --test-fraction 0.2 --seed 3",
    ),
    "mlp": (
        lambda folder: _csv(folder, "xor.csv", generators.xor(n=120, seed=2)),
        "--hidden 8,4 --activation tanh --features poly2 --optimizer momentum --lr 0.05 --batch-size 16"
        " --epochs 40 --l1 0.001 --l2 0.002 --seed 5",
    ),
    "mlp_relu_early": (
        lambda folder: _csv(folder, "moons.csv", generators.moons(n=100, seed=4)),
        "--hidden 6 --activation relu --features sincos --optimizer sgd --lr 0.2 --batch-size 10"
        " --epochs 60 --test-fraction 0.3 --early-stopping 3 --seed 1",
    ),
    "large_csv": (
        lambda folder: _csv(folder, "gauss.csv", generators.two_gaussians(n=EMBED_LIMIT + 50, seed=6)),
        "--optimizer adam --lr 0.01 --batch-size 64 --epochs 3 --seed 2",
    ),
}


def _csv(folder: Path, name: str, dataset) -> Path:
    path = folder / name
    write_csv(path, dataset)
    return path


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _run_script(path: Path) -> dict:
    done = subprocess.run(
        [sys.executable, str(path)], cwd=path.parent, capture_output=True, text=True, timeout=240, env=_env()
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, done.stdout  # one JSON line
    result = json.loads(lines[0])
    assert set(result) == set(KEYS)
    return result


class Fitted:
    """One case fitted by `logit-lab fit --json --save-script` (NumPy flavour)."""

    def __init__(self, folder: Path, name: str):
        make_data, options = CASES[name]
        self.folder = folder / name
        self.folder.mkdir()
        self.data = make_data(self.folder)
        self.options = options.split()
        self.script = self.folder / f"{name}.py"
        cmd = [sys.executable, "-m", "lab_app", "fit", str(self.data), *self.options, "--json"]
        cmd += ["--save-script", str(self.script)]
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=240, env=_env())
        assert done.returncode == 0, done.stderr
        self.report = json.loads(done.stdout)
        self.dataset = read_csv(self.data)
        self.config = _config(self.options)

    def reference(self):
        """The exact optimum of the case's linear objective on its training split."""
        trainer = Trainer(self.dataset, self.config)  # the seeded split and fitted standardizer
        model = trainer.model
        phi = model.feature_map.transform(self.dataset.X[trainer.train_idx])
        y = self.dataset.y[trainer.train_idx]
        return fit_reference(phi, y, self.dataset.n_classes, self.config.l2, model.standardizer)


def _config(options: list[str]) -> TrainConfig:
    """The TrainConfig `fit` builds from ``options`` (the CLI's own parser and defaults)."""
    from lab_app.cli import parse_fit_args

    a = parse_fit_args(["data.csv", *options])
    return TrainConfig(
        model=a.model or ("mlp" if a.hidden else "auto"),
        hidden=a.hidden,
        activation=a.activation,
        features=a.features,
        standardize=a.standardize,
        optimizer=a.optimizer,
        lr=a.lr,
        batch_size=a.batch_size,
        epochs=a.epochs,
        l1=a.l1,
        l2=a.l2,
        test_fraction=a.test_fraction,
        seed=a.seed,
        early_stopping=a.early_stopping,
        dtype=a.dtype,
    )


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("script-export")
    cache = {}

    def get(name: str) -> Fitted:
        if name not in cache:
            cache[name] = Fitted(folder, name)
        return cache[name]

    return get


def _flat(result: dict) -> np.ndarray:
    values = [result["train_loss"], result["train_accuracy"]]
    if result["coef"] is not None:
        values += np.ravel(result["coef"]).tolist() + np.ravel(result["intercept"]).tolist()
    return np.array(values, dtype=np.float64)


def _centred(coef, intercept):
    """Softmax parameters pinned to the member of their family whose columns sum to zero."""
    coef, intercept = np.array(coef, dtype=np.float64), np.array(intercept, dtype=np.float64)
    if coef.shape[0] > 1:
        coef, intercept = coef - coef.mean(axis=0), intercept - intercept.mean()
    return coef, intercept


def _relative(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


# ----------------------------------------------------------------------------------- NumPy
@pytest.mark.parametrize("name", list(CASES))
def test_numpy_script_reproduces_fit_json(fitted, name):
    case = fitted(name)
    result = _run_script(case.script)
    assert (result["coef"] is None) == (case.report["coef"] is None)
    if result["coef"] is not None:
        assert np.shape(result["coef"]) == np.shape(case.report["coef"])
    diff = np.max(np.abs(_flat(result) - _flat({k: case.report[k] for k in KEYS})))
    assert diff <= 1e-6, diff


def test_numpy_script_of_glm6_gives_r_glm(fitted):
    result = _run_script(fitted("glm6").script)
    assert result["coef"][0][0] == pytest.approx(GLM_W, abs=1e-4)
    assert result["intercept"][0] == pytest.approx(GLM_B, abs=1e-4)


def test_small_data_are_embedded_and_large_data_read_beside_the_script(fitted):
    small, large = fitted("glm6"), fitted("large_csv")
    assert "DATA_CSV" not in small.script.read_text(encoding="utf-8")
    source = large.script.read_text(encoding="utf-8")
    assert "DATA_CSV" in source and (large.folder / "large_csv.csv").exists()
    assert read_csv(large.folder / "large_csv.csv").n_samples == EMBED_LIMIT + 50


# ----------------------------------------------------------------------------------- scikit-learn
@pytest.mark.parametrize("name", ["glm6", "softmax3", "softmax3_full"])
def test_sklearn_script_reaches_the_reference_optimum(fitted, name, tmp_path):
    case = fitted(name)
    path = tmp_path / "fit_sklearn.py"
    path.write_text(render_script(case.dataset, case.config, "sklearn"), encoding="utf-8")
    result = _run_script(path)
    ref = case.reference()
    coef, intercept = _centred(result["coef"], result["intercept"])
    assert _relative(coef, ref.coef) <= 1e-3
    assert _relative(intercept, ref.intercept) <= 1e-3
    assert result["train_loss"] == pytest.approx(ref.loss, rel=1e-6)


@pytest.mark.parametrize("name", ["glm6", "softmax3_full"])
def test_sklearn_script_agrees_with_a_converged_fit_json(fitted, name, tmp_path):
    case = fitted(name)
    path = tmp_path / f"{name}_sklearn.py"
    path.write_text(render_script(case.dataset, case.config, "sklearn"), encoding="utf-8")
    result = _run_script(path)
    coef, intercept = _centred(result["coef"], result["intercept"])
    fit_coef, fit_intercept = _centred(case.report["coef"], case.report["intercept"])
    assert _relative(coef, fit_coef) <= 1e-3
    assert _relative(intercept, fit_intercept) <= 1e-3


def test_sklearn_script_of_an_mlp_runs(fitted, tmp_path):
    case = fitted("mlp")
    path = tmp_path / "mlp_sklearn.py"
    path.write_text(render_script(case.dataset, case.config, "sklearn"), encoding="utf-8")
    result = _run_script(path)
    assert result["coef"] is None and 0.0 < result["train_loss"] < 1.0
    assert 0.5 <= result["train_accuracy"] <= 1.0


# ----------------------------------------------------------------------------------- PyTorch, Keras
@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("name", ["glm6", "softmax3", "mlp", "mlp_relu_early"])
def test_every_script_compiles(fitted, name, flavour):
    case = fitted(name)
    compile(render_script(case.dataset, case.config, flavour), f"{name}_{flavour}.py", "exec")


@pytest.mark.parametrize(("flavour", "module"), [("pytorch", "torch"), ("keras", "keras")])
@pytest.mark.parametrize("name", ["glm6", "mlp"])
def test_framework_scripts_run_where_installed(fitted, name, flavour, module, tmp_path):
    pytest.importorskip(module)
    case = fitted(name)
    path = tmp_path / f"{name}_{flavour}.py"
    path.write_text(render_script(case.dataset, case.config, flavour), encoding="utf-8")
    result = _run_script(path)
    if name == "glm6":  # converged: the same optimum whatever the initial weights
        assert _relative(result["coef"], case.report["coef"]) <= 1e-2
    assert np.isfinite(result["train_loss"])


# ----------------------------------------------------------------------------------- arguments
def test_render_script_refuses_what_it_cannot_write():
    data = generators.glm6()
    with pytest.raises(ValueError, match="flavour"):
        render_script(data, TrainConfig(epochs=5), "julia")
    with pytest.raises(ValueError, match="epochs"):
        render_script(data, TrainConfig(epochs=0))
    big = generators.two_gaussians(n=EMBED_LIMIT + 1)
    with pytest.raises(ValueError, match="data_path"):
        render_script(big, TrainConfig(epochs=5))


def test_save_script_writes_the_csv_beside_a_large_script(tmp_path):
    big = generators.two_gaussians(n=EMBED_LIMIT + 1)
    written = save_script(tmp_path / "run.py", big, TrainConfig(epochs=1), "numpy")
    assert written == [str(tmp_path / "run.py"), str(tmp_path / "run.csv")]
    assert "run.csv" in (tmp_path / "run.py").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("l1", "l2", "expected"),
    [
        (0.0, 0.25, {"C": 1.0 / (2 * 0.25 * 6)}),  # C = 1/(2·λ·n)
        (0.1, 0.0, {"C": 1.0 / (0.1 * 6), "solver": "saga", "l1_ratio": 1.0}),
        (0.1, 0.05, {"C": 1.0 / (0.2 * 6), "solver": "saga", "l1_ratio": 0.5}),
    ],
)
def test_sklearn_penalty_matches_the_labs(l1, l2, expected):
    source = render_script(generators.glm6(), TrainConfig(epochs=5, l1=l1, l2=l2), "sklearn")
    namespace = {"__name__": "exported"}  # not __main__: define, do not train
    exec(compile(source, "exported.py", "exec"), namespace)
    options = namespace["penalty_options"](6)
    options.pop("penalty", None)  # scikit-learn before 1.8 also names it
    assert options == pytest.approx(expected)


def test_sklearn_script_with_l1_runs(tmp_path):
    path = tmp_path / "l1.py"
    config = TrainConfig(epochs=5, l1=0.01, l2=0.01, features="poly2")
    path.write_text(render_script(generators.moons(n=80, seed=3), config, "sklearn"), encoding="utf-8")
    result = _run_script(path)
    assert np.shape(result["coef"]) == (1, 5) and np.isfinite(result["train_loss"])
