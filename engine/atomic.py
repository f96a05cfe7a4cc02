"""Atomic file writes: the new file appears complete, or the old one stays untouched.

Every file the project writes (CSV, sessions, models, autosaves, exported pictures) goes
through :func:`atomic_write`: a temp file beside the target, flushed and fsynced, renamed over
the target, then the folder is synced so the rename survives a power cut.
"""

from __future__ import annotations

import os
import stat
import uuid
from collections.abc import Iterable
from pathlib import Path

__all__ = ["atomic_write"]


def atomic_write(path, content: str | bytes | Iterable, *, newline: str | None = "\n") -> None:
    """Write ``content`` (text, bytes, or an iterable of either) to ``path`` atomically.

    Text is UTF-8 with ``newline`` translation (``""``: none). A new file gets the usual
    permissions (0o666 less the umask; ``tempfile.mkstemp`` would force 0o600), a replaced file
    keeps its mode. OSError (read-only folder, full disk) propagates with ``filename`` = ``path``.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    pieces = [content] if isinstance(content, (str, bytes)) else content
    binary = isinstance(content, bytes)
    tmp = folder / f".{path.name}.{uuid.uuid4().hex[:12]}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as exc:
        exc.filename = str(path)
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
            exc.filename = str(path)
        raise
    _sync_folder(folder)


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
