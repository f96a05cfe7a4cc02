"""Helpers for the window tests: scripted dialogs, training to a finish, drawing points, read-only folders."""

from __future__ import annotations

import contextlib
import os
import subprocess

import numpy as np
import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication


class Scripted:
    """Stands in for lab_app.dialogs.file_dialogs.Dialogs: answers from lists, records every message."""

    def __init__(self, answers=(), paths=(), export=None, flavour=None):
        self.answers = list(answers)
        self.paths = list(paths)
        self.export = export
        self.flavour = flavour
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

    def script_flavour(self, parent, flavours):
        assert self.flavour is None or self.flavour in flavours, (self.flavour, flavours)
        return self.flavour

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


def quiet(w):
    """Stop scripting a window's dialogs and its training (teardown)."""
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
    """Wait for a run being built in the worker (Reset, Train, Open, an import), then let deferred
    renders (singleShot(0)) run and apply pending layouts (a plot's key that wrapped to another
    number of rows moves the plot: a position computed before would point elsewhere)."""
    wait_run(qtbot, window)
    qtbot.wait(ms)
    QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)


def wait_run(qtbot, window, timeout=10000):
    """Wait until the new run that Reset, Train, Open or an import asked for is built in the
    worker: then ``run_info`` is the new run's, and its first snapshot (if any) is on show."""
    qtbot.waitUntil(lambda: not window.controller.starting, timeout=timeout)


def draw_points(doc, seed=0, n=25):
    """Points as a user draws them: three classes, clicks and a brush stroke, awkward decimals."""
    rng = np.random.default_rng(seed)
    if doc.n_classes < 3:
        doc.add_class()
    for label in range(3):
        doc.set_current_class(label)
        with doc.gesture("Brush"):
            for xy in rng.normal(label - 1.0, 0.7, size=(n, 2)):
                doc.add_points(xy[None, :] + 0.1)  # 0.1 + x: not exactly representable in decimal
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


def drawn_xy(view) -> tuple[np.ndarray, np.ndarray]:
    """x and y of the points a view (designer or boundary) draws, in its drawn rows' order."""
    spots = view.drawn_spots()
    return spots.x, spots.y


def emissions(signal) -> list:
    """A list that grows by one entry (the signal's arguments) at every emission of ``signal``."""
    seen = []
    signal.connect(lambda *args: seen.append(args))
    return seen
