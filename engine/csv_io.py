"""CSV files: the one place where user data enters and leaves the engine as text (docs/design.md §3).

`read_csv` turns a CSV file into a :class:`~engine.data.Dataset` or raises
:class:`~engine.data.DataError` with a message that names the file, line, column and value and
says what to do; `find_problems` lists every problem at once and `preview_csv` peeks at the start
of a file, for an import dialog. `write_csv` writes atomically, so a failed save never damages the
old file. The parsing itself is :mod:`engine.csv_parser`.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import math
import os
import time
from dataclasses import dataclass

import numpy as np

from .atomic import atomic_write
from .csv_chunks import file_chunks, file_size, read_chunks, text_chunks
from .csv_parser import decode, guess_label, looks_numeric, not_a_number, sample_records, sniff
from .data import DataError, parses_as_number
from .regular_file import not_regular_reason

__all__ = ["CsvPreview", "find_problems", "preview_csv", "read_csv", "read_csv_text", "write_csv"]


def read_csv(path, x_columns=None, label_column=None, *, progress=None):
    """Read a CSV file into a Dataset (rules in docs/design.md §3); raises DataError on any problem.

    The file is read, decoded and parsed a chunk (~1 MB) at a time (:mod:`engine.csv_chunks`):
    memory stays near the size of the result and the first problem is reported when its chunk is
    reached. ``progress``, if given, is called after each chunk with the fraction done (0.0 to
    1.0). To cancel, raise an exception from it: it propagates out of ``read_csv``.
    """
    report = progress or _no_progress
    report(0.0)
    _refuse_non_regular(path)
    source = str(path)
    try:
        with open(path, "rb") as handle:
            if handle.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):  # rare: decoded at once
                handle.seek(0)
                data = handle.read()
                return read_csv_text(data, source, x_columns, label_column, progress=progress)
            dataset = _read_chunks_of(handle, source, x_columns, label_column, report)
    except OSError as exc:
        raise DataError(
            f"{path}: cannot open the file ({exc.strerror or exc}). Check the name and that you may read it.",
            path=source,
        ) from exc
    report(1.0)
    return dataset


def read_csv_text(text_or_bytes, source="<text>", x_columns=None, label_column=None, *, progress=None):
    """Parse CSV content (str, or bytes in UTF-8/Latin-1) into a Dataset; ``source`` names it in errors.

    ``progress`` works as in `read_csv`.
    """
    report = progress or _no_progress
    text, _ = decode(text_or_bytes, source)
    del text_or_bytes  # the caller may hold it, but a file's bytes go away now
    report(0.05)
    dataset = read_chunks(text_chunks(text), source, x_columns, label_column, report, len(text))
    report(1.0)
    return dataset


def find_problems(path, x_columns, label_column, limit=100, progress=None, *, start_line=1, max_seconds=None):
    """Every problem in the data rows of a CSV file, up to ``limit``, as DataErrors.

    `read_csv` stops at the first problem; an import dialog lists them all so the user can fix
    the file in one go. Checks each row's field count, that each cell of ``x_columns`` is a
    finite number and that ``label_column`` is filled in. Header problems (a missing column, a
    duplicate name) are `read_csv`'s to report: then this returns an empty list.

    The file is streamed. ``start_line`` skips the rows before it (``DataError.resume_line`` of
    `read_csv`'s error: they are known to be fine). After ``max_seconds`` the search stops and
    the list ends with a note saying where. ``progress`` works as in `read_csv`.
    """
    report = progress or _no_progress
    if not_regular_reason(path):
        return []
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
            if b"\x00" in head and head[:2] not in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
                return []  # a binary file: read_csv says so
            encoding = "utf-16" if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else "utf-8-sig"
            scan = _ProblemScan(str(path), x_columns, label_column, limit, report, file_size(handle), max_seconds)
            for attempt in (encoding, "latin-1"):
                handle.seek(0)
                try:
                    return scan.run(handle, attempt, start_line)
                except UnicodeDecodeError:
                    continue  # not UTF-8 after all: Latin-1 never fails
    except OSError:
        return []
    return []


class _ProblemScan:
    """One pass of :func:`find_problems` over an open file."""

    def __init__(self, source, x_columns, label_column, limit, report, size, max_seconds):
        self.source, self.x_columns, self.label_column = source, x_columns, label_column
        self.limit, self.report, self.size = limit, report, max(size, 1)
        self.deadline = None if max_seconds is None else time.monotonic() + max_seconds

    def run(self, handle, encoding, start_line):
        text = io.TextIOWrapper(handle, encoding=encoding, newline="")
        try:
            return self._scan(handle, text, start_line)
        finally:
            text.detach()  # the caller closes the file (and may read it again)

    def _scan(self, handle, text, start_line):
        sample = text.read(65536)
        delimiter = sniff(sample)
        text.seek(0)
        header = csv.reader(text, delimiter=delimiter, skipinitialspace=True)
        names = None
        try:
            for record in header:
                if any(map(str.strip, record)):
                    names = [f.strip() for f in record]
                    break
        except csv.Error:
            return []
        if names is None:
            return []
        try:
            chosen = [names.index(c) for c in self.x_columns]
            label = names.index(self.label_column)
        except ValueError:
            return []
        line = header.line_num
        while line < start_line - 1 and text.readline():  # known to be fine: skipped unparsed
            line += 1
        reader = csv.reader(text, delimiter=delimiter, skipinitialspace=True)
        problems, end = [], line
        try:
            for k, record in enumerate(reader):
                first, end = end + 1, line + reader.line_num
                if not any(map(str.strip, record)):
                    continue
                if k % 20000 == 0:
                    self.report(min(handle.tell() / self.size, 1.0))
                    if self.deadline is not None and time.monotonic() > self.deadline:
                        problems.append(
                            DataError(
                                f"{self.source}, line {first}: stopped looking for more problems here; "
                                "fix these and load the file again.",
                                path=self.source,
                                line=first,
                            )
                        )
                        return problems
                for j, problem, value in _row_problems(record, names, chosen, label):
                    where = f"{self.source}, line {first}" + ("" if j is None else f", column {j + 1} {names[j]!r}")
                    problems.append(
                        DataError(
                            f"{where}: {problem}",
                            path=self.source,
                            line=first,
                            column=None if j is None else names[j],
                            column_number=None if j is None else j + 1,
                            value=value,
                        )
                    )
                    if len(problems) >= self.limit:
                        return problems
        except csv.Error as exc:
            problems.append(
                DataError(
                    f"{self.source}, line {line + reader.line_num}: cannot read this line as CSV ({exc}). "
                    "Check its quote marks.",
                    path=self.source,
                    line=line + reader.line_num,
                )
            )
        return problems


def _row_problems(record, names, chosen, label):
    """(column index or None, what is wrong, the cell) for each problem of one data row."""
    if len(record) != len(names):
        return [
            (
                None,
                f"this row has {len(record)} fields but the header has {len(names)}. Give every row {len(names)} fields.",
                None,
            )
        ]
    found = []
    for j in chosen:
        cell = record[j]
        if not parses_as_number(cell):
            found.append((j, not_a_number(cell), cell))
        elif not math.isfinite(float(cell)):
            found.append((j, f"{cell.strip()!r} is not a finite number (NaN and infinity cannot be used).", cell))
    if not record[label].strip():
        found.append((label, "the label is missing.", record[label]))
    return found


def write_csv(path, dataset):
    """Write ``dataset`` atomically: header = feature names + label name, floats as exact repr().

    The rows go to a temporary file in the same folder, which is synced and then renamed over
    ``path``; on failure the old file is untouched and DataError names the path and reason.
    """
    path = os.fspath(path)
    # Each row is joined by hand: csv.writer leaves a lone "\r" unquoted, which reads back as a line end.
    table = np.empty(dataset.n_classes, dtype=object)
    table[:] = [_quote(c if isinstance(c, str) else repr(c)) + "\n" for c in dataset.classes]
    columns = [map(repr, column) for column in dataset.X.T.tolist()]
    lines = map(",".join, zip(*columns, table[dataset.y].tolist()))
    header = ",".join(map(_quote, [*dataset.feature_names, dataset.label_name])) + "\n"
    try:
        atomic_write(path, itertools.chain([header], lines), newline="")
    except OSError as exc:
        raise DataError(
            f"{path}: cannot save the file ({exc.strerror or exc}). Choose another folder "
            "or free some disk space; the previous file, if any, is unchanged.",
            path=path,
        ) from exc
    except UnicodeEncodeError as exc:
        raise DataError(
            f"{path}: cannot save {exc.object[exc.start : exc.end]!r} as UTF-8; "
            "rename that class or column. The previous file, if any, is unchanged.",
            path=path,
        ) from exc


@dataclass(frozen=True)
class CsvPreview:
    """The start of a CSV file, for an import dialog."""

    path: str
    columns: tuple  # header names, trimmed
    rows: tuple  # first data rows, each a tuple of trimmed strings (may be ragged)
    delimiter: str  # "," ";" or "\t"
    encoding: str  # "utf-8", "utf-8-sig", "utf-16" or "latin-1"
    label_column: str | None
    numeric_columns: tuple  # columns that look numeric, the label included if it does

    @property
    def feature_columns(self):
        """The columns `read_csv` uses as features by default."""
        return tuple(c for c in self.numeric_columns if c != self.label_column)


def preview_csv(path, max_rows=20, max_bytes=1 << 20):
    """Peek at the first ``max_bytes`` of a CSV file without loading all of it."""
    _refuse_non_regular(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise DataError(f"{path}: cannot open the file ({exc.strerror or exc}).", path=str(path)) from exc
    complete = len(data) <= max_bytes
    text, encoding = decode(data[:max_bytes], str(path), complete)
    if not text.strip():
        raise DataError(f"{path}, line 1: the file is empty.", path=str(path), line=1)
    if not complete and "\n" in text:
        text = text[: text.rindex("\n")]  # drop the row that was cut off
    delimiter = sniff(text)
    records = [[f.strip() for f in r] for r in sample_records(text, delimiter, max(max_rows, 200) + 1)]
    columns = tuple(records[0]) if records else ()
    data_rows = records[1:]
    numeric = tuple(
        name for j, name in enumerate(columns) if name and looks_numeric([r[j] for r in data_rows if j < len(r)])
    )
    return CsvPreview(
        str(path),
        columns,
        tuple(tuple(r) for r in data_rows[:max_rows]),
        delimiter,
        encoding,
        guess_label(columns) if columns else None,
        numeric,
    )


def _read_chunks_of(handle, source, x_columns, label_column, report):
    """UTF-8 (BOM or not) chunk by chunk; a file that turns out not to be UTF-8 is read again as
    Latin-1, which never fails (as :func:`engine.csv_parser.decode` decides for a whole text)."""
    total = file_size(handle)
    handle.seek(0)
    try:
        return read_chunks(file_chunks(handle, source, "utf-8-sig"), source, x_columns, label_column, report, total)
    except UnicodeDecodeError:
        handle.seek(0)
        return read_chunks(file_chunks(handle, source, "latin-1"), source, x_columns, label_column, report, total)


def _refuse_non_regular(path) -> None:
    reason = not_regular_reason(path)
    if reason:
        raise DataError(reason, path=str(path))


def _no_progress(fraction):
    pass


def _quote(text):
    """``text`` as one CSV field; quoted when it holds a delimiter, quote mark or line break."""
    if any(c in text for c in ',;\t"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text
