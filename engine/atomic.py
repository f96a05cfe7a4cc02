"""Atomic file writes: the new file appears complete, or the old one stays untouched.

Every file the project writes (CSV, sessions, models, autosaves, exported pictures) goes
through :func:`atomic_write`: a temp file beside the target, flushed and fsynced, renamed over
the target, then the folder is synced so the rename survives a power cut. Saving over a symbolic
link writes the file it points to (the link stays a link), and temp files that a crash left
beside the target (older than :data:`STALE_TEMP_SECONDS`) are removed by the next save.
"""

from __future__ import annotations

import os
import stat
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

__all__ = ["STALE_TEMP_SECONDS", "atomic_write"]

#: A temp file of the same target older than this was left by a crash (a write takes seconds).
STALE_TEMP_SECONDS = 3600.0


def atomic_write(path, content: str | bytes | Iterable, *, newline: str | None = "\n") -> None:
    """Write ``content`` (text, bytes, or an iterable of either) to ``path`` atomically.

    Text is UTF-8 with ``newline`` translation (``""``: none). A new file gets the usual
    permissions (0o666 less the umask; ``tempfile.mkstemp`` would force 0o600), a replaced file
    keeps its mode. OSError (read-only folder, full disk) propagates with ``filename`` = ``path``.
    """
    shown = Path(path)
    path = Path(os.path.realpath(shown)) if shown.is_symlink() else shown  # write through a link
    folder = path.parent if str(path.parent) else Path(".")
    _remove_stale_temps(folder, path.name)
    pieces = [content] if isinstance(content, (str, bytes)) else content
    binary = isinstance(content, bytes)
    tmp = folder / f".{path.name}.{uuid.uuid4().hex[:12]}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as exc:
        exc.filename = str(shown)
        raise
    try:
        mode = {"mode": "wb"} if binary else {"mode": "w", "encoding": "utf-8", "newline": newline}
        with os.fdopen(fd, **mode) as fh:
            for piece in pieces:
                fh.write(piece)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            exc.filename = str(shown)
        raise
    _sync_folder(folder)


def _remove_stale_temps(folder: Path, name: str) -> None:
    """Delete ``.<name>.<hex>.tmp`` files a crash left behind (best effort, never an error)."""
    cutoff = time.time() - STALE_TEMP_SECONDS
    prefix = f".{name}."
    try:
        leftovers = [e for e in os.scandir(folder) if e.name.startswith(prefix) and e.name.endswith(".tmp")]
    except OSError:
        return
    for entry in leftovers:
        try:
            if len(entry.name) == len(prefix) + 16 and entry.stat(follow_symlinks=False).st_mtime < cutoff:
                os.unlink(entry.path)
        except OSError:
            pass


def _sync_folder(folder) -> None:
    """Make the rename durable; best effort, as not every platform can open a folder."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
