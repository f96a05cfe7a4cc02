"""CSV files: the one place where user data enters and leaves the engine as text (docs/design.md §3).

`read_csv` turns a CSV file into a :class:`~engine.data.Dataset` or raises
:class:`~engine.data.DataError` with a message that names the file, line, column and value and
says what to do; `find_problems` lists every problem at once and `preview_csv` peeks at the start
of a file, for an import dialog. `write_csv` writes atomically, so a failed save never damages the
old file. The parsing itself is :mod:`engine.csv_parser`.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import os
from dataclasses import dataclass

import numpy as np

from .atomic import atomic_write
from .csv_parser import Table, decode, fast_dataset, guess_label, looks_numeric, not_a_number, sample_records, sniff
from .data import DataError, parses_as_number
from .regular_file import not_regular_reason

__all__ = ["CsvPreview", "find_problems", "preview_csv", "read_csv", "read_csv_text", "write_csv"]


def read_csv(path, x_columns=None, label_column=None, *, progress=None):
    """Read a CSV file into a Dataset (rules in docs/design.md §3); raises DataError on any problem.

    ``progress``, if given, is called now and then with the fraction done (0.0 to 1.0), about
    every 30,000 rows. To cancel, raise an exception from it: it propagates out of ``read_csv``.
    """
    report = progress or _no_progress
    report(0.0)
    _refuse_non_regular(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise DataError(
            f"{path}: cannot open the file ({exc.strerror or exc}). Check the name and that you may read it.",
            path=str(path),
        ) from exc
    return read_csv_text(data, source=str(path), x_columns=x_columns, label_column=label_column, progress=progress)


def read_csv_text(text_or_bytes, source="<text>", x_columns=None, label_column=None, *, progress=None):
    """Parse CSV content (str, or bytes in UTF-8/Latin-1) into a Dataset; ``source`` names it in errors.

    ``progress`` works as in `read_csv`.
    """
    report = progress or _no_progress
    text, _ = decode(text_or_bytes, source)
    del text_or_bytes  # the caller may hold it, but a file's bytes go away now
    report(0.05)
    dataset = fast_dataset(text, source, x_columns, label_column, report)
    if dataset is None:  # the general parser: quote marks, blank lines, and the wording of every error
        table = Table.parse(text, source)
        report(0.5)
        dataset = table.dataset(x_columns, label_column)
    report(1.0)
    return dataset


def find_problems(path, x_columns, label_column, limit=100, progress=None):
    """Every problem in the data rows of a CSV file, up to ``limit``, as DataErrors.

    `read_csv` stops at the first problem; an import dialog lists them all so the user can fix
    the file in one go. Checks each row's field count, that each cell of ``x_columns`` is a
    finite number and that ``label_column`` is filled in. Header problems (a missing column, a
    duplicate name) are `read_csv`'s to report: then this returns an empty list.
    ``progress`` works as in `read_csv`.
    """
    report = progress or _no_progress
    if not_regular_reason(path):
        return []
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return []
    source = str(path)
    try:
        text, _ = decode(data, source)
    except DataError:  # a binary file: read_csv says so
        return []
    del data
    delimiter = sniff(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True)
    problems, names, end, n = [], None, 0, max(len(text), 1)
    try:
        for k, record in enumerate(reader):
            start, end = end + 1, reader.line_num
            if not any(map(str.strip, record)):
                continue
            if names is None:
                names = [f.strip() for f in record]
                try:
                    chosen = [names.index(c) for c in x_columns]
                    label = names.index(label_column)
                except ValueError:
                    return []
                continue
            if k % 20000 == 0:
                report(min(start / (n / 40), 1.0))  # ~40 characters a line: a rough fraction
            found = []
            if len(record) != len(names):
                found.append(
                    (
                        None,
                        f"this row has {len(record)} fields but the header has {len(names)}. "
                        f"Give every row {len(names)} fields.",
                        None,
                    )
                )
            else:
                for j in chosen:
                    cell = record[j]
                    if not parses_as_number(cell):
                        found.append((j, not_a_number(cell), cell))
                    elif not math.isfinite(float(cell)):
                        found.append(
                            (j, f"{cell.strip()!r} is not a finite number (NaN and infinity cannot be used).", cell)
                        )
                if not record[label].strip():
                    found.append((label, "the label is missing.", record[label]))
            for j, problem, value in found:
                where = f"{source}, line {start}" + ("" if j is None else f", column {j + 1} {names[j]!r}")
                problems.append(
                    DataError(
                        f"{where}: {problem}",
                        path=source,
                        line=start,
                        column=None if j is None else names[j],
                        column_number=None if j is None else j + 1,
                        value=value,
                    )
                )
                if len(problems) >= limit:
                    return problems
    except csv.Error as exc:
        problems.append(
            DataError(
                f"{source}, line {reader.line_num}: cannot read this line as CSV ({exc}). Check its quote marks.",
                path=source,
                line=reader.line_num,
            )
        )
    return problems


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
