"""Files in and out: CSV import/export, sessions, pictures, recent files, drag and drop, and what
happens when the disk says no. Through the real window wherever the user would go through it."""

from __future__ import annotations

import csv
import errno
import json
import os
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import QApplication, QMenu

import engine.csv_chunks as csv_chunks
import engine.csv_parser as csv_parser
import resources
from engine.csv_io import find_problems, read_csv, read_csv_text
from engine.csv_parser import Table, decode
from engine.data import DataError, Dataset
from engine.serialize import (
    SESSION_FORMAT,
    SessionError,
    atomic_write_text,
    load_session,
    save_session,
    session_from_dict,
    session_json_chunks,
    session_to_dict,
)
from engine.training import TrainConfig, Trainer
from lab_app.dialogs.file_dialogs import ExportChoice
from lab_app.dialogs.import_csv import ImportDialog

from window_helpers import draw_points, points_by_name, read_only, settle, train, wait_run


# ============================================================================ the CSV reader's chunks
def general(text, x=None, label=None):
    return Table.parse(decode(text, "<t>")[0], "<t>").dataset(x, label)


def same(a: Dataset, b: Dataset) -> bool:
    return (
        a.X.tobytes() == b.X.tobytes()
        and np.array_equal(a.y, b.y)
        and a.classes == b.classes
        and a.feature_names == b.feature_names
        and a.label_name == b.label_name
    )


CELL = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.integers(-99, 99).map(str),
    st.sampled_from(["1e3", " 2.5", "-0", ".5", "abc", "", "nan", "inf", "1_0", "0x1p3", "1,5"]),
)
LABEL = st.sampled_from(["a", "b", " a", "1", "2.0", "10", "", "nan", "x y", "é"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.tuples(CELL, CELL, LABEL), min_size=1, max_size=40),
    newline=st.sampled_from(["\n", "\r\n"]),
    final=st.booleans(),
    chunk=st.sampled_from([8, 64, 1 << 20]),
    label_first=st.booleans(),
)
def test_reading_in_chunks_equals_the_general_parser(rows, newline, final, chunk, label_first):
    header = ["label", "x1", "x2"] if label_first else ["x1", "x2", "label"]
    lines = [",".join(header)] + [",".join((r[2], r[0], r[1]) if label_first else r) for r in rows]
    text = newline.join(lines) + (newline if final else "")
    old = csv_chunks.CHUNK_CHARS, csv_chunks._FIRST_ROWS
    csv_chunks.CHUNK_CHARS, csv_chunks._FIRST_ROWS = chunk, 2
    try:
        chunked = read_csv_text(text, "<t>")
    except DataError as exc:
        chunked = exc
    finally:
        csv_chunks.CHUNK_CHARS, csv_chunks._FIRST_ROWS = old
    try:
        expected = general(text)
    except DataError as exc:
        assert isinstance(chunked, DataError)  # the first bad chunk's first problem...
        if chunk == 1 << 20 and final:  # ...which in one chunk is exactly the general parser's
            assert str(chunked) == str(exc)
        return
    assert same(chunked, expected)


def test_the_first_bad_cell_is_reported_without_reading_the_rest(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_chunks, "CHUNK_CHARS", 256)
    path = tmp_path / "late.csv"
    rows = [f"{i * 0.1!r},{i % 7},{'ab'[i % 2]}\n" for i in range(4000)]
    rows[2500] = "2.5,oops,a\n"
    path.write_text("x1,x2,label\n" + "".join(rows))
    seen = []
    with pytest.raises(DataError) as bad:
        read_csv(path, progress=seen.append)
    error = bad.value
    assert (error.path, error.line, error.column, error.column_number, error.value) == (
        str(path),
        2502,
        "x2",
        2,
        "oops",
    )
    assert str(error).startswith(f"{path}, line 2502, column 2 'x2': 'oops' is not a number.")
    assert 0.5 < seen[-1] < 0.75  # stopped in the bad chunk: the rest was never read
    assert 2400 < error.resume_line <= 2502
    problems = find_problems(path, ["x1", "x2"], "label", start_line=error.resume_line)
    assert [(p.line, p.column) for p in problems] == [(2502, "x2")]


def test_a_large_clean_file_is_read_in_chunks_with_progress(monkeypatch):
    monkeypatch.setattr(csv_chunks, "CHUNK_CHARS", 256)
    rng = np.random.default_rng(3)
    X = rng.normal(size=(3000, 2)) * 10.0 ** rng.integers(-5, 5, size=(3000, 1))
    labels = rng.choice(["versicolor", "setosa", "10", "9"], 3000)
    text = "a;b;species\r\n" + "".join(f"{x!r};{y!r};{c}\r\n" for (x, y), c in zip(X.tolist(), labels))
    seen = []
    ds = read_csv_text(text, progress=seen.append)
    assert same(ds, general(text))
    assert ds.X.tobytes() == X.tobytes() and ds.classes == ("10", "9", "setosa", "versicolor")
    assert len(seen) > 50 and seen == sorted(seen) and seen[0] == 0.05 and seen[-1] == 1.0


def test_large_files_decode_in_steps_exactly(monkeypatch):
    monkeypatch.setattr(csv_parser, "_DECODE_CHUNK", 7)  # every multi-byte character gets split
    text = "x,label\n" + "".join(f"{i},café ☕ {i % 3}\n" for i in range(50))
    assert decode(b"\xef\xbb\xbf" + text.encode(), "<t>") == (text, "utf-8-sig")
    latin = text.replace("☕", "").encode("latin-1")  # é as one byte: not UTF-8 → Latin-1
    assert decode(latin, "<t>") == (text.replace("☕", ""), "latin-1")


def test_a_progress_callback_can_cancel_a_read(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_chunks, "CHUNK_CHARS", 256)
    path = tmp_path / "d.csv"
    path.write_text("x,y,label\n" + "1.5,2.5,a\n" * 5000)

    class Stop(Exception):
        pass

    def progress(fraction):
        if fraction > 0.3:
            raise Stop

    with pytest.raises(Stop):
        read_csv(path, progress=progress)


def test_find_problems_lists_every_problem_with_line_and_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("x1,x2,label\n1,2,a\n1,abc,b\n\n3,4\n5,nan,\n7,8,c\n9,1,5\n")
    with pytest.raises(DataError) as first:
        read_csv(path)
    problems = find_problems(path, ["x1", "x2"], "label")
    where = [(p.line, p.column) for p in problems]
    assert where == [(3, "x2"), (5, None), (6, "x2"), (6, "label")]
    assert first.value.line in [p.line for p in problems]
    assert all(str(p).startswith(f"{path}, line {p.line}") for p in problems)
    assert find_problems(path, ["nope"], "label") == []  # header problems are read_csv's


# ============================================================================ the import dialog
def write_rows(path, n, classes=("a", "b", "c"), seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    labels = rng.choice(list(classes), n)
    with open(path, "w", newline="") as fh:
        fh.write("width,height,depth,kind\n")
        fh.writelines(f"{a!r},{b!r},{c!r},{k}\n" for (a, b, c), k in zip(X.tolist(), labels))
    return X, labels


def open_dialog(qtbot, path, **kwargs):
    dialog = ImportDialog(path, **kwargs)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.ready, timeout=20000):
        dialog.show()
    return dialog


def test_dialog_previews_guesses_columns_and_counts_classes(qtbot, tmp_path):
    path = tmp_path / "shapes.csv"
    _, labels = write_rows(path, 300)
    dialog = open_dialog(qtbot, path)
    assert dialog.table.rowCount() == 20 and dialog.table.columnCount() == 4
    assert dialog.label_column == "kind" and dialog.feature_columns == ("width", "height")
    counts = {
        dialog.class_table.item(i, 0).text(): dialog.class_table.item(i, 1).text()
        for i in range(dialog.class_table.rowCount())
    }
    assert counts == {c: str((labels == c).sum()) for c in "abc"}
    assert dialog.import_button.isEnabled() and not dialog.problems
    dialog.set_feature_columns(["depth"])  # one feature: 1-D
    with qtbot.waitSignal(dialog.ready, timeout=20000):
        pass
    assert dialog.dataset.feature_names == ("depth",)
    dialog.set_feature_columns(["width", "height", "depth"])
    with qtbot.waitSignal(dialog.ready, timeout=20000):
        pass
    assert dialog.dataset is None and not dialog.import_button.isEnabled()
    assert "at most 2" in dialog.problems[0]


def test_dialog_lists_every_problem_and_cannot_import(qtbot, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("x1,x2,label\n1,2,a\n1,abc,b\n\n3,4\n5,nan,\n7,8,c\n")
    dialog = open_dialog(qtbot, path)
    text = "\n".join(dialog.problems)
    for where in ("line 3, column 2 'x2'", "line 5:", "line 6, column 2 'x2'", "line 6, column 3 'label'"):
        assert where in text
    assert len(dialog.problems) == 4 and dialog.problem_box.isVisible()
    assert not dialog.import_button.isEnabled()
    dialog.accept()
    assert dialog.result() != ImportDialog.DialogCode.Accepted


def test_dialog_refuses_more_classes_than_the_lab_draws(qtbot, tmp_path):
    path = tmp_path / "many.csv"
    path.write_text("x,y,label\n" + "".join(f"{i},{i},{i}\n" for i in range(12)))
    dialog = open_dialog(qtbot, path)
    assert not dialog.import_button.isEnabled() and "at most 8 classes" in dialog.problems[0]


def slow_loads(monkeypatch):
    """Make background loads crawl (a pause per chunk) until the returned switch is turned off."""
    from lab_app.io import csv_loader

    monkeypatch.setattr(csv_chunks, "CHUNK_CHARS", 512)
    slow = [True]
    real = csv_loader.read_csv

    def crawling(path, x=None, label=None, *, progress=None):
        def step(fraction):
            if slow[0]:
                time.sleep(0.002)
            progress(fraction)

        return real(path, x, label, progress=step)

    monkeypatch.setattr(csv_loader, "read_csv", crawling)
    return slow


def test_loading_can_be_stopped_and_imports_nothing(qtbot, tmp_path, monkeypatch):
    slow = slow_loads(monkeypatch)
    path = tmp_path / "big.csv"
    write_rows(path, 60000)
    dialog = ImportDialog(path)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loader.progress, timeout=20000, check_params_cb=lambda p: p >= 10):
        dialog.show()
    assert dialog.progress_bar.isVisible() and dialog.cancel_load_button.isVisible()
    with qtbot.waitSignal(dialog.ready, timeout=20000):
        dialog.cancel_load_button.click()
    assert dialog.dataset is None and not dialog.import_button.isEnabled()
    assert "stopped" in dialog.status_label.text() and dialog.reload_button.isVisible()
    slow[0] = False
    with qtbot.waitSignal(dialog.ready, timeout=60000):
        dialog.reload_button.click()
    assert dialog.dataset.n_samples == 60000


def test_deleting_the_dialog_mid_load_stops_the_thread_safely(qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import QCoreApplication, QEvent

    from lab_app.tasks import active_tasks

    slow_loads(monkeypatch)
    path = tmp_path / "big.csv"
    write_rows(path, 60000)
    dialog = ImportDialog(path)
    with qtbot.waitSignal(dialog.loader.progress, timeout=20000, check_params_cb=lambda p: p >= 5):
        dialog.show()
    assert dialog.loader.busy and active_tasks()
    dialog.deleteLater()  # no done(), no shutdown(): the worker must not outlive what it reports to
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    qtbot.waitUntil(lambda: not active_tasks(), timeout=20000)


def test_the_gui_thread_keeps_running_during_a_load(qtbot, tmp_path, monkeypatch):
    path = tmp_path / "big.csv"
    write_rows(path, 200000)
    import threading

    import lab_app.io.csv_loader as loader_module

    threads = []
    real_read = loader_module.read_csv

    def read_and_record(*args, **kwargs):
        threads.append(threading.current_thread())
        return real_read(*args, **kwargs)

    monkeypatch.setattr(loader_module, "read_csv", read_and_record)
    ticks = []
    from PySide6.QtCore import QElapsedTimer, QTimer

    clock = QElapsedTimer()
    clock.start()
    timer = QTimer(interval=5, timeout=lambda: ticks.append(clock.elapsed()))
    timer.start()
    dialogs = []
    # Build the dialog from inside the running event loop, so the loop runs while it loads.
    QTimer.singleShot(0, lambda: dialogs.append(ImportDialog(path)))
    qtbot.waitUntil(lambda: bool(dialogs), timeout=5000)
    dialog = dialogs[0]
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.dataset is not None, timeout=30000)
    timer.stop()
    assert dialog.dataset.n_samples == 200000
    assert threads and all(t is not threading.main_thread() for t in threads)  # loaded off the GUI thread
    gaps = np.diff(ticks)
    assert len(gaps) == 0 or gaps.max() < 250, gaps.max()  # the event loop kept turning meanwhile


# ============================================================================ CSV round trip through the window
def test_draw_export_import_gives_identical_points_and_labels(qtbot, make_window, tmp_path):
    w = make_window()
    doc = w.document
    doc.clear()
    draw_points(doc)
    xy, names = points_by_name(doc)
    target = tmp_path / "drawn.csv"
    w.files.dialogs.paths = [str(target)]
    assert w.files.export_csv()
    with open(target, newline="") as fh:
        assert next(csv.reader(fh)) == ["x1", "x2", "label"]
    doc.clear()
    assert w.files.open_path(target)
    dialog = w.files.import_dialog
    qtbot.waitUntil(lambda: dialog.dataset is not None, timeout=20000)
    dialog.import_button.click()
    settle(qtbot, w)
    xy2, names2 = points_by_name(doc)
    assert xy2.tobytes() == xy.tobytes() and names2 == names
    doc.undo_stack.undo()  # the import is one undo step
    assert doc.n_points == 0


def test_imported_column_names_survive_export(qtbot, make_window, tmp_path):
    path = tmp_path / "shapes.csv"
    X, labels = write_rows(path, 50)
    w = make_window()
    w.files.open_path(path)
    dialog = w.files.import_dialog
    qtbot.waitUntil(lambda: dialog.dataset is not None, timeout=20000)
    dialog.set_feature_columns(["depth", "width"])
    qtbot.waitUntil(
        lambda: dialog.dataset is not None and dialog.dataset.feature_names == ("width", "depth"), timeout=20000
    )
    dialog.import_button.click()
    assert w.document.feature_names == ("width", "depth") and w.document.label_name == "kind"
    assert w.document.X.tobytes() == np.ascontiguousarray(X[:, [0, 2]]).tobytes()
    out = tmp_path / "out.csv"
    w.files.dialogs.paths = [str(out)]
    w.files.export_csv()
    back = read_csv(out)
    assert back.feature_names == ("width", "depth") and back.label_name == "kind"
    assert back.labels().tolist() == labels.tolist()


def test_a_failed_import_leaves_the_data_untouched(qtbot, make_window, tmp_path):
    w = make_window()
    before = w.document.xy.copy()
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y,label\n1,2,a\n3,oops,b\n")
    w.files.open_path(bad)
    dialog = w.files.import_dialog
    qtbot.waitUntil(lambda: bool(dialog.problems), timeout=20000)
    dialog.accept()  # Import is disabled; even a forced accept does nothing
    dialog.reject()
    binary = tmp_path / "image.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    w.files.open_path(binary)
    assert "binary" in w.files.import_dialog.problems[0]
    w.files.import_dialog.reject()
    assert np.array_equal(w.document.xy, before) and not w.document.modified


def test_export_history_csv(qtbot, make_window, tmp_path):
    w = make_window(epochs=7, test_fraction=0.25)
    train(qtbot, w)
    out = tmp_path / "history.csv"
    w.files.dialogs.paths = [str(out)]
    assert w.files.export_history_csv()
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    history = w.controller.history
    assert [int(r["epoch"]) for r in rows] == list(range(1, 8))
    assert [float(r["train_loss"]) for r in rows] == [h.train_loss for h in history]
    assert [float(r["val_accuracy"]) for r in rows] == [h.val_accuracy for h in history]


# ============================================================================ sessions through the window
def grab(widget) -> QImage:
    return widget.grab().toImage()


def test_save_then_open_restores_weights_history_and_picture(qtbot, make_window, tmp_path):
    w = make_window(epochs=15, model="mlp", hidden=(8,), test_fraction=0.2)
    doc = w.document
    draw_points(doc, seed=5, n=15)
    doc.set_class_color(2, "#123456")
    doc.rename_class(1, "Blue one")
    w.act_overlay.setChecked(True)
    w.loss_view.log_y_check.setChecked(True)
    doc.set_ranges((-4.5, 3.25), (-3.5, 4.0))
    w.act_reset.trigger()  # a new run on the three classes
    last = train(qtbot, w)
    settle(qtbot, w, 100)
    path = tmp_path / "lab.logitlab.json"
    w.files.dialogs.paths = [str(path)]
    assert w.files.save_as() and not w.isWindowModified()

    w2 = make_window(epochs=3)
    assert w2.files.open_path(path)
    settle(qtbot, w2, 100)
    d2 = w2.document
    assert d2.xy.tobytes() == doc.xy.tobytes() and np.array_equal(d2.labels, doc.labels)
    assert d2.classes == doc.classes and (d2.xlim, d2.ylim) == (doc.xlim, doc.ylim)
    assert w2.controller.latest.params.tobytes() == last.params.tobytes()  # bit-exact weights
    assert w2.controller.history == w.controller.history  # every report, exactly
    assert w2.controller.config == w.controller.config
    assert np.array_equal(w2.controller.run_info.test_idx, w.controller.run_info.test_idx)
    assert w2.act_overlay.isChecked() and w2.loss_view.log_y_check.isChecked()
    # The plane on show follows the plot's shape: the same in both windows once laid out.
    qtbot.waitUntil(lambda: _boundary_plane(w2) == _boundary_plane(w))
    settle(qtbot, w2)
    assert np.array_equal(w2.boundary_view.last_image, w.boundary_view.last_image)
    # The dock layout is the user's (QSettings), not the session's: give both windows the same one.
    w2.restoreState(w.saveState())
    qtbot.waitUntil(lambda: w2.docks["boundary"].height() == w.docks["boundary"].height(), timeout=3000)
    settle(qtbot, w2, 100)  # the plots lay their axes out again at the new size
    for win in (w, w2):  # pyqtgraph fits a plot to its widget only on a resize, and its key (wider
        win.resize(win.width() + 1, win.height())  # than this dock) keeps the width of keys shown
        win.resize(win.width() - 1, win.height())  # before it: give both the same fresh layout
    settle(qtbot, w2, 100)
    pictures = {
        "boundary": lambda win: win.boundary_view.plot_widget,
        "loss": lambda win: win.loss_view.loss_widget,
        "accuracy": lambda win: win.loss_view.accuracy_widget,
        "metrics": lambda win: win.metrics_view,
    }
    for name, part in pictures.items():
        assert grab(part(w2)) == grab(part(w)), name  # same pixels
    for win in (w, w2):  # the designer is the tab behind the boundary: bring it to the front
        win.docks["designer"].raise_()
    settle(qtbot, w2, 100)
    assert grab(w2.designer.plot_widget) == grab(w.designer.plot_widget), "designer"
    assert not w2.isWindowModified() and w2.windowTitle().startswith("lab.logitlab.json")


def test_a_paused_run_continues_from_the_saved_weights(qtbot, make_window, tmp_path):
    w = make_window(epochs=0, tol=0.0)  # until stopped
    with qtbot.waitSignal(w.controller.progress, timeout=20000, check_params_cb=lambda s: s.epoch >= 3):
        w.act_train.trigger()
    with qtbot.waitSignal(w.controller.stateChanged, timeout=20000):
        w.controller.pause()
    qtbot.waitUntil(lambda: w.controller.latest.state == "paused", timeout=20000)
    saved = w.controller.latest
    path = tmp_path / "paused.logitlab.json"
    assert w.files.save_to(path)
    w2 = make_window(epochs=0, tol=0.0)
    assert w2.files.open_path(path)
    wait_run(qtbot, w2)
    assert w2.controller.latest.params.tobytes() == saved.params.tobytes()
    assert w2.controller.latest.epoch == saved.epoch and w2.controller.state == "idle"
    with qtbot.waitSignal(w2.controller.progress, timeout=20000) as first:
        w2.controller.step()
    assert first.args[0].epoch == saved.epoch + 1 and first.args[0].run_id == w2.controller.run_info.run_id
    assert [r.epoch for r in w2.controller.history] == list(range(1, saved.epoch + 2))


def test_title_star_and_save_changes_prompt(qtbot, make_window, tmp_path):
    w = make_window()
    files = w.files
    assert not w.isWindowModified()
    w.document.add_points([[0.5, 0.5]])
    assert w.isWindowModified() and "[*]" in w.windowTitle()
    files.dialogs.answers = ["cancel"]
    assert not w.close() and w.isVisible()  # Cancel keeps the window
    path = tmp_path / "s.logitlab.json"
    files.dialogs.answers, files.dialogs.paths = ["save"], [str(path)]
    assert files.confirm_close() and path.exists()  # Save writes, then closing goes on
    assert load_session(path)["dataset"].n_samples == w.document.n_points
    assert not w.isWindowModified() and w.windowTitle().startswith("s.logitlab.json")
    w.document.add_points([[0.7, 0.7]])
    files.dialogs.answers = ["discard"]
    assert w.close()


def test_training_counts_as_unsaved_work(qtbot, make_window):
    w = make_window(epochs=3)
    train(qtbot, w)
    assert w.files.is_modified() and w.isWindowModified()
    w.files.dialogs.answers = ["cancel"]
    assert not w.files.confirm_close()


def test_new_asks_then_starts_empty_and_clean(qtbot, make_window):
    w = make_window()
    w.document.add_points([[0.0, 0.0]])
    w.files.dialogs.answers = ["cancel"]
    w.files.new_document()
    assert w.document.n_points == 121
    w.files.dialogs.answers = ["discard"]
    w.files.new_document()
    assert w.document.n_points == 0 and not w.isWindowModified() and not w.document.undo_stack.canUndo()
    assert w.windowTitle().startswith("untitled")


def test_opening_a_damaged_or_newer_session_changes_nothing(qtbot, make_window, tmp_path):
    w = make_window()
    good = tmp_path / "good.logitlab.json"
    assert w.files.save_to(good)
    before = w.document.xy.copy()
    doc = json.loads(good.read_text())
    cases = {
        "truncated.json": good.read_text()[:500],
        "newer.json": json.dumps({**doc, "version": 99}),
        "wrong.json": json.dumps({**doc, "data": {**doc["data"], "labels": "abc"}}),
        "nine.json": json.dumps(
            {
                **doc,
                "data": {
                    **doc["data"],
                    "classes": [{"label": str(i), "name": str(i), "color": None} for i in range(9)],
                },
            }
        ),
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        w.files.dialogs.messages.clear()
        assert not w.files.open_path(tmp_path / name)
        assert len(w.files.dialogs.errors) == 1 and "Nothing was changed" in w.files.dialogs.errors[0]
        assert np.array_equal(w.document.xy, before) and not w.isWindowModified()
    with pytest.raises(SessionError, match="newer Logit Lab"):
        load_session(tmp_path / "newer.json")


def test_a_cli_session_opens_in_the_window(qtbot, make_window, tmp_path):
    from lab_app.cli import main

    path = tmp_path / "cli.json"
    example = str(resources.example("glm6.csv"))
    assert main(["fit", example, "--epochs", "20", "--save-session", str(path)]) == 0
    w = make_window()
    assert w.files.open_path(path), w.files.dialogs.errors
    wait_run(qtbot, w)
    assert w.document.mode == "1d" and w.document.class_names == ("0", "1")
    assert w.controller.latest.params.tobytes() == load_session(path)["model"].network.params.tobytes()


# ============================================================================ disks that say no
def test_read_only_folder_gives_a_clear_message_and_keeps_the_old_file(qtbot, make_window, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    w = make_window()
    target = folder / "s.logitlab.json"
    assert w.files.save_to(target)
    old = target.read_bytes()
    w.document.add_points([[1.0, 1.0]])
    with read_only(folder):
        assert not w.files.save_to(target)
        w.files.dialogs.paths = [str(folder / "points.csv"), str(folder / "picture.png")]
        assert not w.files.export_csv()
        assert not w.files.export_picture("boundary", folder / "picture.png")
    errors = w.files.dialogs.errors
    assert len(errors) == 3
    assert "read-only" in errors[0] and "unchanged" in errors[0]
    assert all(str(folder) in e for e in errors)
    assert target.read_bytes() == old and sorted(os.listdir(folder)) == ["s.logitlab.json"]
    assert w.isWindowModified()  # still unsaved: the star stays


def test_full_disk_gives_a_clear_message_and_keeps_the_old_file(qtbot, make_window, tmp_path, monkeypatch):
    import engine.atomic as atomic

    w = make_window()
    target = tmp_path / "s.logitlab.json"
    assert w.files.save_to(target)
    old = target.read_bytes()
    w.document.add_points([[1.0, 1.0]])

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full)
    assert not w.files.save_to(target)
    assert "disk is full" in w.files.dialogs.errors[0]
    assert target.read_bytes() == old and os.listdir(tmp_path).count("s.logitlab.json") == 1
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]


def test_atomic_write_keeps_permissions_and_leaves_no_temp_file(tmp_path):
    path = tmp_path / "f.json"
    atomic_write_text(path, "one")
    os.chmod(path, 0o640)
    atomic_write_text(path, iter(["t", "wo"]))
    assert path.read_text() == "two" and (os.stat(path).st_mode & 0o777) == 0o640
    with pytest.raises(OSError) as err:
        atomic_write_text(tmp_path / "missing" / "f.json", "x")
    assert err.value.filename == str(tmp_path / "missing" / "f.json")
    assert os.listdir(tmp_path) == ["f.json"]


# ============================================================================ pictures
@pytest.mark.parametrize("target", ["boundary", "loss", "designer", "window"])
def test_export_png_at_2x_and_svg(qtbot, make_window, tmp_path, target):
    w = make_window(epochs=3)
    train(qtbot, w)
    one, two, svg = tmp_path / "one.png", tmp_path / "two.png", tmp_path / "p.svg"
    assert w.files.export_picture(target, one, 1.0)
    w.files.dialogs.export, w.files.dialogs.paths = ExportChoice(target, 2.0), [str(two)]
    assert w.files.export_png()
    a, b = QImage(str(one)), QImage(str(two))
    assert not a.isNull() and abs(b.width() - 2 * a.width()) <= 2 and abs(b.height() - 2 * a.height()) <= 2
    assert w.files.export_picture(target, svg)
    assert b"<svg" in svg.read_bytes()[:2000]


# ============================================================================ recent files, drag and drop
def test_recent_files_menu(qtbot, make_window, tmp_path):
    w = make_window()
    paths = [tmp_path / f"s{i}.logitlab.json" for i in range(3)]
    for p in paths:
        assert w.files.save_to(p)
    assert w.files.recent_files() == [str(p) for p in reversed(paths)]
    menu = w.findChild(QMenu, "menuRecent")
    menu.aboutToShow.emit()
    entries = [a for a in menu.actions() if a.objectName().startswith("actionRecentFile")]
    assert [a.toolTip() for a in entries] == [str(p) for p in reversed(paths)]
    w.document.add_points([[2.0, 2.0]])
    w.files.dialogs.answers = ["discard"]
    entries[2].trigger()  # the oldest: opens it (after asking about the unsaved point)
    assert w.files.path == str(paths[0]) and w.files.recent_files()[0] == str(paths[0])
    os.remove(paths[1])
    menu.aboutToShow.emit()
    next(a for a in menu.actions() if a.toolTip() == str(paths[1])).trigger()
    assert "no such file" in w.files.dialogs.errors[-1] and str(paths[1]) not in w.files.recent_files()


def drop(widget, path):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    pos = QPointF(widget.width() / 2, widget.height() / 2)
    enter = QDragEnterEvent(
        pos.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    event = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)
    return event.isAccepted()


def test_dropping_a_csv_or_a_session_opens_it(qtbot, make_window, tmp_path):
    w = make_window()
    assert w.acceptDrops()
    path = tmp_path / "shapes.csv"
    write_rows(path, 40)
    assert drop(w, path)
    assert w.files.import_dialog is not None and w.files.import_dialog.path == str(path)
    w.files.import_dialog.reject()
    session = tmp_path / "s.logitlab.json"
    w.files.save_to(session)
    w.document.clear()
    w.files.dialogs.answers = ["discard"]
    assert drop(w.designer.plot_widget.viewport(), session)  # onto a plot, too
    assert w.document.n_points == 120 and w.files.path == str(session)


# ============================================================================ the session file itself
def small_session():
    ds = Dataset(np.array([[0.1, 0.2], [1 / 3, 2.5], [-1e-300, 7.0]]), [0, 1, 1], ("A", "B"), ("x1", "x2"))
    trainer = Trainer(ds, TrainConfig(epochs=4, batch_size=0))
    trainer.fit()
    return session_to_dict(
        ds,
        trainer.config,
        model=trainer.model,
        history=trainer.history,
        colors=["#E69F00", None],
        view={"xlim": (-1.0, 2.0)},
        training={"epoch": 4, "test_idx": np.arange(0)},
    )


def test_session_chunks_are_the_json_of_the_session(tmp_path, monkeypatch):
    import engine.serialize as serialize

    monkeypatch.setattr(serialize, "_ROWS_PER_CHUNK", 2)
    session = small_session()
    text = "".join(session_json_chunks(session))
    doc = json.loads(text)
    assert doc["format"] == SESSION_FORMAT and doc["data"]["points"] == session["data"]["points"].tolist()
    assert doc["data"]["labels"] == [0, 1, 1]
    back = session_from_dict(doc)
    assert back["dataset"].X.tobytes() == session["data"]["points"].tobytes()
    path = tmp_path / "s.json"
    save_session(path, session)
    loaded = load_session(path)
    assert loaded["model"].network.params.tobytes() == session_from_dict(doc)["model"].network.params.tobytes()
    assert loaded["view"]["xlim"] == (-1.0, 2.0) and loaded["colors"] == ["#E69F00", None]


def test_older_versions_are_migrated(monkeypatch):
    import engine.serialize as serialize

    doc = json.loads("".join(session_json_chunks(small_session())))
    doc["version"] = 1
    doc["data"]["coordinates"] = doc["data"].pop("points")

    def one_to_two(d):
        d["data"] = {**d["data"], "points": d["data"].pop("coordinates")}
        return d

    monkeypatch.setattr(serialize, "SESSION_VERSION", 2)
    monkeypatch.setattr(serialize, "_MIGRATIONS", {1: one_to_two})
    assert session_from_dict(doc)["dataset"].n_samples == 3


def test_trainer_restore_continues_from_saved_weights():
    ds = Dataset(np.random.default_rng(0).normal(size=(60, 2)), np.repeat([0, 1], 30), (0, 1))
    config = TrainConfig(epochs=10, test_fraction=0.2, seed=3)
    first = Trainer(ds, config)
    first.fit()
    second = Trainer(ds, config)
    second.restore(first.model, first.history, first.best_epoch)
    assert second.network.params.tobytes() == first.network.params.tobytes()
    assert second.epoch == 10 and second.history == first.history
    assert np.array_equal(second.test_idx, first.test_idx)
    assert second.current_metrics() == first.current_metrics()
    assert second.run_epoch().epoch == 11
    with pytest.raises(ValueError):
        Trainer(ds, config.with_(model="mlp", hidden=(4,))).restore(first.model)


def test_saving_a_session_over_a_link_writes_the_linked_file(make_window, tmp_path):
    w = make_window()
    target = tmp_path / "kept" / "lab.logitlab.json"
    target.parent.mkdir()
    link = tmp_path / "lab.logitlab.json"
    assert w.files.save_to(target)
    link.symlink_to(target)
    w.document.add_points([[0.5, 0.5]])
    assert w.files.save_to(link) and not w.files.dialogs.errors
    assert link.is_symlink() and load_session(target)["dataset"].n_samples == w.document.n_points


def _boundary_plane(window):
    ev = window.boundary_view.grid_evaluator
    return ev.xlim, ev.ylim
