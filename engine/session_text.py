"""Parsing a session file without holding the interpreter for long.

A million-point session is ~50 MB of JSON. Decoding it, one ``json.loads`` of it and ``np.array``
of its million-row lists are single C calls that each hold the GIL for tens to hundreds of ms, so
the window's GUI thread froze although the file is read in a background thread. The writer
(:func:`engine.serialize.session_json_chunks`) lays the three big arrays — ``data.points``,
``data.labels`` and ``training.test_idx`` — out one row per line; :func:`loads` parses each in
slices of a few thousand rows (about 1 ms per call), puts a unique placeholder string in its place,
parses the small text that is left, and checks that every placeholder came out where its array
belongs.

The result is what :func:`engine.json_checks.parse_json` gives, except that the arrays read in
slices are the NumPy arrays ``np.array(list)`` would have made of them (same dtype and shape), so
the checks in :mod:`engine.json_checks` accept and refuse exactly the same files. Anything
unexpected — another layout, strings, booleans or nulls in an array, ragged rows, whole numbers
beyond int64, a placeholder anywhere else, a file that is not UTF-8 JSON — leaves that array (or
the whole file) to ``parse_json``, so every error is the same, line and column included.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter

import numpy as np

from .json_checks import parse_json

__all__ = ["ROWS_PER_SLICE", "loads", "sliced"]

#: Rows parsed per step: each of its calls (regex, json.loads, np.array) takes about 1 ms.
ROWS_PER_SLICE = 2000
#: How many arrays :func:`loads` has read in slices, by name (the tests look).
sliced: Counter = Counter()

_WS = rb"[ \t\n\r]*"  # JSON's whitespace
_NUMBER = rb"-?[0-9][0-9.eE+\-]*"  # a superset of a JSON number; json.loads refuses the rest
_FIRST_ROW = _WS + rb"\[([0-9.eE+\-, \t\n\r]*)\]"  # the first row of a table, to count its columns
#: The arrays read in slices (where in the document, a table?), in the order the writer puts them.
_ARRAYS = ((("data", "points"), True), (("data", "labels"), False), (("training", "test_idx"), False))


def loads(raw: bytes):
    """What :func:`~engine.json_checks.parse_json` makes of ``raw``, the big arrays NumPy arrays read in slices."""
    try:
        doc = _sliced_loads(raw)
    except (ValueError, RecursionError):  # not UTF-8 or not JSON: let parse_json say where
        doc = None
    return parse_json(raw) if doc is None else doc


def _sliced_loads(raw: bytes) -> dict | None:
    """The document with its big arrays read in slices; None when it does not have the writer's layout."""
    pieces, found, start = [], {}, 0
    for path, table in _ARRAYS:
        at = _opening(raw, path[-1], start)
        read = None if at is None else _read_array(raw, at, table)
        if read is None:
            continue
        array, end = read
        placeholder = f"@@{path[-1]}-{uuid.uuid4().hex}@@"
        pieces += [raw[start:at], f'"{placeholder}"'.encode()]
        found[path] = (placeholder, array)
        start = end
    if not found:
        return None
    rest = b"".join([*pieces, raw[start:]]).decode("utf-8-sig")
    doc = json.loads(rest)
    for path, (placeholder, _) in found.items():
        if _value_at(doc, path) != placeholder:
            return None  # the key in another object, or twice, ...
    for (section, key), (_, array) in found.items():
        doc[section][key] = array
        sliced[key] += 1
    return doc


def _opening(raw: bytes, key: str, start: int) -> int | None:
    """Where the ``[`` of the first ``"key": [`` at or after ``start`` is; None if there is none."""
    quoted = f'"{key}"'.encode()
    opening = re.compile(re.escape(quoted) + _WS + b":" + _WS + rb"\[")
    at = raw.find(quoted, start)
    while at != -1:
        match = opening.match(raw, at)
        if match:
            return match.end() - 1
        at = raw.find(quoted, at + 1)
    return None


def _read_array(raw: bytes, at: int, table: bool) -> tuple[np.ndarray, int] | None:
    """The non-empty list (of numbers, or of rows of as many numbers each if ``table``) whose
    ``[`` is at ``raw[at]``, as ``np.array`` would make it, and where its text ends; None unless
    every slice reads as int64 or float64 numbers."""
    width = 1
    if table:
        first = re.compile(_FIRST_ROW).match(raw, at + 1)
        if first is None:
            return None
        width = first.group(1).count(b",") + 1
    item = _NUMBER if not table else rb"\[%s%s%s(?:,%s%s%s){%d}\]" % ((_WS, _NUMBER, _WS) * 2 + (width - 1,))
    several = re.compile(rb"(?:%s%s%s,){1,%d}" % (_WS, item, _WS, ROWS_PER_SLICE))
    last = re.compile(_WS + item + _WS + rb"\]")
    parts, pos = [], at + 1
    while True:
        match = several.match(raw, pos)
        closing = match is None
        if closing:
            match = last.match(raw, pos)
            if match is None:
                return None
        part = _numbers(raw[pos : match.end() - 1], table)  # without the comma or the closing bracket
        if part is None:
            return None
        parts.append(part.reshape(-1, width) if table else part)
        pos = match.end()
        if closing:
            return np.concatenate(parts), pos


def _numbers(items: bytes, table: bool) -> np.ndarray | None:
    """``np.array`` of the numbers in the JSON list ``[items]`` if they are int64 or float64. A
    table's rows are read as one flat list (one list object, not thousands for the collector)."""
    if table:
        items = items.replace(b"[", b"").replace(b"]", b"")
    try:
        array = np.array(json.loads(b"[" + items + b"]"))
    except ValueError:  # not JSON
        return None
    return array if array.dtype in (np.int64, np.float64) else None


def _value_at(doc, path: tuple[str, ...]):
    for key in path:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(key)
    return doc
