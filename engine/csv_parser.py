"""Parsing CSV text (docs/design.md §3): decoding, delimiter sniffing, label guessing, and
:class:`Table`, the general parser, which words every error (file, line, column, what to do).
:mod:`engine.csv_chunks` reads files chunk by chunk with a fast path and falls back to a
:class:`Table` of the one chunk that needs it.

The file operations built on these (read, find every problem, preview, write) are in
:mod:`engine.csv_io`.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from itertools import repeat

import numpy as np

from .data import BadLabel, DataError, Dataset, class_order, parses_as_number

__all__ = [
    "DELIMITERS",
    "LABEL_NAMES",
    "Table",
    "decode",
    "guess_label",
    "looks_numeric",
    "not_a_number",
    "sample_records",
    "sniff",
]

LABEL_NAMES = ("label", "class", "target", "y", "species")
"""Column names taken as the label (any case), in order of preference."""

DELIMITERS = (",", ";", "\t")


class Table:
    """A parsed CSV: header names and columns of raw strings, with line numbers for messages."""

    def __init__(self, text, source, delimiter, names, kept, quoted, line_offset=0):
        self.text, self.source, self.delimiter = text, source, delimiter
        self.line_offset = line_offset  # lines of the file before ``text`` (a chunk of it)
        self.names, self.columns = names, []
        self.numbers = list(range(1, len(names) + 1))  # file column numbers, kept when columns are dropped
        self._kept, self._quoted = kept, quoted

    @classmethod
    def parse(cls, text, source, line_offset=0):
        """Parse ``text``; with ``line_offset``, it is a part of the file starting that many lines
        in (:mod:`engine.csv_chunks` gives each chunk the header line), and messages say so."""
        if not text.strip():
            raise DataError(
                f"{source}, line 1: the file is empty. Choose a CSV file with a header line and rows of data.",
                path=source,
                line=1,
            )
        delimiter = sniff(text)
        quoted = '"' in text
        if quoted:
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True)
            try:
                records = list(reader)
            except csv.Error as exc:
                raise DataError(
                    f"{source}, line {reader.line_num}: cannot read this line as CSV ({exc}). Check its quote marks.",
                    path=source,
                    line=reader.line_num,
                ) from None
            kept = [i for i, r in enumerate(records) if any(map(str.strip, r))]  # skip blank lines
        else:
            # Without quote marks a record is exactly one line, and splitting the whole text at
            # once is ~3x faster than the csv module on a million rows.
            records = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
            no_delimiters = map(str.replace, records, repeat(delimiter), repeat(""))
            kept = [i for i, rest in enumerate(map(str.strip, no_delimiters)) if rest]
        if not kept:
            raise DataError(
                f"{source}, line 1: the file holds only blank lines and separators. Choose a CSV "
                "file with a header line and rows of data.",
                path=source,
                line=1,
            )
        header = records[kept[0]] if quoted else records[kept[0]].split(delimiter)
        names = [name.strip() for name in header]
        table = cls(text, source, delimiter, names, kept, quoted, line_offset)
        rows = [records[i] for i in kept[1:]]
        width = len(names)
        if not rows:
            raise table.error(
                f"there are no data rows after the header (line {table.line(-1)}). Add at least one row of data.", row=0
            )
        if quoted:
            ragged = set(map(len, rows)) != {width}
        else:
            ragged = set(map(str.count, rows, repeat(delimiter))) != {width - 1}
        if ragged:
            fields = (len(r) if quoted else r.count(delimiter) + 1 for r in rows)
            k, n = next((k, n) for k, n in enumerate(fields) if n != width)
            raise table.error(
                f"this row has {n} fields but the header has {width}. Give every "
                f"row {width} fields (look for a missing or extra {delimiter!r}).",
                row=k,
            )
        if quoted:
            table.columns = list(zip(*rows))
        else:
            cells = delimiter.join(rows).split(delimiter)
            table.columns = [cells[j::width] for j in range(width)]
        return table

    def line(self, row):
        """Physical line (1-based) of the file where data row ``row`` starts; row -1 is the header."""
        if row < 0:
            return self._line(row)
        return self._line(row) + self.line_offset

    def _line(self, row):
        index = self._kept[row + 1] if row + 1 < len(self._kept) else self._kept[-1] + 1
        if not self._quoted:
            return index + 1
        reader = csv.reader(io.StringIO(self.text, newline=""), delimiter=self.delimiter, skipinitialspace=True)
        start = 1
        for i, _ in enumerate(reader):  # a quoted field may span lines, so count them again
            if i == index:
                return start
            start = reader.line_num + 1
        return start

    def error(self, problem, row=-1, column=None, value=None):
        line = self.line(row)
        where = f"{self.source}, line {line}"
        name = None
        if column is not None:
            name = self.names[column]
            where += f", column {self.numbers[column]} {name!r}"
        return DataError(
            f"{where}: {problem}",
            path=self.source,
            line=line,
            column=name,
            column_number=None if column is None else self.numbers[column],
            value=value,
        )

    def dataset(self, x_columns, label_column):
        chosen, label = self.choose(x_columns, label_column)
        columns, labels = self.cells(chosen, label)
        classes, code = class_order(labels)
        y = np.fromiter(map(code.__getitem__, labels), dtype=np.int64, count=len(labels))
        names = self.names
        return Dataset(np.column_stack(columns), y, tuple(classes), tuple(names[j] for j in chosen), names[label])

    def cells(self, chosen, label):
        """The chosen columns as float64 arrays and the label column's raw strings, every cell
        checked (DataError names the first bad one)."""
        return [self._floats(j) for j in chosen], self._labels(label)

    @property
    def header_record(self):
        """Index of the header among the text's records (blank lines before it count)."""
        return self._kept[0]

    def named(self, feature_names, label_name):
        """(feature column indices, label column index) of columns known by name (a later chunk of
        a file whose first chunk chose them)."""
        self._check_header()
        return [self._index(n) for n in feature_names], self._index(label_name)

    def choose(self, x_columns, label_column):
        """(feature column indices, label column index) after checking the header (DataError)."""
        self._check_header()
        names = self.names
        if isinstance(x_columns, str):
            x_columns = [x_columns]
        chosen = [self._index(n) for n in x_columns] if x_columns is not None else None
        if chosen is not None and len(set(chosen)) != len(chosen):
            raise self.error(f"the feature columns {list(x_columns)} name a column twice. Name each once.")
        if label_column is not None:
            label = self._index(label_column)
        else:
            label = guess_label(names, exclude=chosen or ())
            if label is None:
                raise self.error("every column is a feature, so none is left for the label. Choose a label column.")
            label = names.index(label)
        if chosen is None:
            chosen = [j for j in range(len(names)) if j != label and looks_numeric(self.columns[j][:200])]
        elif label in chosen:
            raise self.error(
                f"column {names[label]!r} cannot be both the label and a feature. Choose different columns.",
                column=label,
            )
        if not chosen:
            if x_columns is not None:
                raise self.error("no feature columns were chosen. Choose at least one.")
            raise self._no_features(label)
        return chosen, label

    def _check_header(self):
        names = self.names
        if all(parses_as_number(n) for n in names):
            raise self.error(
                "the first line holds numbers, but a header line with column names is "
                "required. Add one, e.g. " + ",".join([f"x{j + 1}" for j in range(len(names) - 1)] + ["label"]) + "."
            )
        for j in reversed(range(len(names))):
            if not names[j]:  # row names (R's write.csv), an index (pandas) or stray separators
                del names[j], self.columns[j], self.numbers[j]
        seen = {}
        for j, name in enumerate(names):
            if name in seen:
                raise self.error(
                    f"the name {name!r} is also used by column {self.numbers[seen[name]]}. "
                    "Give every column a different name.",
                    column=j,
                    value=name,
                )
            seen[name] = j

    def _index(self, name):
        if name not in self.names:
            listing = ", ".join(repr(n) for n in self.names)
            raise self.error(
                f"there is no column {name!r}; the columns are {listing}. Use one of these names.", value=name
            )
        return self.names.index(name)

    def _floats(self, j):
        column = self.columns[j]
        try:
            with np.errstate(all="ignore"):
                values = np.array(column, dtype=np.float64)
        except (ValueError, OverflowError):
            for k, cell in enumerate(column):
                if not parses_as_number(cell):
                    raise self.error(
                        not_a_number(cell) + f" Correct the cell or delete the row, or leave "
                        f"{self.names[j]!r} out of the features.",
                        k,
                        j,
                        cell,
                    ) from None
            values = np.array([float(cell) for cell in column])  # NumPy is stricter than float(): trust float()
        finite = np.isfinite(values)
        if not finite.all():
            k = int(np.argmin(finite))
            raise self.error(
                f"{column[k].strip()!r} is not a finite number (NaN and infinity cannot be "
                "used). Replace it with a number or delete the row.",
                k,
                j,
                column[k],
            )
        return values

    def _labels(self, j):
        column = self.columns[j]
        try:
            class_order(column)
        except BadLabel as bad:
            k = column.index(bad.value)
            raise self.error(f"{bad.reason}. Fill in the label or delete the row.", k, j, bad.value) from None
        return column

    def _no_features(self, label):
        texts = []
        for j, column in enumerate(self.columns):
            if j != label:
                k = next((k for k, c in enumerate(column) if c.strip() and not parses_as_number(c)), 0)
                texts.append(f"{self.names[j]!r} (line {self.line(k)}: {column[k].strip()!r})")
        held = ("; columns holding text: " + ", ".join(texts)) if texts else ""
        return self.error(
            f"there is no numeric feature column besides the label {self.names[label]!r}{held}. "
            "Add a column of numbers or choose the feature columns."
        )


def decode(data, source, complete=True):
    """(text, encoding name) from str or bytes: UTF-8 with or without BOM, UTF-16 with BOM, else Latin-1."""
    if isinstance(data, str):
        text, encoding = data.removeprefix("\ufeff"), "text"
    else:
        data = bytes(data)
        text = None
        if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            try:
                text, encoding = data.decode("utf-16"), "utf-16"
            except UnicodeDecodeError:
                text = None
        if text is None and b"\x00" not in data:
            encoding = "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
            try:
                text = _decode_utf8(data, complete)
            except UnicodeDecodeError:
                text, encoding = data.decode("latin-1"), "latin-1"  # never fails: every byte is a character
        if text is None:
            line = data.count(b"\n", 0, max(data.find(b"\x00"), 0)) + 1
            raise DataError(
                f"{source}, line {line}: this looks like a binary file (it contains NUL bytes), "
                "not CSV text. Save it as CSV (UTF-8) and open that file.",
                path=source,
                line=line,
            )
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise DataError(
            f"{source}, line {line}: this looks like a binary file (it contains NUL characters), "
            "not CSV text. Save it as CSV (UTF-8) and open that file.",
            path=source,
            line=line,
        )
    return text, encoding


_DECODE_CHUNK = 4 << 20


def _decode_utf8(data, complete):
    """UTF-8 (BOM dropped) in 4 MB steps: one call on 50 MB would hold the interpreter ~50 ms,
    long enough for a GUI thread waiting on a background import to stutter."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    if len(data) <= _DECODE_CHUNK:
        return decoder.decode(data, final=complete)
    view = memoryview(data)
    parts = [decoder.decode(view[i : i + _DECODE_CHUNK]) for i in range(0, len(data), _DECODE_CHUNK)]
    parts.append(decoder.decode(b"", final=complete))
    return "".join(parts)


def sniff(text):
    """The delimiter that splits the first lines into the same number (> 1) of fields, else ','."""
    best, best_score = ",", None
    for delimiter in DELIMITERS:
        rows = sample_records(text, delimiter, 50)
        if not rows or len(rows[0]) < 2:
            continue
        # Agreement first: a ',' inside decimal numbers of a ';' file splits rows but not the header.
        agree = sum(len(r) == len(rows[0]) for r in rows) / len(rows)
        if best_score is None or (agree, len(rows[0])) > best_score:
            best, best_score = delimiter, (agree, len(rows[0]))
    return best


def sample_records(text, delimiter, n):
    """The first ``n`` non-blank records of ``text`` (less if it ends or cannot be parsed)."""
    head = text[:65536]
    reader = csv.reader(io.StringIO(head, newline=""), delimiter=delimiter, skipinitialspace=True)
    rows = []
    try:
        for row in reader:
            if any(map(str.strip, row)):
                rows.append(row)
                if len(rows) == n:
                    break
    except csv.Error:
        pass
    return rows


def guess_label(names, exclude=()):
    """Name of the label column: a conventional name (any case), else the last column."""
    free = [n for j, n in enumerate(names) if j not in exclude]
    lowered = {n.lower(): n for n in reversed(free)}
    for wanted in LABEL_NAMES:
        if wanted in lowered:
            return lowered[wanted]
    return free[-1] if free else None


def looks_numeric(cells):
    """True when any non-empty cell looks like a number.

    A column with one number is taken as numeric so that its bad cells are reported;
    dropping a column the user meant as a feature without a word would be worse.
    """
    return any(parses_as_number(c) or _DECIMAL_COMMA.match(c) for c in cells if c.strip())


_DECIMAL_COMMA = re.compile(r"\s*[+-]?[0-9]*,[0-9]+\s*\Z")


def not_a_number(cell):
    if not cell.strip():
        return "the cell is empty."
    hint = " (use a dot, not a comma, as the decimal separator)" if _DECIMAL_COMMA.match(cell) else ""
    return f"{cell.strip()[:60]!r} is not a number{hint}."
