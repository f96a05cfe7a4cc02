"""Data in and out of the lab window: CSV import, CSV and training-history export, pictures, and
the trained model as a model file or a standalone Python script.

:class:`ImportExportActions` owns the import dialog (a preview that loads in the background; the
points change only on Import, as one undo step) and every export. Each export asks for a file
name, writes atomically and, if the disk refuses, says why and leaves the old file as it was.
It needs from the session side only what :class:`FileHost` lists (``FileActions`` is that host).
"""

from __future__ import annotations

import math
import os
from typing import Protocol

import numpy as np
from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QDialog

from engine.csv_io import write_csv
from engine.data import DataError, Dataset
from engine.model_file import save_model
from engine.regular_file import not_regular_reason
from engine.script_export import save_script
from engine.serialize import atomic_write_text
from lab_app.dialogs.file_dialogs import EXPORT_TARGETS, SCRIPT_FLAVOURS
from lab_app.window.file_types import (
    ANIMATION_FILTERS,
    CSV_FILTER,
    MODEL_FILTER,
    PICTURE_FILTER,
    SCRIPT_FILTER,
    describe_os_error,
    stem,
)

__all__ = ["FileHost", "ImportExportActions"]

_HISTORY_COLUMNS = (
    "epoch",
    "train_loss",
    "val_loss",
    "train_accuracy",
    "val_accuracy",
    "objective",
    "lr",
    "grad_norm",
    "weight_norm",
    "update_ratio",
    "seconds",
    "samples",
)


class FileHost(Protocol):
    """What the import and export actions use of the session side (``FileActions``)."""

    window: object  # the MainWindow: document, controller, views, status bar
    dialogs: object  # lab_app.dialogs.file_dialogs.Dialogs, or a test's scripted answers
    path: str | None  # the session's file, if it has one: suggested names start from it

    def folder(self) -> str: ...
    def ask_save_path(self, caption: str, suggested: str, filters: str, suffix: str) -> str | None: ...
    def remember(self, path: str) -> None: ...
    def forget_run_marks(self) -> None: ...


class ImportExportActions(QObject):
    """CSV import and every export for the window of ``host``."""

    def __init__(self, host: FileHost, parent: QObject | None = None):
        super().__init__(parent)
        self._host = host
        self.import_dialog = None
        self.animation_dialog = None  # made on first use (File ▸ Export animation…)

    # ================================================================== CSV import
    def import_csv(self) -> None:
        h = self._host
        path = h.dialogs.open_file_name(h.window, "Import a CSV file", h.folder(), f"{CSV_FILTER};;All files (*)")
        if path:
            self.show_import_dialog(path)

    def show_import_dialog(self, path) -> bool:
        """Preview ``path`` and load it in the background; the data change only on Import."""
        from lab_app.dialogs.import_csv import ImportDialog

        window = self._host.window
        reason = not_regular_reason(path)
        if reason:  # its preview would block the window until some program writes to it
            self._host.dialogs.error(window, "Cannot import", reason)
            return False
        if self.import_dialog is not None:
            self.import_dialog.reject()
        dialog = ImportDialog(str(path), window, max_features=getattr(window.document, "max_features", 2))
        # Bound slots, not lambdas holding the dialog: PySide frees those badly with the dialog.
        dialog.finished.connect(self._on_import_finished)
        self.import_dialog = dialog
        dialog.open()  # window-modal, not blocking: training and tests go on
        return True

    def close_import_dialog(self) -> None:
        if self.import_dialog is not None:
            self.import_dialog.reject()

    @Slot(int)
    def _on_import_finished(self, result: int) -> None:
        dialog = self.sender()
        if dialog is None:
            return
        if dialog is self.import_dialog:
            self.import_dialog = None
        if result == QDialog.DialogCode.Accepted and dialog.dataset is not None:
            self._finish_import(dialog)
        dialog.deleteLater()

    def _finish_import(self, dialog) -> None:
        h, window = self._host, self._host.window
        dataset = dialog.dataset
        try:
            h.forget_run_marks()
            window.document.load_dataset(dataset, view_columns=dialog.view_columns)  # one undo step
        except (DataError, ValueError) as exc:
            h.dialogs.error(window, "Cannot import", f"{dialog.path}: {exc}\n\nYour data are unchanged.")
            return
        h.remember(dialog.path)
        window.controller.reset()
        window.statusBar().showMessage(
            f"Imported {dataset.n_samples:,} points from {os.path.basename(dialog.path)}", 5000
        )

    # ================================================================== CSV export
    def export_csv(self) -> bool:
        """Write the points as CSV (the imported column names, else x1, x2, label)."""
        h, window = self._host, self._host.window
        doc = window.document
        try:
            dataset = Dataset(doc.X, doc.labels, doc.class_names, doc.feature_names, doc.label_name)
        except DataError as exc:
            h.dialogs.error(window, "Cannot export", str(exc))
            return False
        path = h.ask_save_path("Export the points as CSV", stem(h.path) + ".csv", CSV_FILTER, ".csv")
        if not path:
            return False
        try:
            write_csv(path, _used_classes(dataset))
        except DataError as exc:
            h.dialogs.error(window, "Cannot export", str(exc))
            return False
        window.statusBar().showMessage(f"Exported {dataset.n_samples:,} points to {path}", 5000)
        return True

    def export_history_csv(self) -> bool:
        """Write the current run's history: one row per epoch it keeps whole (every epoch of a
        short run; a long run's first and newest epochs and two per bucket between, see
        :mod:`engine.history`), empty cells where there is no value."""
        h, window = self._host, self._host.window
        history = window.controller.history
        if not history:
            h.dialogs.info(window, "Nothing to export", "There is no training history yet: press Train first.")
            return False
        path = h.ask_save_path("Export the training history as CSV", stem(h.path) + "-history.csv", CSV_FILTER, ".csv")
        if not path:
            return False
        lines = [",".join(_HISTORY_COLUMNS) + "\n"]
        for r in history:
            lines.append(",".join(_cell(getattr(r, k)) for k in _HISTORY_COLUMNS) + "\n")
        try:
            atomic_write_text(path, lines)
        except OSError as exc:
            h.dialogs.error(window, "Cannot export", describe_os_error(exc, path, "export the history"))
            return False
        window.statusBar().showMessage(f"Exported {len(history)} epochs to {path}", 5000)
        return True

    # ================================================================== leaving with code
    def export_script(self) -> bool:
        """Write the current run as a standalone Python script (the flavour is asked first).

        The script trains the run's configuration on the run's data; a run "until stopped" gets
        the epochs trained so far. More than 2,000 points go to a CSV beside the script.
        """
        h, window = self._host, self._host.window
        info, latest = window.controller.run_info, window.controller.latest
        if info is None:
            h.dialogs.info(window, "Nothing to export", "There is no model yet: add points of two classes first.")
            return False
        epochs = info.config.epochs or (latest.epoch if latest is not None else 0)
        if epochs <= 0:
            h.dialogs.info(
                window,
                "Nothing to export",
                "The run has no number of epochs (until stopped) and has not trained yet: press Train first.",
            )
            return False
        flavour = h.dialogs.script_flavour(window, dict(SCRIPT_FLAVOURS))
        if flavour is None:
            return False
        path = h.ask_save_path("Export as a Python script", f"{stem(h.path)}_{flavour}.py", SCRIPT_FILTER, ".py")
        if not path:
            return False
        try:
            written = save_script(path, info.dataset, info.config.with_(epochs=epochs), flavour)
        except OSError as exc:
            h.dialogs.error(window, "Cannot export", describe_os_error(exc, path, "export the script"))
            return False
        except (DataError, ValueError) as exc:
            h.dialogs.error(window, "Cannot export", str(exc))
            return False
        window.statusBar().showMessage(f"Exported {' and '.join(map(os.path.basename, written))}", 5000)
        return True

    def export_model(self) -> bool:
        """Write the model on show (weights, feature map, standardizer) as a model file ``engine.load_model`` reads."""
        h, window = self._host, self._host.window
        info, latest = window.controller.run_info, window.controller.latest
        if info is None or latest is None:
            h.dialogs.info(window, "Nothing to export", "There is no model yet: add points of two classes first.")
            return False
        path = h.ask_save_path("Export the model", f"{stem(h.path)}-model.json", MODEL_FILTER, ".json")
        if not path:
            return False
        try:
            save_model(path, info.model_at(latest.params), info.config)
        except OSError as exc:
            h.dialogs.error(window, "Cannot export", describe_os_error(exc, path, "export the model"))
            return False
        window.statusBar().showMessage(f"Exported the model to {path}", 5000)
        return True

    # ================================================================== pictures
    def export_png(self) -> bool:
        """Ask which view and which resolution, then the file (PNG or SVG by its ending)."""
        h = self._host
        choice = h.dialogs.export_options(h.window, list(EXPORT_TARGETS))
        if choice is None:
            return False
        path = h.ask_save_path("Export picture", f"{stem(h.path)}-{choice.target}.png", PICTURE_FILTER, ".png")
        if not path:
            return False
        return self.export_picture(choice.target, path, choice.scale)

    def export_picture(self, target: str, path, scale: float = 1.0) -> bool:
        """Write view ``target`` (a key of ``EXPORT_TARGETS``) to ``path`` (.svg or .png at ``scale``)."""
        from lab_app.io.export import export_png, export_svg

        h, window = self._host, self._host.window
        item = self.picture_target(target)
        path = str(path)
        try:
            if path.lower().endswith(".svg"):
                export_svg(item, path)
            else:
                export_png(item, path, scale)
        except OSError as exc:
            h.dialogs.error(window, "Cannot export", describe_os_error(exc, path, "export the picture"))
            return False
        window.statusBar().showMessage(f"Exported {path}", 5000)
        return True

    def open_animation_dialog(self):
        """Show the Export animation dialog (made on first use) for the run on show."""
        from lab_app.dialogs.animation import AnimationDialog

        h, w = self._host, self._host.window
        if self.animation_dialog is None:
            self.animation_dialog = AnimationDialog(
                w.controller,
                w.view_state,
                {"boundary": w.boundary_view, "loss": w.loss_view, "network": w.network_view},
                lambda suggested, fmt: h.ask_save_path(
                    "Export animation", suggested, ANIMATION_FILTERS[fmt], ".gif" if fmt == "gif" else ".png"
                ),
                os.path.join(h.folder(), stem(h.path) + "-animation.gif"),
                w,
            )
        dialog = self.animation_dialog
        dialog.refresh()
        dialog.show()
        dialog.raise_()
        return dialog

    def close_animation_dialog(self) -> None:
        """Cancel and join an export under way (the window is closing)."""
        if self.animation_dialog is not None:
            self.animation_dialog.shutdown()

    def picture_target(self, target: str):
        w = self._host.window
        return {
            "boundary": lambda: w.boundary_view.plot_item,
            "loss": lambda: w.loss_view.plot_item,
            "accuracy": lambda: w.loss_view.accuracy_plot_item,
            "designer": lambda: w.designer.plot_widget.getPlotItem(),
            "window": lambda: w,
        }[target]()


def _used_classes(dataset: Dataset) -> Dataset:
    """Drop classes without points (a CSV row carries a label; an empty class has none)."""
    used = np.unique(dataset.y)
    if len(used) == dataset.n_classes:
        return dataset
    remap = np.full(dataset.n_classes, -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    return Dataset(
        dataset.X, remap[dataset.y], tuple(dataset.classes[i] for i in used), dataset.feature_names, dataset.label_name
    )


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return repr(float(value)) if isinstance(value, float) else str(value)
