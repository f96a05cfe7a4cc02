"""Refuse what is not a regular file before reading it.

Reading a named pipe (FIFO) or a device blocks until some other program writes to it, or for
ever; a reader that must never hang the window checks first and says what the path is.
"""

from __future__ import annotations

import os
import stat

__all__ = ["not_regular_reason"]

_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


def not_regular_reason(path) -> str | None:
    """None for a regular file (or a path that cannot be looked at: opening it will say why);
    otherwise a sentence naming what ``path`` is instead."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    return f"{path} is {kind}, not a file; save the data to a regular file and open that."
