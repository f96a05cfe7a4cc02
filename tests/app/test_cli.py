"""``logit-lab fit`` end to end: reports, exit statuses, and one-line errors for bad files."""

import json
import subprocess
import sys

import pytest

from lab_app.cli import main
from resources import example


def _run(capsys, *args):
    status = main(["fit", *map(str, args)])
    out = capsys.readouterr()
    return status, out.out, out.err


def test_json_report_has_every_key(capsys, tmp_path):
    status, out, _ = _run(capsys, example("glm6.csv"), "--epochs", "20", "--json", "--test-fraction", "0.34")
    assert status == 0
    report = json.loads(out)
    for key in (
        "model",
        "classes",
        "features",
        "n_train",
        "n_test",
        "epochs_run",
        "stopped_because",
        "train_loss",
        "test_loss",
        "objective",
        "train_accuracy",
        "test_accuracy",
        "coef",
        "intercept",
        "seconds",
    ):
        assert key in report
    assert report["n_train"] + report["n_test"] == 6 and report["n_test"] == 2
    assert report["epochs_run"] == 20 and report["stopped_because"] == "epochs"


def test_human_report_shows_the_equation(capsys):
    status, out, _ = _run(capsys, example("glm6.csv"), "--epochs", "5")
    assert status == 0 and "logit P(1) =" in out and "epochs          5 (epochs)" in out


@pytest.mark.parametrize(
    "content,line_hint",
    [
        (b"", "empty"),
        (b"x,y,label\n1,2,a\n3,4\n", "line 3"),
        (b"x,y,label\n1,2,a\n3,4,b\n5,oops,b\n", "line 4"),
        (b"x,y,label\n1,2,a\nnan,4,b\n", "line 3"),
        (b"x,y,label\n1,2,a\n3,inf,b\n", "line 3"),
        (b"x,y,label\n1,2,a\n3,4,\n", "line 3"),
        (b"x,y,label\n", "no data"),
        (b"\x00\x01\x02binary", "binary"),
        (b"x,y,label\n1,2,a\n3,4,a\n", "one class"),
        (b"name,label\nfoo,a\nbar,b\n", "numeric"),
    ],
)
def test_malformed_csv_exits_2_with_one_error_line(tmp_path, capsys, content, line_hint):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    status, out, err = _run(capsys, path)
    assert status == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1
    assert line_hint.lower() in err.lower()


def test_missing_file_and_bad_options_exit_2(capsys, tmp_path):
    status, _, err = _run(capsys, tmp_path / "nope.csv")
    assert status == 2 and "nope.csv" in err and err.count("\n") == 1
    status, _, err = _run(capsys, example("glm6.csv"), "--optimizer", "rmsprop")
    assert status == 2 and err.startswith("error: ") and err.count("\n") == 1
    status, _, err = _run(capsys, example("glm6.csv"), "--lr", "-1")
    assert status == 2 and "learning rate" in err


def test_save_model_and_session_round_trip(capsys, tmp_path):
    from engine.model_file import load_model
    from engine.serialize import load_session

    status, _, _ = _run(
        capsys,
        example("glm6.csv"),
        "--epochs",
        "30",
        "--save-model",
        tmp_path / "m.json",
        "--save-session",
        tmp_path / "s.json",
    )
    assert status == 0
    model = load_model(tmp_path / "m.json")
    session = load_session(tmp_path / "s.json")
    assert model.classes == (0, 1)
    assert session["model"].network.params.tobytes() == model.network.params.tobytes()
    assert len(session["history"]) == 30 and session["dataset"].n_samples == 6


@pytest.mark.slow  # end to end: a real process
def test_python_dash_m_entry_point(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "lab_app", "fit", str(example("glm6.csv")), "--epochs", "3", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["epochs_run"] == 3


def test_out_of_memory_exits_2_with_one_error_line(monkeypatch, capsys):
    def too_big(*_args, **_kwargs):
        raise MemoryError

    monkeypatch.setattr("engine.csv_io.read_csv", too_big)  # as a 1 GB file on a small machine
    assert main(["fit", str(example("glm6.csv"))]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: not enough memory") and err.count("\n") == 1
