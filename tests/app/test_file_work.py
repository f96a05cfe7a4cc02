"""Save and Open run the file work in a background thread: the window keeps turning (timers,
painting) while a big session is written or read, and the caller still gets a plain answer.
Before, a million-point session froze the window 835 ms on Save and 869 ms on Open
(benchmarks/big_data_bench.py), and Open still ~0.5 s after it moved to a thread: one json.loads of
the whole file held the interpreter lock; now the big arrays are parsed a slice at a time."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import QTimer

import lab_app.window.files as files
from engine import session_text
from engine.serialize import load_session


def gui_turns_during(monkeypatch, window, name):
    """Patch ``files.<name>`` so that it waits (in whatever thread runs it) for a GUI-thread timer:
    it can fire only if the GUI thread is free. Returns the record of what happened."""
    real = getattr(files, name)
    seen = {}

    def spy(*args):
        fired = threading.Event()
        QTimer.singleShot(0, window, fired.set)  # runs in the window's (the GUI) thread
        seen["thread"] = threading.current_thread().name
        seen["gui_turned"] = fired.wait(5.0)
        return real(*args)

    monkeypatch.setattr(files, name, spy)
    return seen


def test_save_writes_in_the_background_and_the_window_keeps_turning(qtbot, window, tmp_path, monkeypatch):
    seen = gui_turns_during(monkeypatch, window, "save_session")
    path = tmp_path / "s.logitlab.json"
    assert window.files.save_to(path)
    assert seen == {"thread": "logit-lab-file", "gui_turned": True}
    np.testing.assert_array_equal(load_session(path)["dataset"].X, window.document.X)
    assert not window.files.is_modified()


def test_open_reads_in_the_background_and_applies_the_session(qtbot, make_window, tmp_path, monkeypatch):
    first = make_window()
    path = tmp_path / "s.logitlab.json"
    first.document.add_points([[2.5, -1.5]])
    assert first.files.save_to(path)
    second = make_window()
    seen = gui_turns_during(monkeypatch, second, "load_session")
    assert second.files.open_session(path, ask=False)
    assert seen == {"thread": "logit-lab-file", "gui_turned": True}
    np.testing.assert_array_equal(second.document.X, first.document.X)


def test_open_parses_the_points_in_slices_and_the_window_turns_between_them(qtbot, make_window, tmp_path, monkeypatch):
    first = make_window()
    first.document.add_points(np.random.default_rng(0).normal(size=(3000, 2)))
    path = tmp_path / "s.logitlab.json"
    assert first.files.save_to(path)
    monkeypatch.setattr(session_text, "ROWS_PER_SLICE", 500)
    second = make_window()
    real, turned = session_text._numbers, []

    def slice_waiting_for_the_gui(items, table):
        fired = threading.Event()
        QTimer.singleShot(0, second, fired.set)  # fires only if the GUI thread is free mid-parse
        turned.append(fired.wait(5.0))
        return real(items, table)

    monkeypatch.setattr(session_text, "_numbers", slice_waiting_for_the_gui)
    assert second.files.open_session(path, ask=False)
    assert len(turned) > 6 and all(turned)  # points, labels and the test rows: several slices each
    np.testing.assert_array_equal(second.document.X, first.document.X)


def test_a_failed_background_save_is_reported_and_keeps_the_work(qtbot, window, tmp_path, monkeypatch):
    def full_disk(path, session, *args):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(files, "save_session", full_disk)
    window.document.add_points([[0.5, 0.5]])
    errors = []
    monkeypatch.setattr(window.files.dialogs, "error", lambda parent, title, text: errors.append((title, text)))
    assert not window.files.save_to(tmp_path / "s.logitlab.json")
    assert errors and errors[0][0] == "Cannot save" and "space" in errors[0][1].lower()
    assert window.files.is_modified()


@pytest.mark.parametrize("name", ["save_session", "load_session"])
def test_the_background_helper_raises_the_functions_own_exception(qtbot, window, name):
    from lab_app.window.file_work import run_in_background

    def boom():
        raise ValueError(f"{name}: bad")

    with pytest.raises(ValueError, match="bad"):
        run_in_background(window, "Working…", boom)
    assert run_in_background(window, "Working…", lambda a, b: a + b, 2, 3) == 5
