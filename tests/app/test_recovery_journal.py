"""The recovery journal and the cheap autosave: edits made after the last full autosave come back
exactly after a crash (journal replay), the GUI thread only takes snapshots, and an autosave that
would write what the recovery file already holds writes nothing."""

from __future__ import annotations

import json
import shutil
import signal
import textwrap
import threading

import numpy as np
import pytest
from killed_lab import first_report, kill_9, start_lab
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel

import lab_app.io.session_state as session_state
from engine.serialize import load_session
from lab_app.io.autosave import journal_path
from lab_app.io.journal import read_journal

from window_helpers import draw_points


def full_autosave(qtbot, w):
    """Write a full autosave now and wait for it (and for the journal it truncates)."""
    saver = w.files.autosaver
    with qtbot.waitSignal(saver.saved, timeout=10000):
        saver.save_now()
    saver.journal.wait()
    return saver.path


def as_dead_labs(saver):
    """Copy the recovery file and journal as a lab killed now would leave them (no live lock)."""
    saver.journal.wait()  # lines are appended moments after each edit; a kill comes after that
    orphan = saver.path.with_name("autosave-99999999-00000000.logitlab.json")
    shutil.copy(saver.path, orphan)
    if saver.journal.path.exists():
        shutil.copy(saver.journal.path, journal_path(orphan))
    return orphan


def document_state(doc):
    s = doc.state()
    return (s.xy.tobytes(), s.xy.shape, s.labels.tolist(), s.classes, s.feature_names, s.mode, s.xlim, s.ylim)


def trigger(w, name):
    w.findChild(QAction, name).trigger()


def test_edits_after_the_last_full_autosave_come_back_exactly(qtbot, make_window):
    first = make_window()
    saver = first.files.autosaver
    doc = first.document
    draw_points(doc, seed=3, n=8)
    base = full_autosave(qtbot, first)
    saver.delay_ms = saver.max_wait_ms = 3_600_000  # no more full autosaves: only the journal
    n_saved = load_session(base)["dataset"].n_samples
    # Every kind of change, and undo/redo through the Edit menu.
    doc.add_points([[0.1 + 1 / 3, -0.2]], label=1)
    with doc.gesture("Move"):
        doc.move_points([0, 1], doc.xy[[0, 1]] + 0.123456789)
    doc.relabel([2, 3], 2)
    doc.remove_points([4])
    trigger(first, "actionUndo")  # the delete comes back
    trigger(first, "actionUndo")  # the relabel goes
    trigger(first, "actionRedo")  # and comes again
    doc.rename_class(1, "Bees")
    doc.set_class_color(0, "#123456")
    doc.add_class("Extra")
    doc.add_points([[2.5, 2.25]], label=3)
    doc.set_mode("1d")
    doc.set_mode("2d")
    doc.remove_points([5, 6])
    expected = document_state(doc)
    assert saver.writes == 1 and load_session(base)["dataset"].n_samples == n_saved  # none in the file
    orphan = as_dead_labs(saver)

    w = make_window()
    w.files.dialogs.answers = ["restore"]
    assert w.files.offer_recovery()
    assert document_state(w.document) == expected
    assert w.document.class_names == ("A", "Bees", "C", "Extra") and w.isWindowModified()
    assert w.statusBar().currentMessage().strip() == "Restored the automatically saved work."
    assert not orphan.exists() and not journal_path(orphan).exists()


def test_a_full_autosave_truncates_the_journal(qtbot, make_window):
    w = make_window()
    saver = w.files.autosaver
    w.document.add_points([[0.5, 0.5]])
    full_autosave(qtbot, w)
    w.document.add_points([[0.25, 0.5]])
    w.document.add_points([[0.75, 0.5]])
    saver.journal.wait()
    assert len(saver.journal.path.read_text().splitlines()) == 2
    full_autosave(qtbot, w)
    assert saver.journal.path.read_text() == ""  # the file holds both: the journal starts over
    assert load_session(saver.path)["recovery"]["journal_seq"] == saver.journal.seq


def test_a_torn_last_line_is_left_out_with_a_message(qtbot, make_window):
    first = make_window()
    saver = first.files.autosaver
    first.document.add_points([[0.5, 0.5]])
    full_autosave(qtbot, first)
    saver.delay_ms = saver.max_wait_ms = 3_600_000
    first.document.add_points([[0.25, 0.75]])
    expected = document_state(first.document)
    first.document.add_points([[-1.0, -1.0]])
    orphan = as_dead_labs(saver)
    journal = journal_path(orphan)
    lines = journal.read_text().splitlines(keepends=True)
    journal.write_text(lines[0] + lines[1][: len(lines[1]) // 2])  # the kill came mid-write

    w = make_window()
    w.files.dialogs.answers = ["restore"]
    assert w.files.offer_recovery()
    assert document_state(w.document) == expected
    assert "cut off mid-write" in w.statusBar().currentMessage()


def test_replay_stops_at_a_gap_a_damaged_line_or_a_missing_change(tmp_path):
    path = tmp_path / "j.journal"
    line = '{"seq": %d, "op": "delete", "indices": [0]}\n'
    path.write_text(line % 4 + line % 5 + '{"seq": 6, "op": "gap"}\n' + line % 7)
    read = read_journal(path, base=4)
    assert len(read.changes) == 1 and "large change" in read.problem  # 4 is in the file already
    path.write_text(line % 1 + line % 3)
    assert len(read_journal(path, 0).changes) == 1 and "misses" in read_journal(path, 0).problem
    path.write_text(line % 1 + "{nonsense\n" + line % 3)
    assert "Line 2" in read_journal(path, 0).problem
    assert read_journal(tmp_path / "none.journal", 0) == ([], None)


def test_replacing_the_data_is_a_gap_and_brings_a_full_autosave(qtbot, make_window, monkeypatch):
    monkeypatch.setattr("lab_app.io.journal.MAX_ROWS", 50)
    w = make_window()
    saver = w.files.autosaver
    w.document.add_points([[0.5, 0.5]])
    full_autosave(qtbot, w)
    saver.delay_ms = saver.max_wait_ms = 3_600_000
    rng = np.random.default_rng(1)
    with qtbot.waitSignal(saver.saved, timeout=10000):  # soon, not after an hour
        w.document.replace_data(rng.normal(size=(500, 2)), rng.integers(0, 2, 500), ["A", "B"])
    saver.journal.wait()
    assert load_session(saver.path)["dataset"].n_samples == 500
    assert saver.journal.path.read_text() == ""


def test_autosave_builds_and_writes_off_the_gui_thread(qtbot, make_window, monkeypatch):
    """Defect: each autosave built the whole session (copies, history, pinned curves) in the GUI
    thread and froze the window up to 1.6 s; the GUI thread now only takes a snapshot."""
    built, encoded = [], []
    real_build = session_state.session_to_dict
    real_encode = json.dumps

    def spy_build(*args, **kwargs):
        built.append(threading.current_thread().name)
        return real_build(*args, **kwargs)

    def spy_encode(*args, **kwargs):
        encoded.append(threading.current_thread().name)
        return real_encode(*args, **kwargs)

    monkeypatch.setattr(session_state, "session_to_dict", spy_build)
    w = make_window()
    monkeypatch.setattr("lab_app.io.journal.json.dumps", spy_encode)
    w.document.add_points([[0.5, 0.5]])
    full_autosave(qtbot, w)
    w.document.add_points([[0.25, 0.5]])
    w.files.autosaver.journal.wait()
    assert built == ["logit-lab-autosave"]
    assert set(encoded) == {"logit-lab-autosave", "logit-lab-journal"}  # no JSON on the GUI thread


def test_nothing_is_written_when_nothing_changed(qtbot, make_window):
    w = make_window()
    saver = w.files.autosaver
    w.document.add_points([[0.5, 0.5]])
    path = full_autosave(qtbot, w)
    stamp = path.stat().st_mtime_ns
    assert saver.save_now(wait=True)  # the file holds this state already
    w.findChild(QAction, "actionUndo").trigger()
    w.findChild(QAction, "actionRedo").trigger()  # the same points again
    assert saver.save_now(wait=True)
    assert saver.writes == 1 and saver.skipped == 2 and path.stat().st_mtime_ns == stamp
    w.document.add_points([[0.75, 0.5]])
    full_autosave(qtbot, w)
    assert saver.writes == 2


def test_a_failing_journal_is_shown_in_the_window(qtbot, make_window, monkeypatch):
    import errno

    import lab_app.io.journal as journal

    w = make_window()
    saver = w.files.autosaver
    w.document.add_points([[0.5, 0.5]])
    full_autosave(qtbot, w)

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(journal, "_write_pending", full)
    with qtbot.waitSignal(saver.failed, timeout=5000):
        w.document.add_points([[0.25, 0.5]])
    warning = w.findChild(QLabel, "autosaveWarning")
    assert warning is not None and warning.isVisible() and "journal" in warning.toolTip()


# ------------------------------------------------------------------ kill -9 right after edits
CHILD = textwrap.dedent("""
    import json, sys
    import numpy as np
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication
    from lab_app.window.main_window import MainWindow

    app = QApplication([])
    w = MainWindow(settings=QSettings(sys.argv[1], QSettings.Format.IniFormat))
    w.show()
    doc, saver = w.document, w.files.autosaver
    doc.add_points([[0.5, 0.5]])
    saver.save_now(wait=True)                    # a full autosave...
    saver.delay_ms = saver.max_wait_ms = 3_600_000
    with doc.gesture("Brush"):                   # ...then edits that only the journal holds
        for xy in np.random.default_rng(5).normal(size=(30, 2)) + 1e-9:
            doc.add_points(xy[None, :])
    doc.move_points([3], doc.xy[[3]] + 0.3)
    doc.undo_stack.undo()
    doc.rename_class(1, "Late")

    def report():
        if saver.journal._writer.busy:           # the lines are out moments after each edit
            QTimer.singleShot(5, report)
            return
        names = np.array(doc.class_names, dtype=object)[doc.labels].tolist()
        print(json.dumps({"xy": doc.xy.tolist(), "names": names, "saved": saver.writes}), flush=True)

    QTimer.singleShot(0, report)
    app.exec()
""")


@pytest.mark.slow  # a real process killed with SIGKILL
def test_kill_9_after_edits_that_no_full_autosave_holds(qtbot, make_window, tmp_path):
    """Defect: edits after the last autosave (the last ~1.5 s, up to 10 s of continuous editing)
    were lost with kill -9; the journal keeps them."""
    child = start_lab(CHILD, tmp_path)
    try:
        drawn = first_report(child)
    finally:
        kill_9(child)
    assert child.returncode == -signal.SIGKILL and drawn["saved"] == 1
    w = make_window()
    w.files.dialogs.answers = ["restore"]
    assert w.files.offer_recovery()
    names = np.array(w.document.class_names, dtype=object)[w.document.labels].tolist()
    assert w.document.xy.tobytes() == np.array(drawn["xy"]).tobytes() and names == drawn["names"]
    assert len(names) == 120 + 31 and "Late" in names  # the default example, the saved point, the stroke


def test_an_autosave_while_training_encodes_only_what_changed(qtbot, make_window):
    """Every 15 s of training wrote the same points again and spent seconds encoding a million of
    them; unchanged points, labels and test rows now reuse the text of the last write."""
    w = make_window()
    saver, c = w.files.autosaver, w.controller
    c.step()
    qtbot.waitUntil(lambda: c.latest is not None and c.latest.epoch == 1 and c.state != "running")
    path = full_autosave(qtbot, w)
    first = saver.encoded.encoded
    assert first == 3  # points, labels, the run's test rows
    c.step()
    qtbot.waitUntil(lambda: c.latest.epoch == 2 and c.state != "running")
    full_autosave(qtbot, w)
    assert saver.writes == 2 and saver.encoded.encoded == first  # the run moved, the points did not
    saved = load_session(path)
    np.testing.assert_array_equal(saved["dataset"].X, w.document.X)
    assert saved["training"]["epoch"] == 2
    w.document.add_points([[0.25, -0.5]])
    full_autosave(qtbot, w)
    assert saver.encoded.encoded >= first + 2  # new points and labels are encoded
    np.testing.assert_array_equal(load_session(path)["dataset"].X, w.document.X)
