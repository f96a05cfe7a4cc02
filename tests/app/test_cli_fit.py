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


# ---------------------------------------------------------------- --until-converged / --tol
def test_until_converged_reports_converged_at_the_engines_epoch(capsys):
    from engine.csv_io import read_csv
    from engine.training import TrainConfig, Trainer

    status, report, _ = _fit_json(capsys, example("glm6.csv"), "--lr", "0.05", "--batch-size", "0", "--until-converged")
    assert status == 0 and report["stopped_because"] == "converged"
    engine = Trainer(
        read_csv(example("glm6.csv")),
        TrainConfig(lr=0.05, batch_size=0, epochs=0, tol=1e-4, n_iter_no_change=10, dtype="float64"),
    ).fit()
    assert report["epochs_run"] == engine.epochs_run < 200


def test_tol_and_patience_flags_and_the_epoch_cap(capsys):
    args = (example("glm6.csv"), "--lr", "0.05", "--batch-size", "0", "--tol", "1e-9", "--n-iter-no-change", "3")
    _, capped, _ = _fit_json(capsys, *args, "--epochs", "20")
    assert capped["stopped_because"] == "epochs" and capped["epochs_run"] == 20
    _, loose, _ = _fit_json(
        capsys, example("glm6.csv"), "--lr", "0.05", "--batch-size", "0", "--until-converged", "1e-2"
    )
    assert loose["stopped_because"] == "converged" and 0 < loose["epochs_run"] < _default_tol_epochs(capsys)


@pytest.mark.parametrize(
    "args",
    [["--epochs", "0"], ["--tol", "-1"], ["--until-converged", "--n-iter-no-change", "0"], ["--until-converged", "x"]],
)
def test_bad_convergence_options_are_one_error_line(capsys, args):
    assert main(["fit", str(example("glm6.csv")), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and err.count("\n") == 1


def test_help_documents_until_converged(capsys):
    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    out = capsys.readouterr().out
    assert "--until-converged" in out and "converged" in out and "--n-iter-no-change" in out


def _default_tol_epochs(capsys) -> int:
    _, report, _ = _fit_json(capsys, example("glm6.csv"), "--lr", "0.05", "--batch-size", "0", "--until-converged")
    return report["epochs_run"]
