"""The import dialog's preview of a CSV file: what the file is, and its first rows.

:func:`describe_file` is the one-line summary above the table (size, estimated rows, delimiter,
encoding). :class:`PreviewTable` shows the first rows numbered as the file numbers its lines (so
they match the problems' line numbers) and tints each column by its role: feature, label, or not
used, with cells that cannot be imported in red.
"""

from __future__ import annotations

import csv
import io
import os

import numpy as np
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

__all__ = ["FEATURE_TINT", "LABEL_TINT", "PROBLEM_TINT", "PreviewTable", "describe_file"]

FEATURE_TINT = QColor("#E8F1FA")
LABEL_TINT = QColor("#FDF0D5")
PROBLEM_TINT = QColor("#F9D6D5")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


def describe_file(path: str, preview, preview_rows: int) -> str:
    """Rich text: the file's name, size, rows (estimated from the preview), delimiter and encoding."""
    p = preview
    size = os.path.getsize(path)
    head = sum(len(",".join(r)) + 1 for r in p.rows) / max(len(p.rows), 1)
    estimate = f", about {size / head:,.0f} rows" if len(p.rows) >= preview_rows and head else ""
    return (
        f"<b>{_html(os.path.basename(path))}</b> — {_size(size)}{estimate}, "
        f"{_DELIMITER_NAMES.get(p.delimiter, repr(p.delimiter))}-separated, {p.encoding.upper()}. "
        f"The first {len(p.rows)} rows:"
    )


class PreviewTable(QTableWidget):
    """The first rows of the file, read only (objectName ``importPreview``)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("importPreview")
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.horizontalHeader().setDefaultSectionSize(90)
        self.verticalHeader().setDefaultSectionSize(22)

    def show_rows(self, path: str, preview) -> None:
        """Fill the table with ``preview``'s columns and rows (``engine.csv_io.preview_csv``)."""
        p = preview
        self.setColumnCount(len(p.columns))
        self.setRowCount(len(p.rows))
        self.setHorizontalHeaderLabels(list(p.columns))
        lines = _line_numbers(path, p)
        if lines is not None:  # number rows as the file does, so they match the problems' lines
            self.setVerticalHeaderLabels([str(n) for n in lines])
            self.verticalHeader().setToolTip("Line numbers in the file")
        for i, row in enumerate(p.rows):
            for j in range(len(p.columns)):
                self.setItem(i, j, QTableWidgetItem(row[j] if j < len(row) else ""))

    def color_columns(self, columns, features: set, label: str | None) -> None:
        """Tint and title each column by its role; red for cells that cannot be imported."""
        for j, name in enumerate(columns):
            tint = FEATURE_TINT if name in features else LABEL_TINT if name == label else None
            header = self.horizontalHeaderItem(j)
            if header is not None:
                role = "feature" if name in features else "label" if name == label else "not used"
                header.setToolTip(f"{name}: {role}")
                header.setText(f"{name}\n({role})")
            for i in range(self.rowCount()):
                item = self.item(i, j)
                if item is None:
                    continue
                bad = tint is FEATURE_TINT and not _finite(item.text())
                bad = bad or (name == label and not item.text().strip())
                item.setBackground(QBrush(PROBLEM_TINT if bad else tint) if (bad or tint) else QBrush())


def _line_numbers(path: str, preview) -> list[int] | None:
    """The file's line number of each preview row (blank lines and quoted line breaks counted),
    or None if the start of the file cannot be read again."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 20)
        encoding = {"utf-8": "utf-8-sig", "text": "utf-8-sig"}.get(preview.encoding, preview.encoding)
        reader = csv.reader(
            io.StringIO(head.decode(encoding, errors="replace"), newline=""),
            delimiter=preview.delimiter,
            skipinitialspace=True,
        )
        lines, end = [], 0
        for record in reader:
            start, end = end + 1, reader.line_num
            if any(field.strip() for field in record):
                lines.append(start)
                if len(lines) > len(preview.rows):
                    break
    except (OSError, LookupError, csv.Error):
        return None
    return lines[1:] if len(lines) == len(preview.rows) + 1 else None


def _finite(text: str) -> bool:
    try:
        return np.isfinite(float(text))
    except (ValueError, OverflowError):
        return False


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n} GB"


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
