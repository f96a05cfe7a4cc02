"""Import a CSV file: the preview dialog.

:class:`ImportDialog` shows the first rows of the file, lets the user choose the label column and
the feature columns, and loads the whole file in the background with
:class:`lab_app.io.csv_loader.CsvLoader` each time the choice changes (a new load cancels the old
one). When a load finishes the dialog shows the class counts, or lists every problem in the file
with its line and column; Import is enabled only for a clean load, so a failed import never
touches the user's data. The caller takes :attr:`ImportDialog.dataset` when the dialog is accepted.

The first two numeric columns are ticked to start with. More may be ticked (up to ``max_features``):
the model trains on all of them, and two combo boxes choose the pair the designer shows first
(:attr:`ImportDialog.view_columns`; the designer can show another pair later).
"""

from __future__ import annotations

import os

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.csv_io import preview_csv
from engine.data import DataError
from lab_app.dialogs.csv_preview import PreviewTable, describe_file
from lab_app.io.csv_loader import CsvLoader, ImportRequest
from lab_app.tasks import Debouncer
from lab_app.widgets import palette

__all__ = ["MAX_CLASSES", "ImportDialog"]

MAX_CLASSES = palette.MAX_CLASSES
PREVIEW_ROWS = 20
#: Milliseconds of quiet after the last change of columns before the file is loaded again.
RELOAD_DELAY_MS = 150


class ImportDialog(QDialog):
    """Preview a CSV file, choose its columns, load it in the background, then Import.

    Parameters
    ----------
    path : the CSV file.
    max_features : how many feature columns the document can hold (the designer shows two of them).
    """

    ready = Signal()  # a load finished (loaded, failed or cancelled): tests wait for it

    def __init__(self, path, parent: QWidget | None = None, *, max_features: int = 2, max_classes: int = MAX_CLASSES):
        super().__init__(parent)
        self.setObjectName("importDialog")
        self.setWindowTitle(f"Import {os.path.basename(path)}")
        self.path = str(path)
        self.max_features = max_features
        self.max_classes = max_classes
        self.dataset = None  # the loaded Dataset once a load for the current choice succeeded
        self.request: ImportRequest | None = None
        self.problems: list[str] = []
        self.preview = None
        self.loader = CsvLoader(self)
        self.loader.progress.connect(self._on_progress)
        self.loader.loaded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_failed)
        self.loader.cancelled.connect(self._on_cancelled)
        self._reload_soon = Debouncer(RELOAD_DELAY_MS, self.reload, parent=self)  # a burst of ticks loads once
        self._build()
        try:
            self.preview = preview_csv(self.path, max_rows=PREVIEW_ROWS)
        except DataError as exc:
            self._show_problems([str(exc)])
            self._set_status(str(exc))
            self._set_controls_enabled(False)
            return
        self._fill_preview()
        QTimer.singleShot(0, self, self.reload)  # the first load, once the dialog is up (not after it died)

    # ------------------------------------------------------------------ public API
    @property
    def label_column(self) -> str | None:
        return self.label_combo.currentText() or None

    @property
    def feature_columns(self) -> tuple[str, ...]:
        items = (self.feature_list.item(i) for i in range(self.feature_list.count()))
        return tuple(it.text() for it in items if not it.isHidden() and it.checkState() == Qt.CheckState.Checked)

    @property
    def import_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    @property
    def view_columns(self) -> tuple[int, int] | None:
        """The pair to show first, as indices into the features (``dataset.feature_names``, else
        :attr:`feature_columns`); None for fewer than three features (all of them are shown)."""
        names = tuple(self.dataset.feature_names) if self.dataset is not None else self.feature_columns
        x, y = self.view_x_combo.currentText(), self.view_y_combo.currentText()
        if len(names) <= 2 or x not in names or y not in names or x == y:
            return None
        return names.index(x), names.index(y)

    def set_view_columns(self, x: str, y: str) -> None:
        """Show feature columns ``x`` and ``y`` (names of ticked columns) first."""
        self.view_x_combo.setCurrentText(x)
        self.view_y_combo.setCurrentText(y)

    def set_label_column(self, name: str) -> None:
        self.label_combo.setCurrentText(name)

    def set_feature_columns(self, names) -> None:
        names = set(names)
        with _blocked(self.feature_list):
            for i in range(self.feature_list.count()):
                item = self.feature_list.item(i)
                item.setCheckState(Qt.CheckState.Checked if item.text() in names else Qt.CheckState.Unchecked)
        self._choice_changed()

    @Slot()
    def reload(self) -> None:
        """Load the whole file with the current choice (cancelling a load under way)."""
        self._reload_soon.cancel()
        self.dataset = None
        self.import_button.setEnabled(False)
        problems = self._choice_problems()
        if problems:
            self.loader.cancel(quiet=True)
            self._show_problems(problems)
            self._set_status("Choose the columns to import.")
            self._show_loading(False)
            self.ready.emit()
            return
        self.request = ImportRequest(self.path, self.feature_columns, self.label_column)
        self._show_problems([])
        self._set_status("Loading…")
        self.progress_bar.setValue(0)
        self._show_loading(True)
        self.loader.start(self.request)

    @Slot()
    def cancel_loading(self) -> None:
        self.loader.cancel()

    def done(self, result: int) -> None:  # accept/reject/close all end here
        self.loader.shutdown()
        super().done(result)

    def accept(self) -> None:
        if self.dataset is not None and self.request is not None:
            super().accept()

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        self.info_label = QLabel(objectName="importInfo")
        self.info_label.setTextFormat(Qt.TextFormat.RichText)
        self.info_label.setWordWrap(True)

        self.table = PreviewTable()

        self.label_combo = QComboBox(objectName="importLabelColumn")
        self.label_combo.currentTextChanged.connect(self._label_changed)
        self.feature_list = QListWidget(objectName="importFeatureColumns")
        self.feature_list.setMaximumHeight(130)
        self.feature_list.itemChanged.connect(self._item_changed)
        self.feature_note = QLabel(objectName="importFeatureNote")
        self.feature_note.setWordWrap(True)
        self.feature_note.setStyleSheet("color: #555;")
        self.view_x_combo = QComboBox(objectName="importViewX")
        self.view_y_combo = QComboBox(objectName="importViewY")
        self.view_x_combo.setToolTip("The feature the designer shows along x")
        self.view_y_combo.setToolTip("The feature the designer shows along y")
        self.view_row = QWidget()
        view_layout = QHBoxLayout(self.view_row)
        view_layout.setContentsMargins(0, 0, 0, 0)
        view_layout.addWidget(QLabel("x"))
        view_layout.addWidget(self.view_x_combo, 1)
        view_layout.addWidget(QLabel("y"))
        view_layout.addWidget(self.view_y_combo, 1)
        self._view_pair = ("", "")
        for combo in (self.view_x_combo, self.view_y_combo):
            combo.currentTextChanged.connect(self._view_changed)
        columns_box = QGroupBox("Columns")
        form = QFormLayout(columns_box)
        form.addRow("Label:", self.label_combo)
        form.addRow("Features:", self.feature_list)
        form.addRow(self.feature_note)
        form.addRow("Show:", self.view_row)
        self.view_label = form.labelForField(self.view_row)
        self.view_row.hide()
        self.view_label.hide()

        self.class_table = QTableWidget(0, 2, objectName="importClassCounts")
        self.class_table.setHorizontalHeaderLabels(["class", "points"])
        self.class_table.verticalHeader().hide()
        self.class_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.class_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.class_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.class_table.verticalHeader().setDefaultSectionSize(20)
        classes_box = QGroupBox("Classes")
        QVBoxLayout(classes_box).addWidget(self.class_table)

        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(columns_box)
        side_layout.addWidget(classes_box, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)

        self.problem_list = QListWidget(objectName="importProblems")
        self.problem_list.setMaximumHeight(110)
        self.problem_list.setWordWrap(True)
        self.problem_box = QGroupBox("Problems")
        QVBoxLayout(self.problem_box).addWidget(self.problem_list)
        self.problem_box.hide()

        self.status_label = QLabel(objectName="importStatus")
        self.progress_bar = QProgressBar(objectName="importProgress")
        self.progress_bar.setRange(0, 100)
        self.cancel_load_button = QPushButton("Stop loading", objectName="importStopLoading")
        self.cancel_load_button.clicked.connect(self.cancel_loading)
        self.reload_button = QPushButton("Load again", objectName="importReload")
        self.reload_button.clicked.connect(self.reload)
        self.reload_button.hide()
        status = QHBoxLayout()
        status.addWidget(self.status_label, 1)
        status.addWidget(self.progress_bar)
        status.addWidget(self.cancel_load_button)
        status.addWidget(self.reload_button)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.import_button.setText("Import")
        self.import_button.setObjectName("importButton")
        self.import_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.info_label)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.problem_box)
        layout.addLayout(status)
        layout.addWidget(self.buttons)
        self.resize(920, 600)

    def _fill_preview(self) -> None:
        p = self.preview
        self.info_label.setText(describe_file(self.path, p, PREVIEW_ROWS))
        self.table.show_rows(self.path, p)
        with _blocked(self.label_combo):
            self.label_combo.addItems([c for c in p.columns if c])
            if p.label_column:
                self.label_combo.setCurrentText(p.label_column)
        with _blocked(self.feature_list):
            for name in p.columns:
                if not name:
                    continue
                item = QListWidgetItem(name)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                numeric = name in p.numeric_columns
                item.setCheckState(
                    Qt.CheckState.Checked if numeric and name in p.feature_columns[:2] else Qt.CheckState.Unchecked
                )
                if not numeric:
                    item.setToolTip("This column does not look numeric.")
                self.feature_list.addItem(item)
        self._label_changed(self.label_column or "")

    # ------------------------------------------------------------------ reactions
    def _label_changed(self, name: str) -> None:
        with _blocked(self.feature_list):
            for i in range(self.feature_list.count()):
                item = self.feature_list.item(i)
                if item.text() == name:
                    item.setCheckState(Qt.CheckState.Unchecked)
                item.setHidden(item.text() == name)
        self._choice_changed()

    @Slot(QListWidgetItem)
    def _item_changed(self, _item) -> None:
        self._choice_changed()

    def _choice_changed(self) -> None:
        self._color_columns()
        n = len(self.feature_columns)
        self.feature_note.setText(
            {0: "Tick one or two feature columns.", 1: "One feature: the points lie on a line (1-D mode)."}.get(
                n,
                "Two features: the designer shows them as x and y."
                if n == 2
                else f"{n} features ticked; at most {self.max_features} can be imported."
                if n > self.max_features
                else f"{n} features: the model trains on all {n}; the designer shows two at a time, "
                "first the pair below.",
            )
        )
        self._fill_view_combos()
        self.dataset = None
        self.import_button.setEnabled(False)
        self._reload_soon.trigger()

    def _choice_problems(self) -> list[str]:
        if self.preview is None:
            return ["The file cannot be read."]
        n = len(self.feature_columns)
        if not self.label_column:
            return ["Choose the label column."]
        if n == 0:
            return ["Tick at least one feature column."]
        if n > self.max_features:
            held = " (x and y)" if self.max_features == 2 else ""
            return [
                f"{n} feature columns are ticked, but the lab holds at most {self.max_features}{held}. "
                f"Untick {n - self.max_features}."
            ]
        return []

    def _fill_view_combos(self) -> None:
        """Offer the ticked features as the pair to show (kept by name while they stay ticked)."""
        names = list(self.feature_columns)
        x, y = self._view_pair
        if x not in names or y not in names or x == y:
            x, y = (names + ["", ""])[:2]
        with _blocked(self.view_x_combo), _blocked(self.view_y_combo):
            for combo, value in ((self.view_x_combo, x), (self.view_y_combo, y)):
                combo.clear()
                combo.addItems(names)
                combo.setCurrentText(value)
        self._view_pair = (x, y)
        show = len(names) > 2
        self.view_row.setVisible(show)
        self.view_label.setVisible(show)

    def _view_changed(self, _text: str) -> None:
        """A new pair; picking the other axis' feature swaps the two."""
        x, y = self.view_x_combo.currentText(), self.view_y_combo.currentText()
        old_x, old_y = self._view_pair
        if x == y:
            x, y = (x, old_x) if x != old_x else (old_y, y)
            with _blocked(self.view_x_combo), _blocked(self.view_y_combo):
                self.view_x_combo.setCurrentText(x)
                self.view_y_combo.setCurrentText(y)
        self._view_pair = (x, y)

    def _color_columns(self) -> None:
        if self.preview is not None:
            self.table.color_columns(self.preview.columns, set(self.feature_columns), self.label_column)

    @Slot(int)
    def _on_progress(self, percent: int) -> None:
        self.progress_bar.setValue(percent)
        self._set_status(f"Loading… {percent}%")

    @Slot(object, object)
    def _on_loaded(self, request: ImportRequest, dataset) -> None:
        if request != self.request:
            return
        self._show_loading(False)
        counts = np.bincount(dataset.y, minlength=dataset.n_classes)
        self._fill_classes(dataset.classes, counts)
        problems = []
        if dataset.n_classes > self.max_classes:
            problems.append(
                f"Column {dataset.label_name!r} holds {dataset.n_classes:,} different values, but the "
                f"lab draws at most {self.max_classes} classes. Choose the label column."
            )
        if problems:
            self._show_problems(problems)
            self._set_status("This choice of columns cannot be imported.")
        else:
            self.dataset = dataset
            note = "  Only one class: training needs at least two." if dataset.n_classes < 2 else ""
            self._set_status(
                f"{dataset.n_samples:,} points, {dataset.n_features} feature"
                f"{'s' if dataset.n_features != 1 else ''}, {dataset.n_classes} classes.{note}"
            )
            self.import_button.setEnabled(True)
        self.ready.emit()

    @Slot(object, str, list)
    def _on_failed(self, request: ImportRequest, message: str, problems: list) -> None:
        if request != self.request:
            return
        self._show_loading(False)
        self._fill_classes((), ())
        # The reader's message comes first (it says what to do); then the rest of the file's problems.
        lines = [message] + [str(p) for p in problems if not _same_place(message, p)]
        first = self._strip_path(message)
        self._show_problems([self._strip_path(m) for m in lines])
        more = f" ({len(lines)} problems listed)" if len(lines) > 1 else ""
        self._set_status(f"Cannot import: {first}{more}")
        self.ready.emit()

    @Slot(object)
    def _on_cancelled(self, request: ImportRequest) -> None:
        if request != self.request:
            return
        self._show_loading(False)
        self._set_status("Loading stopped. Nothing was imported; press “Load again” to retry.")
        self.reload_button.show()
        self.ready.emit()

    # ------------------------------------------------------------------ helpers
    def _fill_classes(self, classes, counts) -> None:
        self.class_table.setRowCount(len(classes))
        for i, (value, count) in enumerate(zip(classes, counts)):
            name = QTableWidgetItem(str(value))
            if i < self.max_classes:
                name.setIcon(_swatch(palette.hex_color(i)))
            number = QTableWidgetItem(f"{int(count):,}")
            number.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.class_table.setItem(i, 0, name)
            self.class_table.setItem(i, 1, number)

    def _show_problems(self, problems: list[str]) -> None:
        self.problems = list(problems)
        self.problem_list.clear()
        self.problem_list.addItems(self.problems)
        self.problem_box.setVisible(bool(problems))
        self.problem_box.setTitle(f"Problems ({len(problems)})" if len(problems) > 1 else "Problem")

    def _show_loading(self, loading: bool) -> None:
        self.progress_bar.setVisible(loading)
        self.cancel_load_button.setVisible(loading)
        self.reload_button.setVisible(False)

    def _set_status(self, text: str) -> None:
        self.status_label.setText(text)

    def _set_controls_enabled(self, enabled: bool) -> None:
        for widget in (
            self.label_combo,
            self.feature_list,
            self.import_button,
            self.progress_bar,
            self.cancel_load_button,
        ):
            widget.setEnabled(enabled)
        self.progress_bar.hide()
        self.cancel_load_button.hide()

    def _strip_path(self, message: str) -> str:
        """Messages start with the path; the dialog's title already names the file."""
        for prefix in (self.path + ", ", self.path + ": "):
            if message.startswith(prefix):
                return message[len(prefix) :]
        return message


# ---------------------------------------------------------------------- helpers
class _blocked:
    """``with _blocked(widget):`` — no signals from ``widget`` inside the block."""

    def __init__(self, widget):
        self.widget = widget

    def __enter__(self):
        self.old = self.widget.blockSignals(True)

    def __exit__(self, *exc):
        self.widget.blockSignals(self.old)


def _same_place(message: str, problem: DataError) -> bool:
    """True if ``message`` is about the line (and column) of ``problem``."""
    return (f", line {problem.line}," in message or f", line {problem.line}:" in message) and (
        problem.column is None or f" {problem.column!r}:" in message
    )


def _swatch(color: str):
    from PySide6.QtGui import QIcon, QPixmap

    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(color))
    return QIcon(pixmap)
