"""`logit-lab fit` against R's glm and on a diverging run: exit codes and the JSON report."""

import json
import math

import pytest
from sklearn.datasets import load_breast_cancer

from lab_app.cli import main
from resources import example

GLM_W, GLM_B = 0.551775920706039, -3.54907067213626


def _fit_json(capsys, *args):
    status = main(["fit", *map(str, args), "--json"])
    out = capsys.readouterr()
    return status, (json.loads(out.out) if out.out.strip() else None), out.err


def test_cli_reproduces_r_glm(capsys):
    status, report, _ = _fit_json(
        capsys,
        example("glm6.csv"),
        "--optimizer",
        "adam",
        "--lr",
        "0.05",
        "--batch-size",
        "0",
        "--epochs",
        "3000",
        "--no-standardize",
    )
    assert status == 0
    assert report["model"] == "logistic" and report["classes"] == [0, 1]
    assert report["coef"][0][0] == pytest.approx(GLM_W, abs=1e-4)
    assert report["intercept"][0] == pytest.approx(GLM_B, abs=1e-4)
    assert -6 * report["train_loss"] == pytest.approx(-2.35340, abs=1e-4)


def test_high_learning_rate_diverges_and_keeps_finite_weights(tmp_path, capsys):
    data = load_breast_cancer()
    csv = tmp_path / "cancer.csv"
    rows = ["radius,area,label"] + [
        f"{float(r)!r},{float(a)!r},{t}" for r, a, t in zip(data.data[:, 0], data.data[:, 3], data.target)
    ]
    csv.write_text("\n".join(rows) + "\n")
    status, report, err = _fit_json(
        capsys, csv, "--optimizer", "sgd", "--lr", "10", "--no-standardize", "--epochs", "50"
    )
    assert status == 3
    assert report["stopped_because"] == "diverged"
    assert report["diverged_epoch"] >= 1
    assert "diverged" in err and "learning rate" in err and err.count("\n") == 1
    flat = json.dumps(report)
    assert "NaN" not in flat and "Infinity" not in flat
    assert all(math.isfinite(v) for row in report["coef"] for v in row)
