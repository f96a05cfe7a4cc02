"""Autosave and crash recovery: the user's work survives a crash, a power cut or ``kill -9``.

:class:`Autosaver` writes the whole session (docs/design.md §5) to a recovery file of its own a moment
after the last edit (debounced, but never later than ``max_wait_ms`` after the first unsaved
edit) and every ``training_interval_ms`` while training runs. Each write is atomic (temp file,
fsync, rename, folder fsync), so a crash mid-write leaves the previous autosave intact.
The session is captured in the GUI thread (array copies: cheap) and encoded and written as a
:class:`lab_app.tasks.TaskRunner` task in chunks, so even a million points never freeze the window.

Each running lab holds a ``QLockFile`` beside its recovery file. A recovery file whose lock can be
taken belongs to a lab that died: :func:`find_orphans` lists those, and the next start offers to
restore them (``lab_app.window.files.FileActions.offer_recovery``). A clean exit or a save removes the
recovery file; nothing else ever deletes one.

The folder is ``QStandardPaths.AppDataLocation``/recovery, or ``$LOGIT_LAB_RECOVERY_DIR``, or the
``directory`` argument (tests).
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, QStandardPaths, Signal, Slot

from engine.serialize import SESSION_SUFFIX, save_session
from lab_app.tasks import Debouncer, TaskRunner

__all__ = ["RECOVERY_ENV", "Autosaver", "Orphan", "find_orphans", "recovery_dir"]

log = logging.getLogger(__name__)

RECOVERY_ENV = "LOGIT_LAB_RECOVERY_DIR"
PREFIX = "autosave-"


def recovery_dir(override=None) -> Path:
    """The folder for recovery files: ``override``, else ``$LOGIT_LAB_RECOVERY_DIR``, else the
    per-user application data folder's ``recovery`` subfolder."""
    if override:
        return Path(override)
    if os.environ.get(RECOVERY_ENV):
        return Path(os.environ[RECOVERY_ENV])
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base or Path.home() / ".logit-lab") / "recovery"


@dataclass(frozen=True)
class Orphan:
    """A recovery file left by a lab that did not exit cleanly; we hold its lock until released."""

    path: Path
    lock: QLockFile
    saved_at: float  # modification time, seconds since the epoch

    def release(self, delete: bool) -> None:
        """Give the file up: ``delete`` it (restored or discarded), or keep it for a later start."""
        if delete:
            _remove(self.path)
        self.lock.unlock()


def find_orphans(directory=None) -> list[Orphan]:
    """Recovery files of labs that are no longer running, newest first (their locks are taken)."""
    folder = recovery_dir(directory)
    orphans = []
    try:
        candidates = sorted(folder.glob(f"{PREFIX}*{SESSION_SUFFIX}"))
    except OSError:
        return []
    for path in candidates:
        lock = QLockFile(str(_lock_path(path)))
        lock.setStaleLockTime(0)  # a lock is stale only when its process is gone, however old
        if lock.tryLock(0):
            try:
                orphans.append(Orphan(path, lock, path.stat().st_mtime))
            except OSError:  # vanished meanwhile
                lock.unlock()
    orphans.sort(key=lambda o: o.saved_at, reverse=True)
    return orphans


class Autosaver(QObject):
    """Keeps a recovery file of the session up to date.

    Parameters
    ----------
    capture : callable returning the session dict (``engine.serialize.session_to_dict`` output,
        may carry an extra ``"recovery"`` entry), or None when there is nothing unsaved (then
        the recovery file is removed); called in the GUI thread, must return copies.
    directory : the recovery folder (default: :func:`recovery_dir`).
    """

    saved = Signal(str)  # path written
    failed = Signal(str)  # message

    def __init__(
        self,
        capture,
        directory=None,
        *,
        delay_ms: int = 1500,
        max_wait_ms: int = 10000,
        training_interval_ms: int = 15000,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self._capture = capture
        self.directory = recovery_dir(directory)
        token = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.path = self.directory / f"{PREFIX}{token}{SESSION_SUFFIX}"
        self._lock: QLockFile | None = None
        self._after_edits = Debouncer(delay_ms, self.save_now, max_wait_ms=max_wait_ms, parent=self)
        self._while_training = Debouncer.throttle(training_interval_ms, self.save_now, parent=self)
        # One write at a time; a newer state supersedes a write under way, which finishes first.
        self._writer = TaskRunner(self, name="logit-lab-autosave")
        self._writer.resultReady.connect(self._on_written)
        self._writer.failed.connect(self._on_write_failed)
        self._closed = False
        self.last_error: str | None = None
        self.writes = 0

    # ------------------------------------------------------------------ public API
    @property
    def delay_ms(self) -> int:
        """Quiet after the last edit before a save."""
        return self._after_edits.delay_ms

    @delay_ms.setter
    def delay_ms(self, ms: int) -> None:
        self._after_edits.delay_ms = ms

    @property
    def max_wait_ms(self) -> int:
        """A save comes at most this long after the first unsaved edit, however many follow."""
        return self._after_edits.max_wait_ms

    @max_wait_ms.setter
    def max_wait_ms(self, ms: int) -> None:
        self._after_edits.max_wait_ms = ms

    @property
    def training_interval_ms(self) -> int:
        """Saves while training runs come at most this often."""
        return self._while_training.delay_ms

    @training_interval_ms.setter
    def training_interval_ms(self, ms: int) -> None:
        self._while_training.delay_ms = self._while_training.max_wait_ms = ms

    @property
    def pending(self) -> bool:
        """An autosave is scheduled or being written."""
        return self._after_edits.pending or self._while_training.pending or self._writer.busy

    def schedule(self) -> None:
        """An edit happened: save after ``delay_ms`` of quiet, at most ``max_wait_ms`` from now on."""
        if not self._closed:
            self._after_edits.trigger()

    def schedule_training(self) -> None:
        """Training made progress: save at most every ``training_interval_ms``."""
        if not self._closed:
            self._while_training.trigger()

    @Slot()
    def save_now(self, wait: bool = False) -> bool | None:
        """Capture the session now and write it in the background.

        With ``wait``, return once written: True if the recovery file now holds this state,
        False if it could not be written (``failed`` follows). Without, return None at once.
        """
        self._after_edits.cancel()
        self._while_training.cancel()
        if self._closed:
            return False if wait else None
        try:
            session = self._capture()
        except Exception as exc:
            self._report(f"Autosave could not capture the session: {exc}")
            return False if wait else None
        if session is None:  # nothing unsaved (e.g. undone back to the saved state): no recovery file
            self.discard()
            return False if wait else None
        if not self._ensure_lock():
            return False if wait else None
        self._writer.start(_write, self.path, session)
        if not wait:
            return None
        writes = self.writes
        self._writer.wait()  # delivers the outcome (saved or failed) before it returns
        return self.writes > writes

    def discard(self) -> None:
        """The session was saved or deliberately abandoned: stop and remove the recovery file."""
        self._after_edits.cancel()
        self._while_training.cancel()
        self._writer.cancel(quiet=True)  # a write under way is not reported...
        self._writer.wait()  # ...but it ends before the file goes, or it would bring the file back
        _remove(self.path)

    def close(self) -> None:
        """Clean exit: remove the recovery file and the lock; no autosave afterwards."""
        self.discard()
        self._closed = True
        if self._lock is not None:
            self._lock.unlock()
            self._lock = None

    # ------------------------------------------------------------------ internals
    def _ensure_lock(self) -> bool:
        if self._lock is not None:
            return True
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self._report(f"Autosave is off: cannot create {self.directory} ({exc.strerror or exc}).")
            return False
        lock = QLockFile(str(_lock_path(self.path)))
        lock.setStaleLockTime(0)
        if not lock.tryLock(0):
            self._report(f"Autosave is off: cannot lock {_lock_path(self.path)}.")
            return False
        self._lock = lock
        return True

    @Slot(object)
    def _on_written(self, path: str) -> None:
        self.writes += 1
        self.last_error = None
        self.saved.emit(path)

    @Slot(str, object)
    def _on_write_failed(self, _message: str, exc) -> None:
        reason = getattr(exc, "strerror", None) or exc
        self._report(f"Autosave failed: {reason} ({self.path}).")

    def _report(self, message: str) -> None:
        if message != self.last_error:
            log.warning("%s", message)
        self.last_error = message
        self.failed.emit(message)


def _write(path: Path, session: dict, *, progress, cancelled) -> str:
    """The task (worker thread): encode and write atomically; returns the path written."""
    save_session(path, session)
    return str(path)


def _lock_path(path: Path) -> Path:
    return path.with_name(path.name.removesuffix(SESSION_SUFFIX) + ".lock")


def _remove(path: Path) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("cannot remove %s: %s", path, exc.strerror or exc)
