"""Checked reading of untrusted JSON, shared by model files (:mod:`engine.model_file`) and session
files (:mod:`engine.serialize`).

Reading never trusts a file: every field is checked for its type and range before anything is
built from it. A failed check raises :class:`Invalid` inside a loader, which the loader turns into
a :class:`SessionError` naming the file and the field.
"""

from __future__ import annotations

import json
import numbers
from pathlib import Path

import numpy as np

from .regular_file import not_regular_reason

__all__ = [
    "MAX_INPUTS",
    "Invalid",
    "SessionError",
    "as_array",
    "describe",
    "expect",
    "integers_array",
    "is_int",
    "is_number",
    "numbers_array",
    "parse_json",
    "plain",
    "read_json",
]

MAX_INPUTS = 1000  # raw input columns a model or session may have (a guard against absurd files)


class SessionError(ValueError):
    """A model or session file that cannot be read; the message names the file and the problem."""


class Invalid(ValueError):
    """A failed check inside the loaders; becomes a SessionError naming the file."""


def expect(ok: bool, message: str) -> None:
    """Raise :class:`Invalid` with ``message`` unless ``ok``."""
    if not ok:
        raise Invalid(message)


def numbers_array(value, what: str, ndim: int, empty_shape) -> np.ndarray:
    """A float64 array of JSON numbers (no strings, booleans or nulls) with ``ndim`` dimensions."""
    array = as_array(value, what, "a regular table of numbers")
    if array.size == 0:
        return np.zeros(empty_shape)
    expect(array.dtype.kind in "iuf", f"{what} must hold only numbers")
    expect(array.ndim == ndim, f"{what} must be a {'table' if ndim == 2 else 'list'} of numbers")
    with np.errstate(all="ignore"):
        return array.astype(np.float64)


def integers_array(value, what: str) -> np.ndarray:
    array = as_array(value, what, "a list of whole numbers")
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    expect(array.ndim == 1 and array.dtype.kind in "iu", f"{what} must be a list of whole numbers")
    return array.astype(np.int64)


def as_array(value, what: str, expected: str) -> np.ndarray:
    """A JSON list (or an array already) as a NumPy array; Invalid naming ``what`` otherwise."""
    if isinstance(value, np.ndarray):
        return value
    expect(isinstance(value, list), f"{what} must be a list")
    try:
        return np.array(value)
    except (ValueError, TypeError, OverflowError):
        raise Invalid(f"{what} must be {expected}") from None


def parse_json(raw: bytes):
    """The JSON document in ``raw`` (UTF-8, with or without a byte-order mark)."""
    return json.loads(raw.decode("utf-8-sig"))


def read_json(path, expected_format: str, newest: int, parse=parse_json) -> dict:
    """The JSON object of a ``{"format": expected_format, "version": 1..newest}`` file; SessionError
    otherwise. ``parse`` turns the file's bytes into the document, raising what :func:`parse_json` raises."""
    source = str(path)
    reason = not_regular_reason(path)
    if reason:
        raise SessionError(reason)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise SessionError(f"{source}: cannot read the file ({exc.strerror or exc})") from None
    try:
        doc = parse(raw)
    except UnicodeDecodeError:
        raise SessionError(f"{source}: not a text file; expected a {expected_format} JSON file") from None
    except json.JSONDecodeError as exc:
        raise SessionError(
            f"{source}: not valid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg}); the file may be truncated"
        ) from None
    except RecursionError:
        raise SessionError(f"{source}: JSON nested too deeply") from None
    except ValueError as exc:  # e.g. an integer with thousands of digits
        raise SessionError(f"{source}: not a usable JSON file ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != expected_format:
        raise SessionError(f'{source}: not a {expected_format} file (no "format": "{expected_format}")')
    version = doc.get("version")
    if not is_int(version) or version < 1:
        raise SessionError(f'{source}: the "version" field must be a positive integer, not {version!r}')
    if version > newest:
        raise SessionError(
            f"{source}: written by a newer Logit Lab (file version {version}, this "
            f"program reads up to {newest}); please update Logit Lab"
        )
    return doc


def is_int(v) -> bool:
    """A JSON whole number (not a boolean)."""
    return isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))


def is_number(v) -> bool:
    """A JSON number (not a boolean)."""
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def describe(exc: Exception) -> str:
    """A short reason for an exception raised while building from a file (a missing field by name)."""
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return str(exc) or type(exc).__name__


def plain(v):
    """A NumPy scalar as the Python number JSON can hold; anything else unchanged."""
    return v.item() if isinstance(v, np.generic) else v
