"""Reading a CSV file chunk by chunk into growing NumPy arrays (docs/design.md §3).

A file is read, decoded and parsed ~1 MB at a time, so memory stays near the size of the result
(not several copies of the file's text), the first bad cell is reported as soon as its chunk is
reached, and a progress callback that raises stops the read within one chunk. Each chunk of whole
records takes the fast path (split, ``np.array(..., dtype=float64)``) when it is plain: no quote
marks, blank, ragged or CR-only lines, every chosen cell a finite number and every label present.
Any other chunk is parsed by :class:`engine.csv_parser.Table` on its own (with the header line in
front), which gives the same values and words the first problem with the file's line numbers.
The first chunk always goes through the ``Table``: it checks the header and chooses the columns.
"""

from __future__ import annotations

import codecs
import os
from itertools import repeat

import numpy as np

from .csv_parser import Table
from .data import BadLabel, DataError, Dataset, class_order

__all__ = ["CHUNK_CHARS", "ChunkedTable", "file_chunks", "file_size", "read_chunks", "text_chunks"]

CHUNK_CHARS = 1 << 20
"""Characters per chunk (~30,000 rows of three numbers): each NumPy or string call stays short,
so a GUI thread waiting for the interpreter lock is never held up for long."""
_FIRST_ROWS = 200  # rows that decide the default feature columns, as for a whole text


def text_chunks(text, chunk_chars=None):
    """Chunks of whole records (see :func:`_records`) of an in-memory text."""
    size = chunk_chars or CHUNK_CHARS
    return _records(text[i : i + size] for i in range(0, len(text), size))


def file_chunks(handle, source, encoding, chunk_chars=None):
    """Chunks of whole records of a binary file ``handle`` decoded as ``encoding`` ("utf-8-sig"
    or "latin-1"); UnicodeDecodeError if it is not that encoding, DataError at a NUL byte."""
    size = chunk_chars or CHUNK_CHARS
    decoder = codecs.getincrementaldecoder(encoding)()

    def blocks():
        lines = 1
        while True:
            block = handle.read(size)
            if b"\x00" in block:
                line = lines + block.count(b"\n", 0, block.index(b"\x00"))
                raise DataError(
                    f"{source}, line {line}: this looks like a binary file (it contains NUL bytes), "
                    "not CSV text. Save it as CSV (UTF-8) and open that file.",
                    path=source,
                    line=line,
                )
            lines += block.count(b"\n")
            text = decoder.decode(block, final=not block)
            if text:
                yield text
            if not block:
                return

    return _records(blocks())


class ChunkedTable:
    """Parses chunks of one CSV text in order and keeps the values in arrays that grow.

    ``feed(chunk, first_line)`` takes each chunk (whole records, ``first_line`` its line number in
    the file); :meth:`dataset` returns the result. DataError at the first problem.
    """

    def __init__(self, source, x_columns, label_column, expected_chars=0):
        self.source, self.x_columns, self.label_column = source, x_columns, label_column
        self.expected_chars = expected_chars
        self._header = None  # (text of the header record, its physical lines)
        self._start = ""  # the text before the header and its first rows are complete
        self._raw: dict = {}  # label text -> first-seen code
        self._n = 0
        self._X = self._codes = None

    def feed(self, chunk, first_line):
        """Parse one chunk of whole records that starts at ``first_line`` (1-based)."""
        if self._header is None:  # the header and 200 rows first: they choose the columns
            self._start += chunk
            if self._start.count("\n") > _FIRST_ROWS + 1:
                self._first(self._start)
                self._start = ""
            return
        if not chunk.replace(self._delimiter, "").strip():
            return  # blank lines only
        fast = self._fast(chunk) if self._plain else None
        if fast is None:  # the general parser, for this chunk only: same values, worded errors
            header, lines = self._header
            try:
                table = Table.parse(header + "\n" + chunk, self.source, first_line - 1 - lines)
                fast = table.cells(*table.named(self._feature_names, self._label_name))
            except DataError as exc:
                exc.resume_line = first_line  # every line before this chunk is fine
                raise
        self._append(*fast)

    def dataset(self):
        """The Dataset of every chunk fed (classes in natural order); DataError if none had data."""
        if self._header is None:
            self._first(self._start)  # a short file; an empty one raises
        classes, code = class_order(list(self._raw))
        recode = np.fromiter(map(code.__getitem__, self._raw), dtype=np.int64, count=len(self._raw))
        X, codes = self._X, self._codes
        X.resize((self._n, X.shape[1]), refcheck=False)  # in place: no second copy of the result
        codes.resize(self._n, refcheck=False)
        y = recode[codes]
        del codes
        self._X = self._codes = None
        X.setflags(write=False)  # handed over: Dataset keeps read-only arrays it alone holds
        y.setflags(write=False)
        return Dataset(X, y, tuple(classes), tuple(self._feature_names), self._label_name)

    # ------------------------------------------------------------------ internals
    def _first(self, chunk):
        table = Table.parse(chunk, self.source)
        chosen, label = table.choose(self.x_columns, self.label_column)
        self._names, self._chosen, self._label = table.names, chosen, label
        self._feature_names = [table.names[j] for j in chosen]
        self._label_name = table.names[label]
        self._delimiter = table.delimiter
        # The fast path reads plain rows whose cells line up with the header's names.
        self._plain = table.numbers == list(range(1, len(table.names) + 1))
        header = chunk[: _record_end(chunk, table.header_record)].removesuffix("\r")
        self._header = (header, _lines_in(header) + 1)
        columns, labels = table.cells(chosen, label)
        rows = len(labels)
        estimate = int(rows * max(self.expected_chars, len(chunk)) / max(len(chunk), 1) * 1.05) + 16
        self._X = np.empty((max(estimate, rows), len(chosen)), dtype=np.float64)
        self._codes = np.empty(max(estimate, rows), dtype=np.int64)
        self._append(columns, labels)

    def _fast(self, chunk):
        """(columns, labels) of a plain chunk, or None when it needs the general parser."""
        if '"' in chunk:
            return None
        if "\r" in chunk:
            chunk = chunk.replace("\r\n", "\n")
            if "\r" in chunk:
                return None
        rows = chunk.split("\n")
        if rows[-1] == "":
            rows.pop()
        delimiter, width = self._delimiter, len(self._names)
        if not rows or set(map(str.count, rows, repeat(delimiter))) != {width - 1}:
            return None
        cells = delimiter.join(rows).split(delimiter)
        del rows
        columns = []
        for j in self._chosen:
            try:
                with np.errstate(all="ignore"):
                    values = np.array(cells[j::width], dtype=np.float64)
            except (ValueError, OverflowError):
                return None
            if not np.isfinite(values).all():
                return None
            columns.append(values)
        labels = cells[self._label :: width]
        try:
            class_order([value for value in dict.fromkeys(labels) if value not in self._raw])
        except BadLabel:
            return None  # the general parser says which row
        return columns, labels

    def _append(self, columns, labels):
        m = len(labels)
        if self._n + m > len(self._codes):
            capacity = max(self._n + m, int(len(self._codes) * 1.5))
            self._X.resize((capacity, self._X.shape[1]), refcheck=False)
            self._codes.resize(capacity, refcheck=False)
        rows = slice(self._n, self._n + m)
        for k, values in enumerate(columns):
            self._X[rows, k] = values
        raw = self._raw
        for value in dict.fromkeys(labels):
            raw.setdefault(value, len(raw))
        self._codes[rows] = np.fromiter(map(raw.__getitem__, labels), dtype=np.int64, count=m)
        self._n += m


def read_chunks(chunks, source, x_columns, label_column, report, total_chars):
    """Feed ``chunks`` (from :func:`text_chunks` or :func:`file_chunks`) to a :class:`ChunkedTable`,
    reporting the fraction done after each; returns the Dataset."""
    table = ChunkedTable(source, x_columns, label_column, total_chars)
    done = 0
    for chunk, first_line in chunks:
        table.feed(chunk, first_line)
        done += len(chunk)
        report(min(0.05 + 0.9 * done / max(total_chars, 1), 0.95))
    return table.dataset()


def file_size(handle) -> int:
    try:
        return os.fstat(handle.fileno()).st_size
    except OSError:
        return 0


# ---------------------------------------------------------------------- record boundaries
def _records(pieces):
    """Regroup text pieces into chunks that end at a record boundary: a line end outside quote
    marks (an even number of them before it). Yields (chunk, first line number)."""
    carry, line = "", 1
    for piece in pieces:
        text = carry + piece
        cut = _last_boundary(text)
        if cut <= 0:
            carry = text
            continue
        chunk, carry = text[:cut], text[cut:]
        yield chunk, line
        line += _lines_in(chunk)
    if carry:
        yield carry, line


def _last_boundary(text):
    """Index just after the last line end that ends a record (0 if none)."""
    cut = text.rfind("\n") + 1
    if '"' not in text:
        return cut
    quotes = text.count('"', 0, cut)
    while cut > 0 and quotes % 2:
        previous = text.rfind("\n", 0, cut - 1) + 1
        quotes -= text.count('"', previous, cut)
        cut = previous
    return cut


def _record_end(text, record):
    """Index just after record number ``record`` (0-based, line ends inside quotes skipped)."""
    end, seen = 0, -1
    while seen < record:
        end = text.find("\n", end) + 1
        if end == 0:
            return len(text)
        if text.count('"', 0, end) % 2 == 0:
            seen += 1
    return end - 1


def _lines_in(text):
    """Physical lines, counted as the parsers count them (``\\r\\n``, ``\\n`` and a lone ``\\r``)."""
    return text.count("\n") + text.count("\r") - text.count("\r\n")
