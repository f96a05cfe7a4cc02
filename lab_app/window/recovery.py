"""Autosave and crash recovery for the lab window: the glue between the session and the autosaver.

:class:`RecoveryActions` owns the window's :class:`~lab_app.io.autosave.Autosaver`: it schedules an
autosave after each edit and now and then while training runs, hands it every document change for
the recovery journal and a snapshot of the session to write (only while there is unsaved work),
and after a crash offers to restore the recovery files a dead lab left
(:func:`~lab_app.io.autosave.find_orphans`), replaying the changes their journal holds. It needs from the session side only what
:class:`RecoveryHost` lists (``FileActions`` is that host).
"""

from __future__ import annotations

import os
import time
from typing import Protocol

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QLabel

from engine.serialize import SessionError, load_session
from lab_app.io.autosave import Autosaver, find_orphans
from lab_app.io.journal import read_journal, replay

__all__ = ["RecoveryActions", "RecoveryHost"]


class RecoveryHost(Protocol):
    """What autosave and recovery use of the session side (``FileActions``)."""

    window: object  # the MainWindow: the parent of questions, and its status bar
    dialogs: object  # lab_app.dialogs.file_dialogs.Dialogs, or a test's scripted answers
    path: str | None

    def is_modified(self) -> bool: ...
    def session_snapshot(self): ...
    def apply_session(self, loaded: dict) -> None: ...
    def mark_restored(self, path: str | None, trained: bool) -> None: ...


class RecoveryActions(QObject):
    """Autosaves the session of ``host`` into ``directory`` (default: see ``recovery_dir``)."""

    def __init__(self, host: RecoveryHost, directory=None, parent: QObject | None = None):
        super().__init__(parent)
        self._host = host
        self._directory = directory
        self.autosaver: Autosaver | None = None
        self.restoring = False  # True while a recovery file is being shown: nothing to autosave
        self._warning: QLabel | None = None
        self._document = None

    def install(self, document, controller) -> None:
        """Start autosaving: after edits (debounced), each change into the journal, and now and
        then while training."""
        self._document = document
        self.autosaver = Autosaver(self._capture, self._directory, parent=self)
        self.autosaver.failed.connect(self._on_autosave_failed)
        self.autosaver.saved.connect(self._on_autosave_saved)
        document.undo_stack.indexChanged.connect(self._on_edit)
        document.changeApplied.connect(self._on_change)
        controller.progress.connect(self._on_training_progress)

    @property
    def warning_label(self) -> QLabel | None:
        """The status bar's persistent "autosave failing" warning (None until one was needed)."""
        return self._warning

    def _on_autosave_failed(self, message: str) -> None:
        """Say it where the user looks, and keep saying it until an autosave works again: after a
        crash, work since the last good autosave would be lost."""
        window = self._host.window
        if self._warning is None:
            self._warning = QLabel(objectName="autosaveWarning")
            self._warning.setStyleSheet("color: #b00020; font-weight: bold;")
            window.statusBar().addPermanentWidget(self._warning)
        self._warning.setText("⚠ Autosave failing")
        self._warning.setToolTip(f"{message} Save the session yourself (File ▸ Save As…) to keep your work.")
        self._warning.show()
        window.statusBar().showMessage(message, 15000)

    def _on_autosave_saved(self, _path: str) -> None:
        if self._warning is not None and self._warning.isVisible():
            self._warning.hide()
            self._host.window.statusBar().showMessage("Autosave works again.", 5000)

    def discard(self) -> None:
        """The work was saved (or dropped): the recovery file goes."""
        if self.autosaver is not None:
            self.autosaver.discard()

    def close(self) -> None:
        """A clean exit leaves no recovery file."""
        if self.autosaver is not None:
            self.autosaver.close()

    def offer_recovery(self) -> bool:
        """After a crash: offer to restore each recovery file a dead lab left (newest first).
        True if one was restored."""
        h = self._host
        restored = False
        for orphan in find_orphans(self._directory or (self.autosaver.directory if self.autosaver else None)):
            if restored:
                orphan.release(delete=False)  # one at a time; the next start offers the others
                continue
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(orphan.saved_at))
            answer = h.dialogs.ask(
                h.window,
                "Restore unsaved work?",
                f"Logit Lab did not close properly. Your work was saved automatically at {when}. Restore it?",
                {"restore": "Restore", "discard": "Discard", "cancel": "Not now"},
                default="restore",
                headless_answer="cancel",
                detail="Discard deletes the automatic copy; Not now keeps it for the next start.",
            )
            if answer == "restore":
                restored = self._restore_orphan(orphan)
            else:
                orphan.release(delete=answer == "discard")
        return restored

    def _restore_orphan(self, orphan) -> bool:
        h = self._host
        try:
            loaded = load_session(orphan.path)
            original = loaded["recovery"].get("path")
            base = loaded["recovery"].get("journal_seq")
            journal = read_journal(orphan.journal, base if type(base) is int else 0)
            self.restoring = True
            try:
                h.apply_session(loaded)
                problem = replay(self._document, journal.changes) or journal.problem
            finally:
                self.restoring = False
        except (SessionError, ValueError) as exc:
            orphan.release(delete=False)
            h.dialogs.error(h.window, "Cannot restore", f"{exc}\n\nThe automatic copy is kept at {orphan.path}.")
            return False
        h.mark_restored(
            original if isinstance(original, str) else None,
            trained=loaded["model"] is not None and bool(loaded["history"]),
        )
        # Our own copy first; only then may the old one go (if ours fails, both stay safe).
        copied = self.autosaver is not None and self.autosaver.save_now(wait=True)
        orphan.release(delete=bool(copied))
        h.window.statusBar().showMessage(" ".join(["Restored the automatically saved work.", problem or ""]), 15000)
        return True

    def _capture(self):
        h = self._host
        if self.restoring or not h.is_modified():
            return None
        return _Capture(h.session_snapshot(), {"path": h.path, "saved_at": time.time(), "pid": os.getpid()})

    @Slot(object)
    def _on_change(self, change) -> None:
        if self.autosaver is not None and not self.restoring:
            self.autosaver.record(change)

    @Slot()
    def _on_edit(self, *_):
        # Touches nothing but the autosaver: the undo stack also signals while the window dies.
        if self.autosaver is not None:
            self.autosaver.schedule()

    @Slot(object)
    def _on_training_progress(self, snapshot) -> None:
        if snapshot.reports and not self.restoring and self.autosaver is not None:
            self.autosaver.schedule_training()


class _Capture:
    """What the autosave writes: a session snapshot (lab_app.io.session_state.SessionSnapshot)
    and where it came from; built into the session dict in the writer thread."""

    def __init__(self, snapshot, recovery: dict):
        self.snapshot, self.recovery = snapshot, recovery

    def __call__(self) -> dict:
        session = self.snapshot.to_dict()
        session["recovery"] = dict(self.recovery)
        return session

    def same_as(self, other, deep: bool = False) -> bool:
        return (
            isinstance(other, _Capture)
            and other.recovery["path"] == self.recovery["path"]
            and self.snapshot.same_as(other.snapshot, deep)
        )
