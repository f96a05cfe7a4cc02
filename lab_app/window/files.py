"""File actions of the lab window: the session's file — New, Open, Save, Save As — recent files,
drag and drop, and the question before unsaved work is dropped.

:class:`FileActions` is the window's one door to the disk. Its rule: nothing the user made is
ever lost. Every write is atomic (temp file + fsync + rename), so a full disk or a read-only
folder leaves the old file as it was and the user gets a message saying what to do. A file that
cannot be read changes nothing. Closing, New and Open ask before unsaved work is dropped.

Two helpers do the rest, and ``FileActions`` keeps their public methods so the window and tests
have one object to call: :class:`~lab_app.window.import_export.ImportExportActions` (CSV import,
CSV/history/picture export) and :class:`~lab_app.window.recovery.RecoveryActions` (the session is
autosaved to a recovery file while the user works, and a crash is followed by an offer to restore
it). Both use only what their ``FileHost``/``RecoveryHost`` protocols list of this class.

Every question goes through :attr:`FileActions.dialogs` (:class:`lab_app.dialogs.file_dialogs.Dialogs`),
which tests replace with scripted answers.
"""

from __future__ import annotations

import os

import numpy as np
from PySide6.QtCore import QEvent, QObject, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QAbstractScrollArea, QMenu

from engine.data import DataError
from engine.regular_file import not_regular_reason
from engine.serialize import SESSION_SUFFIX, SessionError, load_session, save_session
from lab_app.dialogs.file_dialogs import Dialogs
from lab_app.io.recent_files import RecentFiles
from lab_app.io.session_state import ViewToggles, apply_session, capture_session, snapshot_session
from lab_app.window.file_types import CSV_FILTER, SESSION_FILTER, describe_os_error, dropped_path, is_session
from lab_app.window.file_work import run_in_background
from lab_app.window.import_export import ImportExportActions
from lab_app.window.recovery import RecoveryActions

__all__ = ["CSV_FILTER", "SESSION_FILTER", "FileActions", "describe_os_error"]

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
        self.recent: RecentFiles | None = None
        self.transfer = ImportExportActions(self, parent=self)
        self.recovery = RecoveryActions(self, recovery_dir, parent=self)
        self._trained_since_save = False
        self._installed = False
        self.skipped_pinned = 0  # pinned runs of the last opened session that did not fit its points

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
        self.recovery.install(w.document, w.controller)
        w.document.modifiedChanged.connect(self._update_modified)
        w.controller.progress.connect(self._on_training_progress)
        w.pinned.changed.connect(self._on_pinned_changed)

    # ================================================================== questions
    def confirm_close(self) -> bool:
        """Before the window closes: True to go ahead (saved, or the user chose not to)."""
        if not self._maybe_save("close"):
            return False
        self.transfer.close_import_dialog()
        self.recovery.close()  # a clean exit leaves no recovery file
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
        self.window.controller.clear()  # no model of the old points stays on show
        self.window.pinned.clear()  # pinned runs belong to the session
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
            self.folder(),
            f"{SESSION_FILTER};;{CSV_FILTER};;All files (*)",
        )
        if path:
            self.open_path(path)

    def open_path(self, path) -> bool:
        """Open a session (``.json``) or start importing a CSV file. True if a session opened or
        the import dialog is showing."""
        path = str(path)
        reason = not_regular_reason(path)
        if reason:  # a pipe or a device would block the window; a folder is no file either
            self.dialogs.error(self.window, "Cannot open", reason)
            return False
        if not os.path.isfile(path):
            self.dialogs.error(self.window, "Cannot open", f"{path}: there is no such file.")
            if self.recent is not None:
                self.recent.forget(path)
            return False
        if is_session(path):
            return self.open_session(path)
        return self.show_import_dialog(path)

    def open_session(self, path, *, ask: bool = True) -> bool:
        if ask and not self._maybe_save("open"):
            return False
        try:
            loaded = run_in_background(self.window, f"Opening {os.path.basename(path)}…", load_session, path)
            self.apply_session(loaded)
        except (SessionError, ValueError) as exc:
            self.dialogs.error(self.window, "Cannot open the session", f"{exc}\n\nNothing was changed.")
            return False
        self._mark_clean(str(path))
        self.remember(str(path))
        left_out = f"; {self.skipped_pinned} pinned run(s) did not fit its points and were left out" * bool(
            self.skipped_pinned
        )
        self.window.statusBar().showMessage(f"Opened {path}{left_out}", 8000 if left_out else 5000)
        return True

    def save(self) -> bool:
        if self.path is None:
            return self.save_as()
        return self.save_to(self.path)

    def save_as(self) -> bool:
        suggested = self.path or os.path.join(self.folder(), "untitled" + SESSION_SUFFIX)
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
        snapshot = self.session_snapshot()  # by reference: the points are encoded in the background
        try:
            run_in_background(self.window, f"Saving {os.path.basename(path)}…", _save, path, snapshot)
        except OSError as exc:
            self.dialogs.error(self.window, "Cannot save", describe_os_error(exc, path, "save the session"))
            return False
        except (DataError, ValueError) as exc:
            self.dialogs.error(self.window, "Cannot save", f"{path}: {exc}")
            return False
        self._mark_clean(path)
        self.remember(path)
        self.window.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def session_dict(self) -> dict:
        """The window's whole state as a session (see :func:`lab_app.io.session_state.capture_session`)."""
        w = self.window
        return capture_session(w.document, w.controller, self._view_toggles(), w.pinned)

    def session_snapshot(self):
        """The same, by reference, for the autosave (see :func:`lab_app.io.session_state.snapshot_session`)."""
        w = self.window
        return snapshot_session(w.document, w.controller, self._view_toggles(), w.pinned)

    def apply_session(self, loaded: dict) -> None:
        """Show a loaded session; ValueError (nothing changed) if the document cannot hold it."""
        w = self.window
        skipped = apply_session(
            loaded,
            w.document,
            w.controller,
            self._view_toggles(),
            before_replace=self.forget_run_marks,
            show_toggles=self._show_view_toggles,
            pinned=w.pinned,
        )
        self.skipped_pinned = skipped  # pinned runs that did not fit the session's points

    def _show_view_toggles(self, toggles: ViewToggles) -> None:
        w = self.window
        w.act_overlay.setChecked(toggles.overlay)
        w.loss_view.log_y_check.setChecked(toggles.loss_log_y)
        w.view_state.set_threshold(toggles.threshold)
        w.act_show_pinned.setChecked(toggles.pinned_boundaries)
        w.view_state.set_show_test_points(toggles.show_test_points)
        w.view_state.set_discretize(toggles.discretize)

    def forget_run_marks(self) -> None:
        """Before the points are replaced: stop training and drop the old run's per-point marks
        (test split, misclassified rings), which describe points that are about to go."""
        w = self.window
        w.controller.stop()
        w.designer.set_test_mask(None)
        w.designer.set_misclassified(None)

    def mark_restored(self, path: str | None, trained: bool) -> None:
        """Recovered work was just shown: it is unsaved work (of the session at ``path``, if any)."""
        self.path = path
        self.window.document.undo_stack.resetClean()
        self._trained_since_save = trained
        self._update_modified()

    # ================================================================== recent files
    def recent_files(self) -> list[str]:
        return self.recent.paths() if self.recent is not None else []

    def remember(self, path: str) -> None:
        if self.recent is not None:
            self.recent.add(path)

    # ================================================================== import, export, recovery
    # The helpers do the work; these keep the window's and the tests' one object to call.
    @property
    def import_dialog(self):
        """The CSV import dialog on show, or None."""
        return self.transfer.import_dialog

    @property
    def autosaver(self):
        """The window's :class:`~lab_app.io.autosave.Autosaver` (None before :meth:`install`)."""
        return self.recovery.autosaver

    def import_csv(self) -> None:
        self.transfer.import_csv()

    def show_import_dialog(self, path) -> bool:
        return self.transfer.show_import_dialog(path)

    def export_csv(self) -> bool:
        return self.transfer.export_csv()

    def export_history_csv(self) -> bool:
        return self.transfer.export_history_csv()

    def export_png(self) -> bool:
        return self.transfer.export_png()

    def export_script(self) -> bool:
        return self.transfer.export_script()

    def export_model(self) -> bool:
        return self.transfer.export_model()

    def export_picture(self, target: str, path, scale: float = 1.0) -> bool:
        return self.transfer.export_picture(target, path, scale)

    def picture_target(self, target: str):
        return self.transfer.picture_target(target)

    def offer_recovery(self) -> bool:
        return self.recovery.offer_recovery()

    # ================================================================== drag and drop
    def eventFilter(self, obj, event) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            if dropped_path(event.mimeData()) is not None:
                event.acceptProposedAction()
                return True
        elif kind == QEvent.Type.Drop:
            path = dropped_path(event.mimeData())
            if path is not None:
                event.acceptProposedAction()
                self.open_path(path)
                return True
        return False

    # ================================================================== helpers
    @Slot(object)
    def _on_training_progress(self, snapshot) -> None:
        if snapshot.reports and not snapshot.restored and not self.recovery.restoring and not self._trained_since_save:
            self._trained_since_save = True
            self._update_modified()

    @Slot()
    def _on_pinned_changed(self) -> None:
        """Pinning or unpinning changes what a save writes: unsaved work (like training)."""
        if not self.recovery.restoring and not self._trained_since_save:
            self._trained_since_save = True
            self._update_modified()

    def _mark_clean(self, path: str | None) -> None:
        self.path = path
        self._trained_since_save = False
        self.window.document.mark_saved()
        self.recovery.discard()
        self._update_modified()

    @Slot()
    def _update_modified(self, *_):
        w = self.window
        if hasattr(w, "_update_title"):
            w._update_title()
        w.setWindowModified(self.is_modified())

    def _view_toggles(self) -> ViewToggles:
        w = self.window
        return ViewToggles(
            w.act_overlay.isChecked(),
            w.loss_view.log_y_check.isChecked(),
            w.view_state.threshold,
            w.act_show_pinned.isChecked(),
            w.view_state.show_test_points,
            w.view_state.discretize,
        )

    def folder(self) -> str:
        """Where file choosers start: the session's folder, else the working directory."""
        return os.path.dirname(self.path) if self.path else os.getcwd()

    def ask_save_path(self, caption: str, suggested: str, filters: str, suffix: str) -> str | None:
        """Ask where to write ``suggested`` (a name in :meth:`folder`); ``suffix`` is added to a
        name without one. None if the user cancelled."""
        path = self.dialogs.save_file_name(self.window, caption, os.path.join(self.folder(), suggested), filters)
        if not path:
            return None
        if not os.path.splitext(path)[1]:
            path += suffix
        return path


def _save(path: str, snapshot) -> None:
    """The background part of Save: build the session from its snapshot, encode and write it."""
    save_session(path, snapshot.to_dict())
