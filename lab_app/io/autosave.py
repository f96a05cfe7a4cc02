"""Autosave and crash recovery: the user's work survives a crash, a power cut or ``kill -9``.

:class:`Autosaver` writes the whole session (docs/design.md §5) to a recovery file of its own after
edits (debounced: ``delay_ms`` of quiet, never later than ``max_wait_ms`` after the first unsaved
edit; the first one within about a second) and every ``training_interval_ms`` while training runs.
Between those full writes every edit goes to the recovery journal (:mod:`lab_app.io.journal`)
as it happens, so a crash loses at most the edit under way; the full writes after edits only keep
the journal short, so they can be rare (2 s of quiet, at most every 30 s while editing). Each full write is atomic (temp file,
fsync, rename, folder fsync), so a crash mid-write leaves the previous autosave intact.

The GUI thread only takes a snapshot by reference (``capture``; no copy, no encoding); building
the session, encoding and writing run as a :class:`lab_app.tasks.TaskRunner` task, so even a
million points never freeze the window. A snapshot that is the same as the last one written
(``same_as``) is not written again.

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

from engine.serialize import SESSION_SUFFIX, EncodedArrays, save_session
from lab_app.io.journal import Journal
from lab_app.tasks import Debouncer, TaskRunner

__all__ = ["RECOVERY_ENV", "Autosaver", "Orphan", "find_orphans", "journal_path", "recovery_dir"]

log = logging.getLogger(__name__)

RECOVERY_ENV = "LOGIT_LAB_RECOVERY_DIR"
PREFIX = "autosave-"
#: Without a full autosave on disk the journal cannot be written: the first one comes this soon.
FIRST_DELAY_MS, FIRST_MAX_WAIT_MS = 200, 1000


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

    @property
    def journal(self) -> Path:
        """Its recovery journal (:mod:`lab_app.io.journal`; may not exist)."""
        return journal_path(self.path)

    def release(self, delete: bool) -> None:
        """Give the file up: ``delete`` it (restored or discarded), or keep it for a later start."""
        if delete:
            _remove(self.journal)
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
    capture : callable (GUI thread) returning None when there is nothing unsaved (then the
        recovery file and journal are removed), else what to write: a session dict
        (``engine.serialize.session_to_dict`` output, may carry an extra ``"recovery"`` entry), or
        a callable that builds one in the writer thread from data nobody changes any more. If it
        has a ``same_as(previous, deep=False)`` method and that says True, nothing is written:
        the GUI thread asks with ``deep=False`` (cheap: the same objects), the writer thread with
        ``deep=True`` (equal contents, e.g. after an undo and a redo).
    directory : the recovery folder (default: :func:`recovery_dir`).

    :meth:`record` takes the document's changes for the journal; the recovery file's
    ``"recovery"`` entry gets ``"journal_seq"``, the number of the last change it holds.
    """

    saved = Signal(str)  # path written
    failed = Signal(str)  # message

    def __init__(
        self,
        capture,
        directory=None,
        *,
        delay_ms: int = 2000,
        max_wait_ms: int = 30000,
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
        self._first = Debouncer(FIRST_DELAY_MS, self.save_now, max_wait_ms=FIRST_MAX_WAIT_MS, parent=self)
        self._while_training = Debouncer.throttle(training_interval_ms, self.save_now, parent=self)
        # One write at a time; a newer state supersedes a write under way, which finishes first.
        self._writer = TaskRunner(self, name="logit-lab-autosave")
        self._writer.resultReady.connect(self._on_written)
        self._writer.failed.connect(self._on_write_failed)
        self.journal = Journal(journal_path(self.path), parent=self)
        self.journal.failed.connect(self._report)
        self._closed = False
        self._writing = None  # (what, journal seq) of the write under way
        self._written = None  # what the recovery file holds (compared with same_as)
        self.encoded = EncodedArrays()  # the writer's last points, labels, test rows as text (writer thread only)
        self.last_error: str | None = None
        self.writes = 0
        self.skipped = 0  # saves that found nothing changed since the last write

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
        return any(d.pending for d in (self._after_edits, self._first, self._while_training)) or self._writer.busy

    def schedule(self) -> None:
        """An edit happened: save after ``delay_ms`` of quiet, at most ``max_wait_ms`` from now on
        (sooner while there is no recovery file yet: the journal needs one)."""
        if not self._closed:
            soon = not self.journal.active and self.last_error is None  # (not while writes fail)
            (self._first if soon else self._after_edits).trigger()

    def record(self, change) -> None:
        """A ``LabDocument.changeApplied`` change: append it to the journal (written in the
        background); one too big to journal brings the next full autosave forward."""
        if not self._closed and not self.journal.record(change):
            self._first.trigger()

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
        self._cancel_timers()
        if self._closed:
            return False if wait else None
        try:
            captured = self._capture()
        except Exception as exc:
            self._report(f"Autosave could not capture the session: {exc}")
            return False if wait else None
        if captured is None:  # nothing unsaved (e.g. undone back to the saved state): no recovery file
            self.discard()
            return False if wait else None
        if self._unchanged(captured):
            self.skipped += 1
            return True if wait else None
        if not self._ensure_lock():
            return False if wait else None
        if self._writer.busy:  # superseded, the write under way still finishes: the file is unknown
            self._written = None
        self._writing = (captured, self.journal.seq)
        self._writer.start(_write, self.path, captured, self.journal.seq, self._written, self.encoded)
        if not wait:
            return None
        done = self.writes + self.skipped
        self._writer.wait()  # delivers the outcome (saved or failed) before it returns
        return self.writes + self.skipped > done

    def discard(self) -> None:
        """The session was saved or deliberately abandoned: stop and remove the recovery file."""
        self._cancel_timers()
        self._writer.cancel(quiet=True)  # a write under way is not reported...
        self._writer.wait()  # ...but it ends before the file goes, or it would bring the file back
        self._writing = self._written = None
        self.journal.discard()  # first: a journal never outlives its recovery file
        _remove(self.path)

    def close(self) -> None:
        """Clean exit: remove the recovery file and the lock; no autosave afterwards."""
        self.discard()
        self._closed = True
        if self._lock is not None:
            self._lock.unlock()
            self._lock = None

    # ------------------------------------------------------------------ internals
    def _cancel_timers(self) -> None:
        for debouncer in (self._after_edits, self._first, self._while_training):
            debouncer.cancel()

    def _unchanged(self, captured) -> bool:
        """The recovery file (or the write under way, if nothing newer superseded it) holds this."""
        same_as = getattr(captured, "same_as", None)
        if same_as is None:
            return False
        if self._writer.busy and self._writing is not None:
            return same_as(self._writing[0])
        return same_as(self._written)

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
    def _on_written(self, path: str | None) -> None:
        if path is None:  # the file held this already; its journal base stays as it was
            self._writing = None
            self.skipped += 1
            return
        self.writes += 1
        self.last_error = None
        if self._writing is not None:
            self._written, seq = self._writing
            self._writing = None
            self.journal.landed(seq)  # the changes it holds leave the journal
        self.saved.emit(path)

    @Slot(str, object)
    def _on_write_failed(self, _message: str, exc) -> None:
        self._writing = None
        reason = getattr(exc, "strerror", None) or exc
        self._report(f"Autosave failed: {reason} ({self.path}).")

    def _report(self, message: str) -> None:
        if message != self.last_error:
            log.warning("%s", message)
        self.last_error = message
        self.failed.emit(message)


def _write(path: Path, captured, journal_seq: int, written, encoded, *, progress, cancelled) -> str | None:
    """The task (worker thread): build the session, encode and write it atomically (points
    unchanged since the last write reuse their text from ``encoded``); returns the path written,
    or None if the file holds ``written`` and that equals ``captured``."""
    if written is not None and captured.same_as(written, deep=True):
        return None
    session = captured() if callable(captured) else dict(captured)
    session["recovery"] = {**session.get("recovery", {}), "journal_seq": journal_seq}
    save_session(path, session, encoded)
    return str(path)


def journal_path(path: Path) -> Path:
    """The recovery journal beside the recovery file ``path``."""
    return Path(path).with_name(Path(path).name.removesuffix(SESSION_SUFFIX) + ".journal")


def _lock_path(path: Path) -> Path:
    return path.with_name(path.name.removesuffix(SESSION_SUFFIX) + ".lock")


def _remove(path: Path) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("cannot remove %s: %s", path, exc.strerror or exc)
