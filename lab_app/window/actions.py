"""The main window's actions, menus and tool bar, in one place.

A mixin of :class:`~lab_app.window.main_window.MainWindow`: the window calls ``_build_actions``
and ``_build_menus`` once, after its panels and docks exist; every action is the window's own
attribute (``act_*``) with an objectName and a shortcut (tests and ``saveState`` find them).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from lab_app.training.pace import LADDER
from lab_app.training.pinned import MAX_PINNED
from lab_app.widgets.pace import PaceControl
from lab_app.window.shortcuts import key_sequences, make_action

__all__ = ["ActionsMixin"]


class ActionsMixin:
    """Builds the actions and menus of a window that has ``files``, ``document``, ``controller``,
    ``designer``, ``trainer_panel``, ``dataset_menu``, ``lessons`` and ``docks``."""

    def _build_actions(self) -> None:
        S = QKeySequence.StandardKey

        def a(*args, **kwargs):
            return make_action(self, *args, **kwargs)

        self.act_new = a("actionNew", "&New", self.files.new_document, S.New, "Start with an empty canvas")
        self.act_open = a("actionOpen", "&Open…", self.files.open_file, S.Open, "Open a session or a CSV file")
        self.act_save = a("actionSave", "&Save", self.files.save, S.Save, "Save the session")
        self.act_save_as = a("actionSaveAs", "Save &As…", self.files.save_as, S.SaveAs)
        self.act_import = a("actionImportCsv", "&Import CSV…", self.files.import_csv, "Ctrl+I")
        self.act_export_csv = a("actionExportCsv", "&Export points as CSV…", self.files.export_csv, "Ctrl+Shift+E")
        self.act_export_png = a("actionExportPng", "Export &PNG/SVG…", self.files.export_png, "Ctrl+Shift+P")
        self.act_export_animation = a(
            "actionExportAnimation",
            "Export &animation…",
            self.files.transfer.open_animation_dialog,
            "Ctrl+Shift+A",
            "The boundary (and the loss curves) over the run's recorded epochs, as a GIF or PNG sequence",
        )
        self.act_export_script = a(
            "actionExportScript",
            "Export as &script…",
            self.files.export_script,
            "Ctrl+Shift+X",
            "A standalone Python script (NumPy, scikit-learn, PyTorch or Keras) that trains this model",
        )
        self.act_export_model = a(
            "actionExportModel",
            "Export &model…",
            self.files.export_model,
            "Ctrl+Shift+M",
            "The weights and preprocessing as JSON (engine.load_model reads it)",
        )
        self.act_quit = a("actionQuit", "&Quit", self.close, S.Quit)
        stack = self.document.undo_stack
        self.act_undo = stack.createUndoAction(self, "&Undo")
        self.act_undo.setObjectName("actionUndo")
        self.act_undo.setShortcuts(key_sequences(S.Undo))
        self.act_redo = stack.createRedoAction(self, "&Redo")
        self.act_redo.setObjectName("actionRedo")
        self.act_redo.setShortcuts(key_sequences(S.Redo))
        self.addActions([self.act_undo, self.act_redo])
        self.act_clear = a("actionClear", "C&lear all points", self.document.clear, "Ctrl+Shift+Del")
        # The designer owns these (their shortcuts act on its selection); the menu shows them.
        self.act_select_all = self.designer.select_all_action
        self.act_delete = self.designer.delete_action
        c = self.controller
        self.act_train = a("actionTrain", "&Train", c.toggle, "Space", "Train / pause (Space)")
        self.act_step = a("actionStep", "&Step one epoch", c.step, "Ctrl+E", "Run one epoch and pause")
        self.act_step_batch = a(
            "actionStepMinibatch",
            "Step one &minibatch",
            c.step_minibatch,
            "Ctrl+Alt+E",
            "Run one minibatch and pause: the views show the step",
        )
        self.act_slower = a("actionSlower", "S&lower", lambda: c.set_pace(LADDER.step(c.pace, -1)), "Ctrl+[")
        self.act_faster = a("actionFaster", "&Faster", lambda: c.set_pace(LADDER.step(c.pace, 1)), "Ctrl+]")
        self.act_reset = a("actionReset", "&Reset weights", c.reset, "Ctrl+R", "New initial weights from the seed")
        self.act_sweep = a(
            "actionSweep",
            "S&weep…",
            self.open_sweep,
            "Ctrl+Shift+G",
            "Train a grid of learning rates, batch sizes, … and compare their boundaries",
        )
        self.act_pin = a(
            "actionPinRun",
            "&Pin this run",
            self.pin_run,
            "Ctrl+Shift+K",
            f"Keep this run's curves and boundary to compare with the next ones (up to {MAX_PINNED})",
        )
        self.act_reset_layout = a("actionResetLayout", "Reset &layout", self.reset_layout)
        self.act_show_pinned = a(
            "actionShowPinned",
            "Show pinned &boundaries",
            None,
            "Ctrl+Shift+B",
            "Draw each pinned run's decision boundary dashed in the boundary view",
            checkable=True,
        )
        self.act_show_pinned.setChecked(True)
        self.act_show_pinned.toggled.connect(self.boundary_view.set_pinned_shown)
        v = self.view_state

        def follow_view_state(action, value: bool, setter, changed):
            """A checkable action and a view-state flag kept equal both ways (a session sets the flag)."""
            action.setChecked(value)
            action.toggled.connect(setter)
            changed.connect(action.setChecked)
            return action

        self.act_show_test = follow_view_state(
            a(
                "actionShowTestPoints",
                "Show &test points",
                None,
                "Ctrl+Shift+T",
                "Draw the run's held-out test points (hollow) in the designer and the boundary view",
                checkable=True,
            ),
            v.show_test_points,
            v.set_show_test_points,
            v.showTestPointsChanged,
        )
        self.act_discretize = follow_view_state(
            a(
                "actionDiscretize",
                "&Discretize output",
                None,
                "Ctrl+Shift+D",
                "Colour the boundary view by predicted class (hard regions) instead of by probability",
                checkable=True,
            ),
            v.discretize,
            v.set_discretize,
            v.discretizeChanged,
        )
        self.act_overlay = a("actionOverlay", "Boundary overlay in designer", None, "Ctrl+B", checkable=True)
        self.act_overlay.toggled.connect(self._refresh_overlay)  # also when a session turns it on
        self.act_one_d = a("actionOneD", "&1-D mode (points on a line)", self._toggle_mode, "Ctrl+1", checkable=True)
        self.act_howto = a("actionHowTo", "&How to…", self.show_how_to, S.HelpContents)
        self.act_lessons = a(
            "actionLessons",
            "&Lessons…",
            self.lessons.show_panel,
            "Ctrl+Shift+L",
            "Guided experiments: the classic logistic-regression questions, step by step",
        )
        self.act_about = a("actionAbout", "&About Logit Lab", self.show_about)
        # Short words on the buttons, so the four fit the Trainer's width; the menus say it in full.
        for action, words in (
            (self.act_step, "Step epoch"),
            (self.act_step_batch, "Step minibatch"),
            (self.act_reset, "Reset"),
        ):
            action.setIconText(words)
        for action in (self.act_train, self.act_step, self.act_step_batch, self.act_reset):
            self.trainer_panel.add_action_button(action)

    def _build_menus(self) -> None:
        bar = self.menuBar()

        def menu(name, title, actions):
            m = bar.addMenu(title)
            m.setObjectName(name)
            for act in actions:
                m.addSeparator() if act is None else m.addAction(act)
            return m

        menu(
            "menuFile",
            "&File",
            (self.act_new, self.act_open, self.act_save, self.act_save_as, None, self.act_import)
            + (self.act_export_csv, self.act_export_png, self.act_export_animation, self.act_export_script)
            + (self.act_export_model,)
            + (None, self.act_quit),
        )
        edit = menu(
            "menuEdit",
            "&Edit",
            (self.act_undo, self.act_redo, None, self.act_select_all, self.act_delete, self.act_clear, None),
        )
        classes = edit.addMenu("Current &class")
        classes.setObjectName("menuCurrentClass")
        for act in self.designer.class_actions:  # keys 1–9 wherever the focus is in the window
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            classes.addAction(act)
        classes.aboutToShow.connect(self._name_class_actions)
        self.view_menu = menu(
            "menuView",
            "&View",
            (
                *(dock.toggleViewAction() for dock in self.docks.values()),
                None,
                self.act_overlay,
                self.act_show_pinned,
                self.act_show_test,
                self.act_discretize,
                self.act_one_d,
            )
            + (None, self.act_reset_layout),
        )
        bar.addMenu(self.dataset_menu.menu)
        menu(
            "menuTrain",
            "T&rain",
            (self.act_train, self.act_step, self.act_step_batch, self.act_reset, None, self.act_slower)
            + (self.act_faster, None, self.act_pin, self.act_sweep),
        )
        menu("menuHelp", "&Help", (self.act_howto, self.act_lessons, None, self.act_about))
        tb = self.addToolBar("Main")
        tb.setObjectName("mainToolBar")
        for act in (self.act_new, self.act_open, self.act_save, None, self.act_undo, self.act_redo, None):
            tb.addSeparator() if act is None else tb.addAction(act)
        for act in (self.act_train, self.act_step, self.act_step_batch, self.act_reset):
            tb.addAction(act)
        self.toolbar_pace = PaceControl(self.controller, LADDER, "toolbarPace")
        self.toolbar_pace.setMaximumWidth(260)
        tb.addWidget(self.toolbar_pace)

    def _name_class_actions(self) -> None:
        """The Current class menu names the document's classes (and greys out the missing ones)."""
        names = self.document.class_names
        for i, act in enumerate(self.designer.class_actions):
            act.setText(f"&{i + 1}  {names[i]}" if i < len(names) else f"{i + 1}")
            act.setEnabled(i < len(names))
