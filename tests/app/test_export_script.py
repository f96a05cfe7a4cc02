"""File ▸ Export as script and File ▸ Export model, through the real window with scripted dialogs."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PySide6.QtWidgets import QMenu

import engine

from window_helpers import train


def _file_action(window, name):
    menu = window.findChild(QMenu, "menuFile")
    action = next(a for a in menu.actions() if a.objectName() == name)
    assert not action.shortcut().isEmpty(), name
    return action


def _run(path):
    done = subprocess.run([sys.executable, str(path)], cwd=path.parent, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.slow
def test_export_as_script_writes_a_script_that_retrains_the_run(make_window, qtbot, tmp_path):
    w = make_window(epochs=15, dtype="float64")  # float64: the NumPy script then agrees to 1e-6
    train(qtbot, w)
    path = tmp_path / "lab_run.py"
    w.files.dialogs.paths, w.files.dialogs.flavour = [str(path)], "numpy"
    _file_action(w, "actionExportScript").trigger()
    assert not w.files.dialogs.errors and path.exists()
    result = _run(path)
    c = w.controller
    coef, intercept = c.run_info.model_at(c.latest.params).coef_intercept()
    assert np.max(np.abs(np.array(result["coef"]) - coef)) <= 1e-6
    assert np.max(np.abs(np.array(result["intercept"]) - intercept)) <= 1e-6
    assert result["train_loss"] == pytest.approx(c.history[-1].train_loss, abs=1e-6)
    assert result["train_accuracy"] == pytest.approx(c.history[-1].train_accuracy, abs=1e-12)


@pytest.mark.slow
def test_a_run_until_stopped_exports_the_epochs_trained_and_a_cancel_writes_nothing(make_window, qtbot, tmp_path):
    w = make_window(epochs=0, tol=0.0)  # until stopped
    w.files.dialogs.flavour = None  # the flavour question cancelled
    assert not w.files.export_script()
    w.controller.step()
    qtbot.waitUntil(lambda: w.controller.latest is not None and w.controller.latest.epoch == 1, timeout=10000)
    path = tmp_path / "until_stopped.py"
    w.files.dialogs.paths, w.files.dialogs.flavour = [str(path)], "sklearn"
    assert w.files.export_script()
    source = path.read_text(encoding="utf-8")
    assert "EPOCHS = 1\n" in source and "LogisticRegression" in source
    assert _run(path)["coef"] is not None


def test_export_model_writes_what_engine_load_model_reads(make_window, qtbot, tmp_path):
    w = make_window(epochs=3)
    train(qtbot, w)
    path = tmp_path / "model.json"
    w.files.dialogs.paths = [str(path)]
    _file_action(w, "actionExportModel").trigger()
    assert not w.files.dialogs.errors
    loaded = engine.load_model(path)
    assert np.array_equal(loaded.network.params, w.controller.latest.params)
    assert engine.equation_text(loaded).startswith("logit P(")
