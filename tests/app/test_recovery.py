"""Autosave and crash recovery: the session is autosaved atomically while the user works, a clean
exit or a save removes the copy, and after a crash — even ``kill -9`` mid-edit — the next start
offers it back and every point returns."""

from __future__ import annotations

import json
import os
import shutil
import signal
import textwrap
import threading
import time

import numpy as np
import pytest
from killed_lab import first_report, kill_9, start_lab
from PySide6.QtWidgets import QLabel

from engine.data import Dataset
from engine.serialize import load_session, session_to_dict
from engine.training import TrainConfig
from lab_app.io.autosave import Autosaver, find_orphans, recovery_dir

from window_helpers import draw_points, points_by_name, read_only


def tiny_session(n=3):
    ds = Dataset(np.arange(2 * n, dtype=float).reshape(n, 2) / 7, np.arange(n) % 2, ("A", "B"))
    return session_to_dict(ds, TrainConfig())


# ------------------------------------------------------------------ the Autosaver alone
def test_edits_are_debounced_into_one_atomic_write(qtbot, tmp_path):
    captured = []

    def capture():
        captured.append(threading.current_thread().name)
        return tiny_session(len(captured) + 2)

    saver = Autosaver(capture, tmp_path, delay_ms=80, max_wait_ms=5000)
    for _ in range(20):
        saver.schedule()
        qtbot.wait(5)
    with qtbot.waitSignal(saver.saved, timeout=5000) as saved:
        pass
    assert captured == ["MainThread"] and saved.args == [str(saver.path)]
    assert saver.path.parent == tmp_path and saver.path.name.endswith(".logitlab.json")
    assert load_session(saver.path)["dataset"].n_samples == 3
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []
    qtbot.wait(200)
    assert saver.writes == 1  # twenty edits, one write
    saver.close()
    assert not saver.path.exists() and not list(tmp_path.iterdir())  # file and lock gone


def test_a_stream_of_edits_still_saves_within_max_wait(qtbot, tmp_path):
    saver = Autosaver(lambda: tiny_session(), tmp_path, delay_ms=200, max_wait_ms=300)
    start = time.monotonic()
    while saver.writes == 0 and time.monotonic() - start < 5:
        saver.schedule()  # never 200 ms of quiet
        qtbot.wait(20)
    assert saver.writes == 1 and time.monotonic() - start < 1.5
    saver.close()


def test_the_writing_happens_off_the_gui_thread(qtbot, tmp_path, monkeypatch):
    import lab_app.io.autosave as autosave

    threads = []
    real = autosave.save_session

    def spy(path, session, *args):
        threads.append(threading.current_thread().name)
        real(path, session, *args)

    monkeypatch.setattr(autosave, "save_session", spy)
    saver = Autosaver(lambda: tiny_session(), tmp_path, delay_ms=0)
    with qtbot.waitSignal(saver.saved, timeout=5000):
        saver.schedule()
    assert threads == ["logit-lab-autosave"]
    saver.close()


def test_nothing_unsaved_means_no_recovery_file(qtbot, tmp_path):
    state = {"modified": True}
    saver = Autosaver(lambda: tiny_session() if state["modified"] else None, tmp_path, delay_ms=0)
    saver.save_now(wait=True)
    qtbot.waitUntil(lambda: saver.writes == 1)
    state["modified"] = False  # e.g. undone back to the saved state
    saver.save_now(wait=True)
    assert not saver.path.exists()
    saver.close()


def test_an_unwritable_folder_is_reported_not_raised(qtbot, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    saver = Autosaver(lambda: tiny_session(), folder, delay_ms=0)
    with read_only(folder), qtbot.waitSignal(saver.failed, timeout=5000) as failed:
        saver.schedule()
    assert "Autosave" in failed.args[0] and str(folder) in failed.args[0]
    saver.close()


def test_recovery_dir_from_argument_environment_or_app_data(monkeypatch, tmp_path):
    assert recovery_dir(tmp_path) == tmp_path
    monkeypatch.setenv("LOGIT_LAB_RECOVERY_DIR", str(tmp_path / "env"))
    assert recovery_dir() == tmp_path / "env"
    monkeypatch.delenv("LOGIT_LAB_RECOVERY_DIR")
    assert recovery_dir().name == "recovery"


def test_only_files_of_dead_labs_are_orphans(qtbot, tmp_path):
    alive = Autosaver(lambda: tiny_session(), tmp_path, delay_ms=0)
    alive.save_now(wait=True)
    qtbot.waitUntil(lambda: alive.writes == 1)
    assert find_orphans(tmp_path) == []  # its lab is running: not an orphan
    dead = tmp_path / "autosave-99999999-deadbeef.logitlab.json"
    shutil.copy(alive.path, dead)  # a file whose lab is gone (no live lock)
    orphans = find_orphans(tmp_path)
    assert [o.path for o in orphans] == [dead]
    assert find_orphans(tmp_path) == []  # taken: a second lab does not offer it too
    orphans[0].release(delete=False)
    again = find_orphans(tmp_path)
    assert [o.path for o in again] == [dead]
    again[0].release(delete=True)
    assert not dead.exists() and find_orphans(tmp_path) == []
    alive.close()


# ------------------------------------------------------------------ through the window
def wait_for_autosave(qtbot, window, timeout=10000):
    saver = window.files.autosaver
    with qtbot.waitSignal(saver.saved, timeout=timeout):
        saver.save_now()
    return saver.path


def test_edits_in_the_window_are_autosaved_and_a_save_removes_the_copy(qtbot, make_window, tmp_path):
    w = make_window()
    w.files.autosaver.delay_ms = 50
    draw_points(w.document, n=5)
    with qtbot.waitSignal(w.files.autosaver.saved, timeout=10000) as saved:
        pass
    loaded = load_session(saved.args[0])
    xy, names = points_by_name(w.document)
    assert loaded["dataset"].X.tobytes() == xy.tobytes()
    assert [loaded["class_names"][c] for c in loaded["dataset"].y] == names
    assert w.files.save_to(tmp_path / "mine.logitlab.json")
    assert not w.files.autosaver.path.exists()


def test_training_progress_is_autosaved(qtbot, make_window):
    w = make_window(epochs=0, tol=0.0)  # until stopped
    w.files.autosaver.training_interval_ms = 100
    with qtbot.waitSignal(w.files.autosaver.saved, timeout=20000) as saved:
        w.act_train.trigger()
    w.controller.pause()
    session = load_session(saved.args[0])
    assert session["model"] is not None and len(session["history"]) >= 1


def test_a_clean_exit_leaves_no_recovery_file(qtbot, make_window, tmp_path):
    w = make_window()
    w.document.add_points([[0.25, 0.5]])
    path = wait_for_autosave(qtbot, w)
    assert path.exists()
    w.files.dialogs.answers = ["discard"]
    assert w.close()
    assert not path.exists() and find_orphans() == []


def orphan_from(qtbot, window, original=None):
    """Make the window's autosave look like a dead lab's: a copy without a live lock."""
    path = wait_for_autosave(qtbot, window)
    doc = json.loads(path.read_text())
    doc["recovery"]["path"] = original
    orphan = path.with_name("autosave-99999999-00000000.logitlab.json")
    orphan.write_text(json.dumps(doc))
    return orphan


@pytest.mark.parametrize("answer", ["restore", "discard", "cancel"])
def test_the_recovery_offer(qtbot, make_window, tmp_path, answer):
    first = make_window()
    draw_points(first.document, seed=4, n=6)
    expected = points_by_name(first.document)
    orphan = orphan_from(qtbot, first, original=str(tmp_path / "work.logitlab.json"))
    w = make_window()
    w.files.dialogs.answers = [answer]
    restored = w.files.offer_recovery()
    assert restored == (answer == "restore")
    assert w.files.dialogs.asked[0][0] == "Restore unsaved work?"
    if answer == "restore":
        xy, names = points_by_name(w.document)
        assert xy.tobytes() == expected[0].tobytes() and names == expected[1]
        assert w.isWindowModified() and w.files.path == str(tmp_path / "work.logitlab.json")
        assert not orphan.exists() and w.files.autosaver.path.exists()  # our own copy replaced it
    else:
        assert orphan.exists() == (answer == "cancel")
        assert w.document.n_points == 120 and not w.isWindowModified()


def test_a_restore_keeps_the_old_copy_until_a_new_one_is_written(qtbot, make_window, monkeypatch):
    import errno

    import lab_app.io.autosave as autosave

    first = make_window()
    first.document.add_points([[0.5, 0.25]])
    orphan = orphan_from(qtbot, first)

    def full(path, session):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(autosave, "save_session", full)
    w = make_window()
    w.files.dialogs.answers = ["restore"]
    assert w.files.offer_recovery()
    assert w.document.n_points == 121 and orphan.exists()  # restored, and the only copy kept


# ------------------------------------------------------------------ kill -9 mid-edit
CHILD = textwrap.dedent("""
    import json, os, sys, time
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    import numpy as np
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication
    from engine.serialize import load_session, SessionError
    from lab_app.window.main_window import MainWindow

    app = QApplication([])
    w = MainWindow(settings=QSettings(sys.argv[1], QSettings.Format.IniFormat))
    w.files.autosaver.delay_ms = 50
    w.show()
    doc = w.document
    doc.clear()
    doc.add_class()
    rng = np.random.default_rng(7)
    for label in range(3):                       # brush strokes, as the designer makes them
        doc.set_current_class(label)
        with doc.gesture("Brush"):
            for xy in rng.normal(label, 0.6, size=(40, 2)) + 1e-9:
                doc.add_points(xy[None, :])
    with doc.gesture("Move"):                    # and a drag
        doc.move_points([0, 1], doc.xy[[0, 1]] + 0.123456789)
    names = np.array(doc.class_names, dtype=object)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:           # until the autosave holds exactly these points
        app.processEvents()
        time.sleep(0.01)
        try:
            s = load_session(w.files.autosaver.path)
        except SessionError:
            continue
        if (s["dataset"].X.tobytes() == doc.X.tobytes()
                and [s["class_names"][c] for c in s["dataset"].y] == names[doc.labels].tolist()):
            break
    print(json.dumps({"xy": doc.xy.tolist(), "names": names[doc.labels].tolist(),
                      "autosave": str(w.files.autosaver.path)}), flush=True)
    doc.begin_gesture("Drag")                    # mid-edit when the kill comes
    app.exec()
""")


@pytest.mark.slow  # end to end: a real process, or many windows
def test_kill_9_mid_edit_then_restore_recovers_every_point(qtbot, make_window, tmp_path):
    child = start_lab(CHILD, tmp_path)
    try:
        drawn = first_report(child)
        time.sleep(0.2)  # the app idles in its event loop, a gesture open
        assert child.poll() is None
    finally:
        kill_9(child)
    assert child.returncode == -signal.SIGKILL
    autosave = drawn["autosave"]
    assert os.path.exists(autosave)  # kill -9: no clean exit removed it

    w = make_window()  # a new start, same recovery folder
    assert w.files.autosaver.directory == tmp_path / "recovery"
    w.files.dialogs.answers = ["restore"]
    assert w.files.offer_recovery()
    xy, names = w.document.xy, np.array(w.document.class_names, dtype=object)[w.document.labels].tolist()
    assert xy.tobytes() == np.array(drawn["xy"]).tobytes() and names == drawn["names"]
    assert len(names) == 120 and w.isWindowModified()
    assert not os.path.exists(autosave) and find_orphans() == []


def test_a_failing_autosave_is_shown_in_the_window_until_it_works_again(qtbot, make_window, tmp_path):
    w = make_window()
    saver = w.files.autosaver
    saver.delay_ms = 0
    folder = saver.path.parent
    folder.mkdir(parents=True, exist_ok=True)
    with read_only(folder), qtbot.waitSignal(saver.failed, timeout=5000):
        w.document.add_points([[0.3, 0.3]])  # an edit: autosave runs, and cannot write
    warning = w.findChild(QLabel, "autosaveWarning")
    assert warning is not None and warning.isVisible() and "Autosave failing" in warning.text()
    assert str(folder) in warning.toolTip() and "Autosave" in w.statusBar().currentMessage()
    with qtbot.waitSignal(saver.saved, timeout=5000):
        w.document.add_points([[0.4, 0.4]])  # the folder is writable again
    assert not warning.isVisible()
