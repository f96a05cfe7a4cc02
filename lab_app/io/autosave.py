"""Autosave and crash recovery: the user's work survives a crash, a power cut or ``kill -9``.

:class:`Autosaver` writes the whole session (DESIGN.md §5) to a recovery file of its own a moment
after the last edit (debounced, but never later than ``max_wait_ms`` after the first unsaved
edit) and every ``training_interval_ms`` while training runs. Each write is atomic (temp file,
fsync, rename, folder fsync), so a crash mid-write leaves the previous autosave intact.
The session is captured in the GUI thread (array copies: cheap) and encoded and written in a
worker thread in chunks, so even a million points never freeze the window.

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
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, QStandardPaths, Qt, QTimer, Signal, Slot

from engine.serialize import SESSION_SUFFIX, save_session

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
    _written = Signal(object, int, str, str)  # writer thread, generation, path, error (worker → GUI)

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
        self.delay_ms, self.max_wait_ms, self.training_interval_ms = delay_ms, max_wait_ms, training_interval_ms
        self._timer = QTimer(self, singleShot=True, timeout=self.save_now)
        self._first_pending: float | None = None
        self._writer: threading.Thread | None = None
        self._again = False
        self._closed = False
        self._generation = 0
        self._outcome: dict = {}  # writer thread → success, for save_now(wait=True)
        self._written.connect(self._finished, Qt.ConnectionType.QueuedConnection)
        self.last_error: str | None = None
        self.writes = 0

    # ------------------------------------------------------------------ public API
    @property
    def pending(self) -> bool:
        """An autosave is scheduled or being written."""
        return self._timer.isActive() or self._writer is not None

    def schedule(self) -> None:
        """An edit happened: save after ``delay_ms`` of quiet, at most ``max_wait_ms`` from now on."""
        if self._closed:
            return
        now = time.monotonic()
        if self._first_pending is None:
            self._first_pending = now
        left = self.max_wait_ms - (now - self._first_pending) * 1000
        self._timer.start(int(max(0, min(self.delay_ms, left))))

    def schedule_training(self) -> None:
        """Training made progress: save at most every ``training_interval_ms``."""
        if not self._closed and not self._timer.isActive():
            self._first_pending = self._first_pending or time.monotonic()
            self._timer.start(self.training_interval_ms)

    @Slot()
    def save_now(self, wait: bool = False) -> bool | None:
        """Capture the session now and write it in the background.

        With ``wait``, return once written: True if the recovery file now holds this state,
        False if it could not be written (``failed`` follows). Without, return None at once.
        """
        self._timer.stop()
        if self._closed:
            return False if wait else None
        if self._writer is not None:  # one write at a time; the newest state follows it
            self._again = True
            if not wait:
                return None
            self._join()
        self._first_pending = None
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
        writer = threading.Thread(
            target=self._write, args=(session, self._generation), name="logit-lab-autosave", daemon=True
        )
        self._writer = writer
        writer.start()
        if not wait:
            return None
        self._join()
        return self._outcome.get(writer, False)

    def discard(self) -> None:
        """The session was saved or deliberately abandoned: stop and remove the recovery file."""
        self._timer.stop()
        self._first_pending = None
        self._again = False
        self._join()
        self._generation += 1
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

    def _write(self, session: dict, generation: int) -> None:
        """Worker thread: encode and write atomically; the result goes back by a queued signal."""
        writer = threading.current_thread()
        try:
            save_session(self.path, session)
        except Exception as exc:
            reason = getattr(exc, "strerror", None) or exc
            self._outcome[writer] = False
            self._written.emit(writer, generation, "", f"Autosave failed: {reason} ({self.path}).")
            return
        self._outcome[writer] = True
        self._written.emit(writer, generation, str(self.path), "")

    @Slot(object, int, str, str)
    def _finished(self, writer, generation: int, path: str, message: str) -> None:
        self._outcome.pop(writer, None)
        if writer is self._writer:
            self._writer = None
        if generation != self._generation:
            return  # written before a discard(): that file is gone already
        if message:
            self._report(message)
        else:
            self.writes += 1
            self.last_error = None
            self.saved.emit(path)
        if self._again and not self._closed and self._writer is None:
            self._again = False
            self.schedule()

    def _join(self) -> None:
        writer = self._writer
        if writer is not None:
            writer.join()
            if writer is self._writer:
                self._writer = None

    def _report(self, message: str) -> None:
        if message != self.last_error:
            log.warning("%s", message)
        self.last_error = message
        self.failed.emit(message)


def _lock_path(path: Path) -> Path:
    return path.with_name(path.name.removesuffix(SESSION_SUFFIX) + ".lock")


def _remove(path: Path) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("cannot remove %s: %s", path, exc.strerror or exc)
