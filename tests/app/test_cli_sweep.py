"""``logit-lab sweep``: one JSON line per run with ``fit``'s keys, each run equal to its own ``fit``,
and ``fit``'s exit statuses."""

import json
import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, make_moons

from engine.report import REPORT_KEYS
from lab_app.cli import main
from resources import example

SETTING_KEYS = ("lr", "batch_size", "l2", "hidden", "optimizer", "seed")


@pytest.fixture(scope="module")
def moons_csv(tmp_path_factory):
    X, y = make_moons(n_samples=80, noise=0.25, random_state=0)
    path = tmp_path_factory.mktemp("sweep") / "moons.csv"
    path.write_text("x1,x2,label\n" + "".join(f"{float(a)!r},{float(b)!r},{t}\n" for (a, b), t in zip(X, y)))
    return path


def _run(capsys, command, *args):
    status = main([command, *map(str, args)])
    out = capsys.readouterr()
    return status, out.out, out.err


def _lines(out):
    return [json.loads(line) for line in out.splitlines()]


def test_one_json_line_per_run_in_grid_order_each_equal_to_its_fit(capsys, moons_csv):
    common = ("--epochs", "12", "--test-fraction", "0.25", "--seed", "4", "--hidden", "6", "--json")
    status, out, err = _run(capsys, "sweep", moons_csv, "--lr", "1e-3,1e-2,1e-1", "--batch-size", "16,64,0", *common)
    assert status == 0 and err == ""
    lines = _lines(out)
    assert [(r["lr"], r["batch_size"]) for r in lines] == [(lr, b) for lr in (0.001, 0.01, 0.1) for b in (16, 64, 0)]
    for r in lines:
        assert tuple(r) == SETTING_KEYS + REPORT_KEYS
        assert r["hidden"] == [6] and r["model"] == "mlp" and r["seed"] == 4
    for r in (lines[0], lines[5], lines[8]):
        status, fit_out, _ = _run(capsys, "fit", moons_csv, "--lr", r["lr"], "--batch-size", r["batch_size"], *common)
        fit = json.loads(fit_out)
        assert status == 0
        assert {k: v for k, v in fit.items() if k != "seconds"} == {k: r[k] for k in REPORT_KEYS if k != "seconds"}
    # 60 training points: batch 64 is the full batch, the other settings all differ
    assert [r["train_loss"] for r in lines[1::3]] == [r["train_loss"] for r in lines[2::3]]
    assert len({r["train_loss"] for r in lines}) == 6


def test_log_grid_hidden_and_optimizer_axes(capsys, moons_csv):
    status, out, _ = _run(capsys, "sweep", moons_csv, "--lr", "1e-4:1:5", "--epochs", "2", "--json")
    assert status == 0 and [r["lr"] for r in _lines(out)] == [0.0001, 0.001, 0.01, 0.1, 1.0]
    status, out, _ = _run(
        capsys, "sweep", moons_csv, "--hidden", "none;4;4,4", "--optimizer", "sgd,adam", "--epochs", "2", "--json"
    )
    lines = _lines(out)
    assert status == 0 and len(lines) == 6
    assert [(r["hidden"], r["optimizer"], r["model"]) for r in lines[:3]] == [
        ([], "sgd", "logistic"),
        ([], "adam", "logistic"),
        ([4], "sgd", "mlp"),
    ]
    assert lines[0]["coef"] is not None and lines[2]["coef"] is None


def test_human_output_is_one_line_per_run(capsys, moons_csv):
    status, out, _ = _run(capsys, "sweep", moons_csv, "--l2", "0,0.01", "--epochs", "3")
    assert status == 0 and len(out.splitlines()) == 2 and out.startswith("l2 0  ")


@pytest.mark.parametrize(
    "args,hint",
    [
        (("--epochs", "3"), "nothing to sweep"),
        (("--lr", "0.1,0.2", "--l2", "0,1", "--batch-size", "8,16"), "one or two"),
        (("--lr", "0.1,fast"), "--lr"),
        (("--lr", "1e-3:1:x"), "--lr"),
        (("--lr", "0.1,-1"), "learning rate"),
        (("--batch-size", "8,eight"), "--batch-size"),
        (("--hidden", "4;x"), "--hidden"),
        (("--optimizer", "adam,rmsprop"), "optimizer"),
        (("--lr", "0.1,0.1"), "repeats"),
        (("--lr", "0.1,0.2", "--epochs", "0"), "--epochs"),
        (("--lr", "0.1,0.2", "--model", "logistic", "--hidden", "4"), "hidden"),
    ],
)
def test_bad_options_exit_2_with_one_error_line(capsys, moons_csv, args, hint):
    status, out, err = _run(capsys, "sweep", moons_csv, *args)
    assert status == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and hint in err


def test_bad_files_exit_2_with_one_error_line(capsys, tmp_path):
    status, out, err = _run(capsys, "sweep", tmp_path / "nope.csv", "--lr", "0.1,0.2")
    assert status == 2 and out == "" and "nope.csv" in err and err.count("\n") == 1
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y,label\n1,2,a\n3,oops,b\n")
    status, out, err = _run(capsys, "sweep", bad, "--lr", "0.1,0.2")
    assert status == 2 and out == "" and "line 3" in err and err.count("\n") == 1
    status, out, err = _run(capsys, "sweep", example("glm6.csv"), "--lr", "0.1,0.2", "--model", "softmax")
    assert status == 0  # softmax on two classes is allowed, as in fit


def test_a_diverging_run_exits_3_after_every_line(tmp_path, capsys):
    data = load_breast_cancer()
    csv = tmp_path / "cancer.csv"
    rows = ["radius,area,label"] + [
        f"{float(r)!r},{float(a)!r},{t}" for r, a, t in zip(data.data[:, 0], data.data[:, 3], data.target)
    ]
    csv.write_text("\n".join(rows) + "\n")
    args = ("--optimizer", "sgd", "--lr", "1e-9,10", "--no-standardize", "--epochs", "20", "--json")
    status, out, err = _run(capsys, "sweep", csv, *args)
    lines = _lines(out)
    assert status == 3 and len(lines) == 2
    assert [r["stopped_because"] for r in lines] == ["epochs", "diverged"]
    assert "diverged" in err and "lr 10" in err and err.count("\n") == 1
    assert all(np.isfinite(v) for v in lines[1]["coef"][0])


@pytest.mark.slow  # end to end: a real process
def test_sweep_runs_in_a_process_without_importing_qt(moons_csv):
    code = (
        "import sys; from lab_app.cli import main; "
        f"status = main(['sweep', {str(moons_csv)!r}, '--lr', '0.01,0.1', '--epochs', '2', '--json']); "
        "assert not any(m.startswith(('PySide6', 'pyqtgraph')) for m in sys.modules), 'Qt imported'; "
        "sys.exit(status)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["lr"] for line in done.stdout.splitlines()] == [0.01, 0.1]
