"""File actions of the lab window: sessions, CSV import/export, PNG/SVG export, recent files,
drag and drop, autosave and crash recovery.

:class:`FileActions` is the window's one door to the disk. Its rule: nothing the user made is
ever lost. Every write is atomic (temp file + fsync + rename), so a full disk or a read-only
folder leaves the old file as it was and the user gets a message saying what to do. A file that
cannot be read changes nothing. Closing, New and Open ask before unsaved work is dropped. The
session is autosaved to a recovery file while the user works (:mod:`lab_app.io.autosave`) and a
crash is followed by an offer to restore it.

Every question goes through :attr:`FileActions.dialogs` (:class:`lab_app.dialogs.file_dialogs.Dialogs`),
which tests replace with scripted answers.
"""

from __future__ import annotations

import errno
import math
import os
import time

import numpy as np
from PySide6.QtCore import QEvent, QObject, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QAbstractScrollArea, QDialog, QMenu

from engine.data import DataError, Dataset, write_csv
from engine.serialize import SESSION_SUFFIX, SessionError, atomic_write_text, load_session, save_session
from lab_app.dialogs.file_dialogs import EXPORT_TARGETS, Dialogs
from lab_app.io.autosave import Autosaver, find_orphans
from lab_app.io.recent_files import RecentFiles
from lab_app.io.session_state import ViewToggles, apply_session, capture_session

__all__ = ["CSV_FILTER", "SESSION_FILTER", "FileActions", "describe_os_error"]

SESSION_FILTER = f"Logit Lab sessions (*{SESSION_SUFFIX} *.json)"
CSV_FILTER = "CSV files (*.csv *.tsv *.txt)"
PICTURE_FILTER = "PNG image (*.png);;SVG vector image (*.svg)"
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
_SAVE_BUTTONS = {"save": "Save", "discard": "Don't save", "cancel": "Cancel"}


class FileActions(QObject):
    """Sessions, CSV and pictures for one :class:`~lab_app.window.main_window.MainWindow`.

    ``dialogs`` answers every question (default :class:`Dialogs`); ``recovery_dir`` overrides
    where autosaves go (default: ``$LOGIT_LAB_RECOVERY_DIR`` or the per-user data folder).
    """

    def __init__(self, window, *, dialogs=None, recovery_dir=None):
        super().__init__(window)
        self.window = window
        self.dialogs = dialogs or Dialogs()
        self.path: str | None = None
        self.import_dialog = None
        self.autosaver: Autosaver | None = None
        self.recent: RecentFiles | None = None
        self._recovery_dir = recovery_dir
        self._trained_since_save = False
        self._restoring = False
        self._installed = False

    # ================================================================== state
    def display_name(self) -> str:
        return os.path.basename(self.path) if self.path else "untitled"

    def is_modified(self) -> bool:
        """Unsaved work: edits since the last save, or training that moved the weights."""
        return self.window.document.modified or self._trained_since_save

    # ================================================================== wiring
    def install(self, window=None) -> None:
        """Add the recent-files menu and the history export, accept dropped files and start
        autosaving. Called once from ``MainWindow.__init__`` after its menus exist."""
        w = window or self.window
        if self._installed:
            return
        self._installed = True
        file_menu = w.findChild(QMenu, "menuFile")
        self.act_export_history = QAction("Export training &history as CSV…", w)
        self.act_export_history.setObjectName("actionExportHistory")
        self.act_export_history.setShortcut(QKeySequence("Ctrl+Shift+H"))
        self.act_export_history.setStatusTip("Epoch, losses and accuracies of the current run")
        self.act_export_history.triggered.connect(self.export_history_csv)
        w.addAction(self.act_export_history)
        self.recent = RecentFiles(w.settings, w)
        self.recent.openRequested.connect(self.open_path)
        if file_menu is not None:
            actions = file_menu.actions()
            after_open = next((i for i, a in enumerate(actions) if a.objectName() == "actionOpen"), -1)
            before = actions[after_open + 1] if 0 <= after_open < len(actions) - 1 else None
            file_menu.insertMenu(before, self.recent.menu) if before else file_menu.addMenu(self.recent.menu)
            export_png = next((a for a in actions if a.objectName() == "actionExportPng"), None)
            file_menu.insertAction(export_png, self.act_export_history) if export_png else file_menu.addAction(
                self.act_export_history
            )
        # Drops: the window, and the plots (pyqtgraph's views accept drops for their scenes).
        w.setAcceptDrops(True)
        w.installEventFilter(self)
        for area in w.findChildren(QAbstractScrollArea):
            if area.viewport().acceptDrops() or area.acceptDrops():
                area.viewport().installEventFilter(self)
        # Autosave after edits (debounced) and now and then while training.
        self.autosaver = Autosaver(self._capture_for_autosave, self._recovery_dir, parent=self)
        doc = w.document
        doc.undo_stack.indexChanged.connect(self._on_edit)
        doc.modifiedChanged.connect(self._update_modified)
        w.controller.progress.connect(self._on_training_progress)

    # ================================================================== questions
    def confirm_close(self) -> bool:
        """Before the window closes: True to go ahead (saved, or the user chose not to)."""
        if not self._maybe_save("close"):
            return False
        if self.import_dialog is not None:
            self.import_dialog.reject()
        if self.autosaver is not None:
            self.autosaver.close()  # a clean exit leaves no recovery file
        return True

    def _maybe_save(self, why: str) -> bool:
        """If there is unsaved work, ask Save / Don't save / Cancel. True to go on."""
        if not self.is_modified():
            return True
        doing = {"close": "closing", "new": "starting a new session", "open": "opening another file"}[why]
        answer = self.dialogs.ask(
            self.window,
            "Save changes?",
            f"Save the changes to {self.display_name()} before {doing}?",
            _SAVE_BUTTONS,
            default="save",
            headless_answer="discard",
            detail="Your changes will be lost if you don't save them.",
        )
        if answer == "save":
            return self.save()
        return answer == "discard"

    # ================================================================== sessions
    def new_document(self) -> None:
        if not self._maybe_save("new"):
            return
        self.forget_run_marks()
        doc = self.window.document
        doc.replace_data(
            np.empty((0, 2)), np.empty(0, dtype=np.int64), ["A", "B"], ("x1", "x2"), "label", fit_ranges=False
        )
        doc.set_ranges((-3.0, 3.0), (-3.0, 3.0))
        doc.set_current_class(0)
        doc.undo_stack.clear()  # New is not undoable: the old session is gone (saved or declined)
        self._mark_clean(None)

    def open_file(self) -> None:
        path = self.dialogs.open_file_name(
            self.window,
            "Open a session or a CSV file",
            self._folder(),
            f"{SESSION_FILTER};;{CSV_FILTER};;All files (*)",
        )
        if path:
            self.open_path(path)

    def open_path(self, path) -> bool:
        """Open a session (``.json``) or start importing a CSV file. True if a session opened or
        the import dialog is showing."""
        path = str(path)
        if not os.path.isfile(path):
            self.dialogs.error(self.window, "Cannot open", f"{path}: there is no such file.")
            if self.recent is not None:
                self.recent.forget(path)
            return False
        if _is_session(path):
            return self.open_session(path)
        return self.show_import_dialog(path)

    def open_session(self, path, *, ask: bool = True) -> bool:
        if ask and not self._maybe_save("open"):
            return False
        try:
            loaded = load_session(path)
            self.apply_session(loaded)
        except (SessionError, ValueError) as exc:
            self.dialogs.error(self.window, "Cannot open the session", f"{exc}\n\nNothing was changed.")
            return False
        self._mark_clean(str(path))
        self._remember(str(path))
        self.window.statusBar().showMessage(f"Opened {path}", 5000)
        return True

    def save(self) -> bool:
        if self.path is None:
            return self.save_as()
        return self.save_to(self.path)

    def save_as(self) -> bool:
        suggested = self.path or os.path.join(self._folder(), "untitled" + SESSION_SUFFIX)
        path = self.dialogs.save_file_name(self.window, "Save the session", suggested, SESSION_FILTER)
        if not path:
            return False
        if not path.endswith(".json"):
            path += SESSION_SUFFIX
        return self.save_to(path)

    def save_to(self, path) -> bool:
        """Write the session to ``path`` (atomically). On failure the old file stays and the user
        is told why; returns False."""
        path = str(path)
        try:
            save_session(path, self.session_dict())
        except OSError as exc:
            self.dialogs.error(self.window, "Cannot save", describe_os_error(exc, path, "save the session"))
            return False
        except (DataError, ValueError) as exc:
            self.dialogs.error(self.window, "Cannot save", f"{path}: {exc}")
            return False
        self._mark_clean(path)
        self._remember(path)
        self.window.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def session_dict(self) -> dict:
        """The window's whole state as a session (see :func:`lab_app.io.session_state.capture_session`)."""
        w = self.window
        return capture_session(w.document, w.controller, self._view_toggles())

    def apply_session(self, loaded: dict) -> None:
        """Show a loaded session; ValueError (nothing changed) if the document cannot hold it."""
        w = self.window
        toggles = apply_session(
            loaded,
            w.document,
            w.controller,
            self._view_toggles(),
            before_replace=self.forget_run_marks,
        )
        w.act_overlay.setChecked(toggles.overlay)
        w.loss_view.log_y_check.setChecked(toggles.loss_log_y)

    def forget_run_marks(self) -> None:
        """Before the points are replaced: stop training and drop the old run's per-point marks
        (test split, misclassified rings), which describe points that are about to go."""
        w = self.window
        w.controller.stop()
        w.designer.set_test_mask(None)
        w.designer.set_misclassified(None)

    # ================================================================== CSV
    def import_csv(self) -> None:
        path = self.dialogs.open_file_name(
            self.window, "Import a CSV file", self._folder(), f"{CSV_FILTER};;All files (*)"
        )
        if path:
            self.show_import_dialog(path)

    def show_import_dialog(self, path) -> bool:
        """Preview ``path`` and load it in the background; the data change only on Import."""
        from lab_app.dialogs.import_csv import ImportDialog

        if self.import_dialog is not None:
            self.import_dialog.reject()
        dialog = ImportDialog(str(path), self.window, max_features=getattr(self.window.document, "max_features", 2))
        # Bound slots, not lambdas holding the dialog: PySide frees those badly with the dialog.
        dialog.finished.connect(self._on_import_finished)
        self.import_dialog = dialog
        dialog.open()  # window-modal, not blocking: training and tests go on
        return True

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
        dataset = dialog.dataset
        try:
            self.forget_run_marks()
            self.window.document.load_dataset(dataset, view_columns=dialog.view_columns)  # one undo step
        except (DataError, ValueError) as exc:
            self.dialogs.error(self.window, "Cannot import", f"{dialog.path}: {exc}\n\nYour data are unchanged.")
            return
        self._remember(dialog.path)
        self.window.controller.reset()
        self.window.statusBar().showMessage(
            f"Imported {dataset.n_samples:,} points from {os.path.basename(dialog.path)}", 5000
        )

    def export_csv(self) -> bool:
        """Write the points as CSV (the imported column names, else x1, x2, label)."""
        doc = self.window.document
        try:
            dataset = Dataset(doc.X, doc.labels, doc.class_names, doc.feature_names, doc.label_name)
        except DataError as exc:
            self.dialogs.error(self.window, "Cannot export", str(exc))
            return False
        path = self._ask_path("Export the points as CSV", _stem(self.path) + ".csv", CSV_FILTER, ".csv")
        if not path:
            return False
        try:
            write_csv(path, _used_classes(dataset))
        except DataError as exc:
            self.dialogs.error(self.window, "Cannot export", str(exc))
            return False
        self.window.statusBar().showMessage(f"Exported {dataset.n_samples:,} points to {path}", 5000)
        return True

    def export_history_csv(self) -> bool:
        """Write the current run's history: one row per epoch (empty cells where there is no value)."""
        history = self.window.controller.history
        if not history:
            self.dialogs.info(self.window, "Nothing to export", "There is no training history yet: press Train first.")
            return False
        path = self._ask_path(
            "Export the training history as CSV", _stem(self.path) + "-history.csv", CSV_FILTER, ".csv"
        )
        if not path:
            return False
        lines = [",".join(_HISTORY_COLUMNS) + "\n"]
        for r in history:
            lines.append(",".join(_cell(getattr(r, k)) for k in _HISTORY_COLUMNS) + "\n")
        try:
            atomic_write_text(path, lines)
        except OSError as exc:
            self.dialogs.error(self.window, "Cannot export", describe_os_error(exc, path, "export the history"))
            return False
        self.window.statusBar().showMessage(f"Exported {len(history)} epochs to {path}", 5000)
        return True

    # ================================================================== pictures
    def export_png(self) -> bool:
        """Ask which view and which resolution, then the file (PNG or SVG by its ending)."""
        choice = self.dialogs.export_options(self.window, list(EXPORT_TARGETS))
        if choice is None:
            return False
        path = self._ask_path("Export picture", f"{_stem(self.path)}-{choice.target}.png", PICTURE_FILTER, ".png")
        if not path:
            return False
        return self.export_picture(choice.target, path, choice.scale)

    def export_picture(self, target: str, path, scale: float = 1.0) -> bool:
        """Write view ``target`` (a key of ``EXPORT_TARGETS``) to ``path`` (.svg or .png at ``scale``)."""
        from lab_app.io.export import export_png, export_svg

        item = self.picture_target(target)
        path = str(path)
        try:
            if path.lower().endswith(".svg"):
                export_svg(item, path)
            else:
                export_png(item, path, scale)
        except OSError as exc:
            self.dialogs.error(self.window, "Cannot export", describe_os_error(exc, path, "export the picture"))
            return False
        self.window.statusBar().showMessage(f"Exported {path}", 5000)
        return True

    def picture_target(self, target: str):
        w = self.window
        return {
            "boundary": lambda: w.boundary_view.plot_item,
            "loss": lambda: w.loss_view.plot_item,
            "accuracy": lambda: w.loss_view.accuracy_plot_item,
            "designer": lambda: w.designer.plot_widget.getPlotItem(),
            "window": lambda: w,
        }[target]()

    def recent_files(self) -> list[str]:
        return self.recent.paths() if self.recent is not None else []

    def _remember(self, path: str) -> None:
        if self.recent is not None:
            self.recent.add(path)

    # ================================================================== autosave & recovery
    def _capture_for_autosave(self):
        if self._restoring or not self.is_modified():
            return None
        session = self.session_dict()
        session["recovery"] = {"path": self.path, "saved_at": time.time(), "pid": os.getpid()}
        return session

    @Slot()
    def _on_edit(self, *_):
        # Touches nothing but the autosaver: the undo stack also signals while the window dies.
        if self.autosaver is not None:
            self.autosaver.schedule()

    @Slot(object)
    def _on_training_progress(self, snapshot) -> None:
        if snapshot.reports and not self._restoring:
            if not self._trained_since_save:
                self._trained_since_save = True
                self._update_modified()
            if self.autosaver is not None:
                self.autosaver.schedule_training()

    def offer_recovery(self) -> bool:
        """After a crash: offer to restore each recovery file a dead lab left (newest first).
        True if one was restored."""
        restored = False
        for orphan in find_orphans(self._recovery_dir or (self.autosaver.directory if self.autosaver else None)):
            if restored:
                orphan.release(delete=False)  # one at a time; the next start offers the others
                continue
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(orphan.saved_at))
            answer = self.dialogs.ask(
                self.window,
                "Restore unsaved work?",
                f"Logit Lab did not close properly. Your work was saved automatically at {when}. Restore it?",
                {"restore": "Restore", "discard": "Discard", "cancel": "Not now"},
                default="restore",
                headless_answer="cancel",
                detail="Discard deletes the automatic copy; Not now keeps it for the next start.",
            )
            if answer == "restore":
                restored = self._restore_orphan(orphan)
            else:
                orphan.release(delete=answer == "discard")
        return restored

    def _restore_orphan(self, orphan) -> bool:
        try:
            loaded = load_session(orphan.path)
            original = loaded["recovery"].get("path")
            self._restoring = True
            try:
                self.apply_session(loaded)
            finally:
                self._restoring = False
        except (SessionError, ValueError) as exc:
            orphan.release(delete=False)
            self.dialogs.error(self.window, "Cannot restore", f"{exc}\n\nThe automatic copy is kept at {orphan.path}.")
            return False
        self.path = original if isinstance(original, str) else None
        self.window.document.undo_stack.resetClean()  # restored work is unsaved work
        self._trained_since_save = loaded["model"] is not None and bool(loaded["history"])
        self._update_modified()
        # Our own copy first; only then may the old one go (if ours fails, both stay safe).
        copied = self.autosaver is not None and self.autosaver.save_now(wait=True)
        orphan.release(delete=bool(copied))
        self.window.statusBar().showMessage("Restored the automatically saved work.", 8000)
        return True

    # ================================================================== drag and drop
    def eventFilter(self, obj, event) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            if _dropped_path(event.mimeData()) is not None:
                event.acceptProposedAction()
                return True
        elif kind == QEvent.Type.Drop:
            path = _dropped_path(event.mimeData())
            if path is not None:
                event.acceptProposedAction()
                self.open_path(path)
                return True
        return False

    # ================================================================== helpers
    def _mark_clean(self, path: str | None) -> None:
        self.path = path
        self._trained_since_save = False
        doc = self.window.document
        doc.mark_saved()
        if self.autosaver is not None:
            self.autosaver.discard()
        self._update_modified()

    @Slot()
    def _update_modified(self, *_):
        w = self.window
        if hasattr(w, "_update_title"):
            w._update_title()
        w.setWindowModified(self.is_modified())

    def _view_toggles(self) -> ViewToggles:
        w = self.window
        return ViewToggles(w.act_overlay.isChecked(), w.loss_view.log_y_check.isChecked())

    def _folder(self) -> str:
        return os.path.dirname(self.path) if self.path else os.getcwd()

    def _ask_path(self, caption: str, suggested: str, filters: str, suffix: str) -> str | None:
        path = self.dialogs.save_file_name(self.window, caption, os.path.join(self._folder(), suggested), filters)
        if not path:
            return None
        if not os.path.splitext(path)[1]:
            path += suffix
        return path


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


def _is_session(path: str) -> bool:
    if path.lower().endswith(".json"):
        return True
    try:
        with open(path, "rb") as fh:
            head = fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return False
    return head.startswith(b"{")


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


def _stem(path: str | None) -> str:
    if not path:
        return "untitled"
    name = os.path.basename(path)
    for suffix in (SESSION_SUFFIX, ".json", ".csv"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return os.path.splitext(name)[0]


def _dropped_path(mime) -> str | None:
    if mime is None or not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile():
            return url.toLocalFile()
    return None
