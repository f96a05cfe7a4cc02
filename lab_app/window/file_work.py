"""File work that can take seconds (reading or writing a million-point session) runs in a
background thread while the window keeps painting and its timers keep firing.

The caller still gets a plain answer (the function's result, or its exception raised again), so
"save before closing" can wait for the save. Meanwhile the GUI thread runs a local event loop that
holds back keyboard and mouse input (the points being saved or replaced cannot change under the
file), and a window-modal "Saving…" note appears if the work takes longer than a moment.
"""

from __future__ import annotations

from PySide6.QtCore import QEventLoop, Qt
from PySide6.QtWidgets import QProgressDialog

from lab_app.tasks import TaskRunner

__all__ = ["SHOW_AFTER_MS", "run_in_background"]

#: Work that ends sooner shows no dialog at all.
SHOW_AFTER_MS = 400


def run_in_background(window, label: str, fn, *args):
    """``fn(*args)`` run in a worker thread; returns its result or raises its exception here."""
    runner = TaskRunner(window, name="logit-lab-file")
    loop = QEventLoop()
    outcome: dict = {}

    def ended(key, value):
        outcome[key] = value
        loop.quit()

    runner.resultReady.connect(lambda result: ended("result", result))
    runner.failed.connect(lambda _message, exc: ended("error", exc))
    note = QProgressDialog(label, None, 0, 0, window)  # busy, no Cancel: a half-written file helps no one
    note.setWindowTitle("Logit Lab")
    note.setWindowModality(Qt.WindowModality.WindowModal)
    note.setMinimumDuration(SHOW_AFTER_MS)
    try:
        runner.start(_call, fn, args)
        if not outcome:
            loop.exec(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
    finally:
        note.reset()
        note.deleteLater()
        runner.shutdown()
        runner.deleteLater()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("result")


def _call(fn, args, *, progress, cancelled):
    return fn(*args)
