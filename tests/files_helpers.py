"""Helpers shared by the file tests (test_files, test_recovery, test_session_fuzz): scripted dialogs,
a real window with its own settings and recovery folder, training to a finish."""
from __future__ import annotations

import contextlib
import os
import subprocess

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from lab_app.panels.trainer import DEFAULT_CONFIG


class Scripted:
    """Stands in for lab_app.file_dialogs.Dialogs: answers from lists, records every message."""

    def __init__(self, answers=(), paths=(), export=None):
        self.answers = list(answers)
        self.paths = list(paths)
        self.export = export
        self.asked: list[tuple[str, str]] = []
        self.messages: list[tuple[str, str, str]] = []

    def ask(self, parent, title, text, buttons, default, headless_answer=None, detail=""):
        self.asked.append((title, text))
        if not self.answers:
            raise AssertionError(f"unexpected question {title!r}: {text}")
        answer = self.answers.pop(0)
        assert answer in buttons, (answer, buttons)
        return answer

    def open_file_name(self, parent, caption, folder, filters):
        return self.paths.pop(0) if self.paths else None

    def save_file_name(self, parent, caption, suggested, filters):
        return self.paths.pop(0) if self.paths else None

    def export_options(self, parent, available):
        return self.export

    def error(self, parent, title, text):
        self.messages.append(("error", title, text))

    def info(self, parent, title, text):
        self.messages.append(("info", title, text))

    @property
    def errors(self):
        return [text for kind, _, text in self.messages if kind == "error"]


class _Quiet(Scripted):
    """Teardown: every question gets "discard"/"cancel", nothing blocks."""

    def ask(self, parent, title, text, buttons, default, headless_answer=None, detail=""):
        return "discard" if "discard" in buttons else "cancel"


@pytest.fixture
def make_window(qtbot, tmp_path, monkeypatch):
    """make_window(epochs=20, **config) -> a shown MainWindow with Scripted dialogs."""
    from lab_app.main_window import MainWindow

    recovery = tmp_path / "recovery"
    monkeypatch.setenv("LOGIT_LAB_RECOVERY_DIR", str(recovery))
    windows = []

    def make(epochs=20, document=None, **config):
        settings = QSettings(str(tmp_path / f"settings{len(windows)}.ini"), QSettings.Format.IniFormat)
        w = MainWindow(document, settings=settings, config=DEFAULT_CONFIG.with_(epochs=epochs, **config))
        w.files.dialogs = Scripted()
        # pytest-qt closes widgets before fixture teardown: stop scripting first, or an
        # "unexpected question" would be raised inside closeEvent (C++ calling Python).
        qtbot.addWidget(w, before_close_func=_quiet)
        w.resize(1200, 800)
        w.show()
        qtbot.waitExposed(w)
        windows.append(w)
        return w

    yield make
    for w in windows:
        _quiet(w)


def _quiet(w):
    w.files.dialogs = _Quiet()
    if w.files.import_dialog is not None:
        w.files.import_dialog.reject()
    w.controller.shutdown()


def train(qtbot, window, timeout=30000):
    """Train the window's current configuration to its end; returns the final snapshot."""
    with qtbot.waitSignal(window.controller.finished, timeout=timeout) as done:
        window.act_train.trigger()
    settle(qtbot, window)
    return done.args[0]


def settle(qtbot, window, ms=30):
    """Let deferred renders (singleShot(0)) run."""
    qtbot.wait(ms)


def draw_points(doc, seed=0, n=25):
    """Points as a user draws them: three classes, clicks and a brush stroke, awkward decimals."""
    rng = np.random.default_rng(seed)
    if doc.n_classes < 3:
        doc.add_class()
    for label in range(3):
        doc.set_current_class(label)
        with doc.gesture("Brush"):
            for xy in rng.normal(label - 1.0, 0.7, size=(n, 2)):
                doc.add_points(xy[None, :] + 0.1)   # 0.1 + x: not exactly representable in decimal
    doc.add_points([[1 / 3, -2 / 7]], label=0)


def points_by_name(doc):
    """(xy (n, 2) of the visible dims, class name per point) — what the user sees."""
    names = np.array(doc.class_names, dtype=object)[doc.labels]
    return doc.X, names.tolist()


@contextlib.contextmanager
def read_only(folder):
    """Make ``folder`` read-only for real, even for root (chattr +i); skips where impossible."""
    folder = str(folder)
    if os.geteuid() == 0:
        done = subprocess.run(["chattr", "+i", folder], capture_output=True)
        if done.returncode != 0:
            pytest.skip("cannot make a folder read-only here (chattr failed)")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", folder], check=True)
    else:
        os.chmod(folder, 0o555)
        try:
            yield
        finally:
            os.chmod(folder, 0o755)
