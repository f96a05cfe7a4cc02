"""What the lab reads and writes: file-chooser filters, file names, and what a failed write says.

Owns the pieces every file action shares and none owns alone: the filters of the file choosers,
telling a session from a CSV file, the stem that suggested names start from, the local path of a
dropped file, and :func:`describe_os_error`, the message for a write the disk refused.
"""

from __future__ import annotations

import errno
import os

from engine.regular_file import not_regular_reason
from engine.serialize import SESSION_SUFFIX

__all__ = [
    "ANIMATION_FILTERS",
    "CSV_FILTER",
    "MODEL_FILTER",
    "PICTURE_FILTER",
    "SCRIPT_FILTER",
    "SESSION_FILTER",
    "describe_os_error",
    "dropped_path",
    "is_session",
    "stem",
]

SESSION_FILTER = f"Logit Lab sessions (*{SESSION_SUFFIX} *.json)"
CSV_FILTER = "CSV files (*.csv *.tsv *.txt)"
PICTURE_FILTER = "PNG image (*.png);;SVG vector image (*.svg)"
#: File ▸ Export animation…'s choosers, by format (a PNG sequence is named by its first file's stem).
ANIMATION_FILTERS = {"gif": "Animated GIF (*.gif)", "png": "PNG sequence (*.png)"}
SCRIPT_FILTER = "Python scripts (*.py)"
MODEL_FILTER = "Logit Lab models (*.json)"


def describe_os_error(exc: OSError, path: str, doing: str) -> str:
    """A message for a failed write that says what happened and what to do; the old file is kept."""
    code = exc.errno
    if code == errno.ENOSPC or code == getattr(errno, "EDQUOT", -1):
        why = "the disk is full. Free some space or choose another disk"
    elif code in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = "the folder or the file is read-only (no permission to write). Choose another folder"
    elif code == errno.ENOENT:
        why = "the folder does not exist. Choose an existing folder"
    elif code == errno.EISDIR:
        why = "that is a folder. Choose a file name"
    else:
        why = f"{exc.strerror or exc}. Choose another file name or folder"
    return f"Cannot {doing} as {path}: {why}. The previous file, if there was one, is unchanged."


def is_session(path: str) -> bool:
    """A ``.json`` name, or a file whose first non-blank byte opens a JSON object."""
    if path.lower().endswith(".json"):
        return True
    if not_regular_reason(path):
        return False  # reading a pipe's first bytes would block; the reader says what it is
    try:
        with open(path, "rb") as fh:
            head = fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return False
    return head.startswith(b"{")


def stem(path: str | None) -> str:
    """The name that suggested export names start from: the session's, without its suffix."""
    if not path:
        return "untitled"
    name = os.path.basename(path)
    for suffix in (SESSION_SUFFIX, ".json", ".csv"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return os.path.splitext(name)[0]


def dropped_path(mime) -> str | None:
    """The first local file of a drag's ``QMimeData``, or None."""
    if mime is None or not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile():
            return url.toLocalFile()
    return None
