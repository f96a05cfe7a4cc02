"""The Data designer: click, brush, drag and erase labelled points on one pyqtgraph plot.

The panel is a view of :class:`~lab_app.document.LabDocument`: it redraws on the document's signals
and changes data only through the document's edit methods, so every gesture lands on the undo stack
(one gesture, one step).  It also shows what training produced — a boundary image, test/misclassified
marks, the 1-D probability curve — through ``set_*`` methods the main window calls; none of that is
document state.

Mouse handling: an event filter on the plot's viewport takes every left/right button event before
pyqtgraph sees it, so a click lands exactly where it was made and never pans, zooms or opens a menu.
The wheel (zoom) and the middle button (pan) still reach pyqtgraph; the new view range is written
back to the document.

Data with more than two columns (imports) show one pair at a time: two combo boxes under the plot
choose it (``LabDocument.set_view_columns``); the axes are named after the pair.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QBrush, QColor, QIcon, QKeySequence, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDoubleSpinBox,
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsRectItem,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QSizePolicy,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from lab_app.document import MAX_CLASSES, MIN_CLASSES, LabDocument
from lab_app.widgets import palette
from lab_app.widgets.plots import make_plot

TOOLS = ("place", "brush", "erase", "select")
HIT_PX = 10.0  # a press this close to a point grabs it; erase removes the nearest this close
DRAG_PX = 3.0  # movement below this is still a click (hands shake)
POINT_PX = 9  # marker diameter
BRUSH_MS = 40  # spray tick: 25 per second, a couple of points each, whatever the mouse does
BRUSH_POINTS = 2
Y_RANGE_1D = (-0.15, 1.15)
_MINUS = "\u2212"


class DataDesigner(QWidget):
    """Draw labelled points into ``document``; tools Place (P), Brush (B), Erase (E), Select (S)."""

    toolChanged = Signal(str)
    selectionChanged = Signal()

    def __init__(self, document: LabDocument, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dataDesigner")
        self._doc = document
        self._tool = "place"
        self._selection = np.zeros(document.n_points, dtype=bool)
        self._test_mask: np.ndarray | None = None
        self._miscl_mask: np.ndarray | None = None
        self._rng = np.random.default_rng(0)  # brush spray; seeded so a test run repeats exactly
        self._press: dict | None = None  # the gesture under way, see _on_press
        self._moving: np.ndarray | None = None  # indices being dragged
        self._pending_move: np.ndarray | None = None  # their newest position, not yet applied
        self._updating_ranges = False

        self._build_plot()
        self._build_actions()
        self._build_layout()
        self._move_timer = QTimer(self, singleShot=True, interval=16, timeout=self._flush_move)
        self._brush_timer = QTimer(self, interval=BRUSH_MS, timeout=self._spray)

        document.pointsChanged.connect(self._on_points_changed)
        document.classesChanged.connect(self._on_classes_changed)
        document.currentClassChanged.connect(self._on_current_class_changed)
        document.modeChanged.connect(self._on_mode_changed)
        document.rangesChanged.connect(self._on_ranges_changed)
        document.featureNamesChanged.connect(self._update_axis_labels)
        document.featureNamesChanged.connect(self._sync_view_combos)
        document.viewColumnsChanged.connect(self._on_view_columns_changed)
        self._on_classes_changed()
        self._on_mode_changed(document.mode)
        self._set_selection_mask(self._selection)  # enables/disables Delete and Relabel
        # The canvas first, so digit keys pick a class instead of typing into the spread box.
        QWidget.setTabOrder(self.plot_widget, self.spread_spin)
        self.plot_widget.setFocus()

    # ------------------------------------------------------------ public API
    @property
    def document(self) -> LabDocument:
        return self._doc

    @property
    def view_box(self) -> pg.ViewBox:
        return self.plot_widget.getPlotItem().getViewBox()

    @property
    def tool(self) -> str:
        return self._tool

    def set_tool(self, tool: str) -> None:
        if tool not in TOOLS:
            raise ValueError(f"tool must be one of {TOOLS}, not {tool!r}")
        self._tool_actions[tool].setChecked(True)  # triggers _on_tool_action

    @property
    def tool_actions(self) -> dict[str, QAction]:
        """Checkable tool actions by tool name (shortcuts P, B, E, S)."""
        return dict(self._tool_actions)

    @property
    def select_all_action(self) -> QAction:
        """Ctrl+A while the designer has focus.  Put this action in the Edit menu rather than a second
        Ctrl+A action: two actions with one shortcut are ambiguous in Qt and then neither fires."""
        return self._select_all_action

    @property
    def delete_action(self) -> QAction:
        """Delete/Backspace: remove the selected points (same advice as :attr:`select_all_action`)."""
        return self._delete_action

    @property
    def relabel_action(self) -> QAction:
        """R: give the selected points the current class."""
        return self._relabel_action

    @property
    def brush_spread(self) -> float:
        """Standard deviation of the brush spray, in data units."""
        return self.spread_spin.value()

    def selection(self) -> np.ndarray:
        """Indices of the selected points, ascending."""
        return np.flatnonzero(self._selection)

    def set_selection(self, indices) -> None:
        mask = np.zeros(self._doc.n_points, dtype=bool)
        mask[np.asarray(indices, dtype=np.int64)] = True
        self._set_selection_mask(mask)

    def select_all(self) -> None:
        self._set_selection_mask(np.ones(self._doc.n_points, dtype=bool))

    def clear_selection(self) -> None:
        self._set_selection_mask(np.zeros(self._doc.n_points, dtype=bool))

    def delete_selected(self) -> None:
        self._doc.remove_points(self.selection())  # one command, so one undo step

    def relabel_selected(self) -> None:
        self._doc.relabel(self.selection(), self._doc.current_class)

    def set_test_mask(self, mask) -> None:
        """Draw points where ``mask`` (n,) is True hollow (the held-out test split); None: none."""
        self._test_mask = self._checked_mask(mask)
        self._refresh_points()

    def set_misclassified(self, mask) -> None:
        """Ring the points where ``mask`` (n,) is True (misclassified by the model); None: none."""
        self._miscl_mask = self._checked_mask(mask)
        self._refresh_points()

    def set_overlay(self, rgba: np.ndarray | None, rect=None) -> None:
        """Show ``rgba`` (H, W, 4) uint8 under the points over ``rect = (x0, y0, width, height)``.

        Row 0 is the bottom row (y = y0), as a grid built with ``np.linspace(y0, y1, H)`` comes out.
        """
        if rgba is None:
            self._overlay.hide()
            return
        self._overlay.setImage(rgba, autoLevels=False, levels=(0, 255))
        if rect is not None:
            self._overlay.setRect(QRectF(*[float(v) for v in rect]))
        self._overlay.show()

    def set_curve(self, xs, ps, colors=None) -> None:
        """1-D mode: draw p(x).  ``ps`` (n,) is one curve (the positive class, drawn in ink);
        (n, k) one per class, coloured by ``colors`` (one per column, e.g.
        ``document.colors_for(model.classes)``, since engine order may differ) or the document's."""
        if xs is None:
            for c in self._curves:
                c.hide()
            return
        ps = np.asarray(ps, dtype=np.float64)
        ps = ps[:, None] if ps.ndim == 1 else ps
        if colors is None:
            colors = [palette.INK] if ps.shape[1] == 1 else [c.color for c in self._doc.classes]
        for j, curve in enumerate(self._curves):
            if j < ps.shape[1]:
                color = colors[j] if ps.shape[1] == 1 else palette.outline(colors[j])
                curve.setPen(pg.mkPen(color, width=2.5))
                curve.setData(np.asarray(xs, dtype=np.float64), ps[:, j])
                curve.setVisible(self._doc.mode == "1d")
            else:
                curve.hide()

    def set_threshold(self, x: float | None) -> None:
        """1-D mode: mark the decision threshold x = −b/w with a vertical line; None hides it."""
        if x is None or not np.isfinite(x):
            self._threshold.hide()
        else:
            self._threshold.setValue(float(x))
            self._threshold.setVisible(self._doc.mode == "1d")

    def data_to_widget_pos(self, x: float, y: float) -> QPoint:
        """Pixel position in ``plot_widget.viewport()`` (the widget that receives mouse events)."""
        scene = self.view_box.mapViewToScene(QPointF(x, y))
        return self.plot_widget.viewportTransform().map(scene).toPoint()

    def widget_pos_to_data(self, pos: QPoint | QPointF) -> tuple[float, float]:
        """Inverse of :meth:`data_to_widget_pos` (viewport pixels to data coordinates)."""
        inverse, _ = self.plot_widget.viewportTransform().inverted()
        p = self.view_box.mapSceneToView(inverse.map(QPointF(pos)))
        return p.x(), p.y()

    def fit_to_data(self) -> None:
        self._doc.fit_ranges()

    # ------------------------------------------------------------- building
    def _build_plot(self) -> None:
        self.plot_widget, item = make_plot("designerPlot", grid=0.12)
        self.plot_widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setFocusProxy(self.plot_widget)  # focusing the panel focuses the canvas: keys work at once
        vb = self.view_box
        vb.setMouseMode(pg.ViewBox.PanMode)  # only middle drags reach it; left and right are ours
        vb.disableAutoRange()
        vb.sigRangeChangedManually.connect(self._on_view_range_changed_by_user)

        # Items are created once; afterwards only their data changes.
        self._overlay = pg.ImageItem(axisOrder="row-major")
        self._overlay.setZValue(-100)
        self._overlay.hide()
        self._halo = pg.ScatterPlotItem(size=POINT_PX + 10, pen=None, brush=palette.qcolor(palette.INK, 85))
        self._points = pg.ScatterPlotItem(size=POINT_PX, symbol="o")
        # Repainted from a pixmap unless the points change: the boundary overlay under them is
        # redrawn ~30 times a second while training (measured with 10,000 points: 12–22 ms -> 7 ms).
        self._points.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._rings = pg.ScatterPlotItem(size=POINT_PX + 7, brush=None, pen=pg.mkPen(palette.INK, width=1.8))
        self._curves = [pg.PlotCurveItem() for _ in range(MAX_CLASSES)]
        self._threshold = pg.InfiniteLine(angle=90, pen=pg.mkPen(palette.INK, width=1.5, style=Qt.PenStyle.DashLine))
        self._band = QGraphicsRectItem()
        self._band.setPen(_cosmetic_pen("#0072B2", Qt.PenStyle.DashLine))
        self._band.setBrush(palette.qcolor("#0072B2", 30))
        self._brush_cursor = QGraphicsEllipseItem()
        self._brush_cursor.setPen(_cosmetic_pen("#555555", Qt.PenStyle.DotLine))
        for z, it in enumerate(
            [
                self._overlay,
                *self._curves,
                self._threshold,
                self._halo,
                self._points,
                self._rings,
                self._band,
                self._brush_cursor,
            ]
        ):
            it.setZValue(z - 100 if it is self._overlay else z)
            vb.addItem(it, ignoreBounds=True)
        for it in [*self._curves, self._threshold, self._band, self._brush_cursor]:
            it.hide()
        self.plot_widget.viewport().installEventFilter(self)

    def _build_actions(self) -> None:
        # Shortcuts only fire while the designer (or a child) has focus: digits typed into another
        # panel's spin box must not switch classes.
        def action(name, text, shortcut=None, slot=None, checkable=False, tip=""):
            act = QAction(text, self, objectName=name, checkable=checkable)
            if shortcut is not None:
                act.setShortcut(QKeySequence(shortcut))
                act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            keys = act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            act.setToolTip(f"{tip or text} ({keys})" if keys else (tip or text))
            if slot is not None:
                act.triggered.connect(slot)
            self.addAction(act)
            return act

        group = QActionGroup(self)
        tips = {
            "place": "Click to place a point, drag a point to move it, right-click to erase",
            "brush": "Hold the mouse to spray points of the current class",
            "erase": "Click or drag over points to erase them",
            "select": "Drag a rectangle to select points (Shift adds)",
        }
        self._tool_actions = {}
        for tool, key in zip(TOOLS, "PBES"):
            act = action(f"designer{tool.title()}Tool", tool.title(), key, checkable=True, tip=tips[tool])
            group.addAction(act)
            act.toggled.connect(lambda on, t=tool: on and self._on_tool_action(t))
            self._tool_actions[tool] = act
        self._tool_actions["place"].setChecked(True)
        self._delete_action = action(
            "designerDeleteSelected",
            "Delete",
            QKeySequence.StandardKey.Delete,
            self.delete_selected,
            tip="Delete the selected points",
        )
        self._delete_action.setShortcuts(
            [QKeySequence(QKeySequence.StandardKey.Delete), QKeySequence(Qt.Key.Key_Backspace)]
        )
        self._relabel_action = action(
            "designerRelabelSelected",
            "Relabel",
            "R",
            self.relabel_selected,
            tip="Give the selected points the current class",
        )
        self._select_all_action = action(
            "designerSelectAll", "Select all", QKeySequence.StandardKey.SelectAll, self.select_all
        )
        action("designerClearSelection", "Clear selection", Qt.Key.Key_Escape, self.clear_selection)
        for i in range(9):
            action(
                f"designerClass{i + 1}",
                f"Class {i + 1}",
                str(i + 1),
                lambda _=False, i=i: i < self._doc.n_classes and self._doc.set_current_class(i),
            )
        self._add_class_action = action("designerAddClass", "+", None, self._add_class, tip="Add a class")
        self._remove_class_action = action(
            "designerRemoveClass", _MINUS, None, self._remove_class, tip="Remove the current class and its points"
        )
        self._fit_action = action(
            "designerFitRanges", "Fit to data", None, self.fit_to_data, tip="Set the axis ranges to the data"
        )

    def _build_layout(self) -> None:
        tools = QToolBar("Designer tools", self, objectName="designerToolBar")
        tools.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for act in self._tool_actions.values():
            tools.addAction(act)
        tools.addSeparator()
        tools.addWidget(QLabel(" Spread "))
        self.spread_spin = QDoubleSpinBox(
            objectName="designerBrushSpread", decimals=2, minimum=0.01, maximum=100.0, singleStep=0.05, value=0.30
        )
        self.spread_spin.setToolTip("Brush spread: standard deviation of the spray, in data units")
        self.spread_spin.valueChanged.connect(lambda _: self._update_brush_cursor())
        tools.addWidget(self.spread_spin)
        tools.addSeparator()
        tools.addAction(self._relabel_action)
        tools.addAction(self._delete_action)

        self._class_bar = QHBoxLayout()
        self._class_bar.setSpacing(4)
        self._class_group = QButtonGroup(self)
        self._class_group.idClicked.connect(self._doc.set_current_class)
        self._class_buttons: list[QToolButton] = []
        class_row = QHBoxLayout()
        class_row.addWidget(QLabel("Class"))
        class_row.addLayout(self._class_bar)
        for act in (self._add_class_action, self._remove_class_action):
            button = QToolButton(objectName=act.objectName() + "Button")
            button.setDefaultAction(act)
            button.setFixedWidth(28)
            class_row.addWidget(button)
        class_row.addStretch(1)

        self.coords_label = QLabel(objectName="designerCoords")
        self.coords_label.setMinimumWidth(150)
        self.coords_label.setStyleSheet("color: #444;")
        # The pair of columns on show, for data with more than two (hidden otherwise).
        self.view_pair_box = QWidget(objectName="designerViewPair")
        pair = QHBoxLayout(self.view_pair_box)
        pair.setContentsMargins(0, 0, 0, 0)
        pair.setSpacing(3)
        self.view_x_combo = QComboBox(objectName="designerViewX")
        self.view_y_combo = QComboBox(objectName="designerViewY")
        for axis, combo in (("x", self.view_x_combo), ("y", self.view_y_combo)):
            combo.setToolTip(f"The column shown along {axis}; the others are hidden (new points get their means)")
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.activated.connect(self._on_view_combo)
            pair.addWidget(QLabel(f"{axis}:"))
            pair.addWidget(combo)
        self.view_pair_box.hide()
        self._range_spins = {}
        bottom = QHBoxLayout()
        bottom.addWidget(self.coords_label)
        bottom.addWidget(self.view_pair_box)
        bottom.addStretch(1)
        for axis in ("x", "y"):
            label = QLabel(axis)
            bottom.addWidget(label)
            for end in ("min", "max"):
                spin = QDoubleSpinBox(
                    objectName=f"designer{axis.upper()}{end.title()}",
                    decimals=2,
                    minimum=-1e6,
                    maximum=1e6,
                    singleStep=0.5,
                    keyboardTracking=False,
                )
                spin.setToolTip(f"{axis} axis {end}imum")
                spin.setFixedWidth(76)
                spin.valueChanged.connect(self._on_range_spin)
                bottom.addWidget(spin)
                self._range_spins[axis, end] = spin
            self._range_spins[axis, "label"] = label
        fit = QToolButton(objectName="designerFitButton")
        fit.setDefaultAction(self._fit_action)
        bottom.addWidget(fit)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(3)
        layout.addWidget(tools)
        layout.addLayout(class_row)
        layout.addWidget(self.plot_widget, 1)
        layout.addLayout(bottom)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    # ------------------------------------------------------- document signals
    def _on_points_changed(self) -> None:
        n = self._doc.n_points
        if len(self._selection) != n:  # rows were added or removed: old indices mean other points now
            self._selection = np.zeros(n, dtype=bool)
            self.selectionChanged.emit()
        if self._test_mask is not None and len(self._test_mask) != n:
            self._test_mask = None
        if self._miscl_mask is not None and len(self._miscl_mask) != n:
            self._miscl_mask = None
        self._refresh_points()
        self._update_class_buttons()

    def _on_classes_changed(self) -> None:
        classes = self._doc.classes
        self._class_fill = np.array([QBrush(c.qcolor()) for c in classes], dtype=object)
        self._hollow = QBrush(QColor("white"))
        self._class_pen = np.array([pg.mkPen(palette.outline(c.color), width=1) for c in classes], dtype=object)
        self._test_pen = np.array([pg.mkPen(c.qcolor(), width=2.2) for c in classes], dtype=object)
        while len(self._class_buttons) > len(classes):
            button = self._class_buttons.pop()
            self._class_group.removeButton(button)
            button.deleteLater()
        while len(self._class_buttons) < len(classes):
            i = len(self._class_buttons)
            button = QToolButton(objectName=f"designerClassButton{i}", checkable=True)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            button.customContextMenuRequested.connect(lambda _pos, i=i: self._class_menu(i))
            self._class_group.addButton(button, i)
            self._class_bar.addWidget(button)
            self._class_buttons.append(button)
        self._update_class_buttons()
        self._add_class_action.setEnabled(len(classes) < MAX_CLASSES)
        self._remove_class_action.setEnabled(len(classes) > MIN_CLASSES)
        self._on_current_class_changed(self._doc.current_class)
        self._refresh_points()
        self._update_axis_labels()

    def _on_current_class_changed(self, index: int) -> None:
        if 0 <= index < len(self._class_buttons):
            self._class_buttons[index].setChecked(True)
        self._update_brush_cursor()

    def _on_mode_changed(self, mode: str) -> None:
        one_d = mode == "1d"
        self.view_box.setMouseEnabled(x=True, y=not one_d)  # 1-D: the wheel zooms x only
        for key in (("y", "min"), ("y", "max"), ("y", "label")):
            self._range_spins[key].setVisible(not one_d)
        for it in [*self._curves, self._threshold]:
            if not one_d:
                it.hide()
        self._update_axis_labels()
        self._sync_view_combos()
        self._on_ranges_changed()
        self._refresh_points()

    def _on_view_columns_changed(self) -> None:
        self._sync_view_combos()
        self._update_axis_labels()
        self._refresh_points()

    def _sync_view_combos(self) -> None:
        """The combo boxes show the document's columns and pair (visible for more than two columns)."""
        doc = self._doc
        names = list(doc.column_names)
        for combo, column in zip((self.view_x_combo, self.view_y_combo), doc.view_columns):
            was = combo.blockSignals(True)
            if [combo.itemText(k) for k in range(combo.count())] != names:
                combo.clear()
                combo.addItems(names)
            combo.setCurrentIndex(column)
            combo.blockSignals(was)
        self.view_pair_box.setVisible(len(names) > 2 and doc.mode == "2d")

    def _on_view_combo(self, _index: int) -> None:
        """Show the chosen pair; choosing the other axis' column swaps the two."""
        i, j = self.view_x_combo.currentIndex(), self.view_y_combo.currentIndex()
        old_i, old_j = self._doc.view_columns
        if i == j:
            i, j = (i, old_i) if i != old_i else (old_j, j)
        self._doc.set_view_columns(i, j)
        self._sync_view_combos()

    def _on_ranges_changed(self) -> None:
        doc = self._doc
        ylim = Y_RANGE_1D if doc.mode == "1d" else doc.ylim
        self._updating_ranges = True
        try:
            self.view_box.setRange(xRange=doc.xlim, yRange=ylim, padding=0)
            for axis, lim in (("x", doc.xlim), ("y", doc.ylim)):
                for end, value in zip(("min", "max"), lim):
                    self._range_spins[axis, end].setValue(value)
        finally:
            self._updating_ranges = False

    def _update_axis_labels(self) -> None:
        doc = self._doc
        item = self.plot_widget.getPlotItem()
        names = doc.view_names  # both names, also in 1-D mode
        item.setLabel("bottom", names[0])
        if doc.mode == "1d" and doc.n_classes == 2:  # the curve is p of the positive (last) class
            item.setLabel("left", f"P({doc.label_name} = {doc.classes[-1].name} | {names[0]})")
        elif doc.mode == "1d":
            item.setLabel("left", f"P(class | {names[0]})")
        else:
            item.setLabel("left", names[1])

    # ----------------------------------------------------------- view -> doc
    def _on_view_range_changed_by_user(self, _mask) -> None:
        (x0, x1), (y0, y1) = self.view_box.viewRange()
        if self._doc.mode == "1d":
            self._doc.set_ranges((x0, x1))
        else:
            self._doc.set_ranges((x0, x1), (y0, y1))

    def _on_range_spin(self, _value: float) -> None:
        if self._updating_ranges:
            return
        s = {key: spin.value() for key, spin in self._range_spins.items() if isinstance(spin, QDoubleSpinBox)}
        xlim, ylim = (s["x", "min"], s["x", "max"]), (s["y", "min"], s["y", "max"])
        if xlim[0] < xlim[1] and ylim[0] < ylim[1]:
            self._doc.set_ranges(xlim, ylim)
        else:  # an impossible range (min >= max): show the document's again
            self._on_ranges_changed()

    def _on_tool_action(self, tool: str) -> None:
        if tool != self._tool:
            self._tool = tool
            self._brush_cursor.setVisible(False)
            self.toolChanged.emit(tool)

    def _add_class(self) -> None:
        self._doc.set_current_class(self._doc.add_class())

    def _remove_class(self) -> None:
        self._doc.remove_class(self._doc.current_class)

    def _class_menu(self, index: int) -> None:
        menu = QMenu(self)
        menu.addAction("Rename…", lambda: self._rename_class(index))
        menu.exec(self._class_buttons[index].mapToGlobal(QPoint(0, self._class_buttons[index].height())))

    def _rename_class(self, index: int) -> None:
        old = self._doc.classes[index].name
        name, ok = QInputDialog.getText(self, "Rename class", "Class name:", text=old)
        if ok and name.strip() and name.strip() not in self._doc.class_names:
            self._doc.rename_class(index, name)

    # ----------------------------------------------------------------- mouse
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is not self.plot_widget.viewport():
            return super().eventFilter(obj, event)
        kind = event.type()
        if kind == QEvent.Type.Leave:
            self.coords_label.clear()
            self._brush_cursor.hide()
            return False
        if kind not in (
            QEvent.Type.MouseButtonPress,
            QEvent.Type.MouseButtonDblClick,
            QEvent.Type.MouseMove,
            QEvent.Type.MouseButtonRelease,
        ):
            return False
        data = self.widget_pos_to_data(event.position())
        if kind == QEvent.Type.MouseMove:
            self._show_coords(*data)
            self._update_brush_cursor(data)
            if self._press is None:
                return bool(event.buttons() & (Qt.MouseButton.LeftButton | Qt.MouseButton.RightButton))
            self._on_move(event.position(), data)
            return True
        if event.button() not in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            return False  # middle button pans: pyqtgraph's job
        if kind == QEvent.Type.MouseButtonRelease:
            if self._press is not None and event.button() == self._press["button"]:
                self._on_release(event.position(), data, event.modifiers())
            return True
        if self._press is None:  # a press (a double click counts as a second press)
            self.plot_widget.setFocus(Qt.FocusReason.MouseFocusReason)
            self._on_press(event.button(), event.position(), data)
        return True

    def hideEvent(self, event) -> None:
        # A gesture must never stay open: an open undo macro would swallow every later edit.
        if self._press is not None:
            self._on_release(self._press["pos"], self._press["data"], Qt.KeyboardModifier.NoModifier)
        super().hideEvent(event)

    def _on_press(self, button, pos: QPointF, data) -> None:
        hit = self._nearest(data)
        # The tool is fixed for the whole gesture: a tool key pressed mid-drag must not unbalance it.
        tool = self._tool
        self._press = {"button": button, "pos": QPointF(pos), "data": data, "hit": hit, "dragging": False, "tool": tool}
        if button == Qt.MouseButton.RightButton:
            if hit is not None:  # right-click erases with any tool
                self._doc.remove_points([hit])
        elif tool == "brush":
            self._doc.begin_gesture("Brush stroke")
            self._press["cursor"] = data
            self._spray(BRUSH_POINTS + 1)
            self._brush_timer.start()
        elif tool == "erase":
            self._doc.begin_gesture("Erase")
            if hit is not None:
                self._doc.remove_points([hit])

    def _on_move(self, pos: QPointF, data) -> None:
        press = self._press
        if press["button"] != Qt.MouseButton.LeftButton:
            return
        if not press["dragging"]:
            if (pos - press["pos"]).manhattanLength() < DRAG_PX:
                return
            press["dragging"] = True
            if press["tool"] == "place" and press["hit"] is not None:
                hit = press["hit"]
                indices = self.selection() if self._selection[hit] else np.array([hit])
                press["start_xy"], self._moving = self._doc.xy[indices], indices
                self._doc.begin_gesture(f"Move {len(indices)} point{'s' * (len(indices) != 1)}")
        if press["tool"] == "brush":
            press["cursor"] = data
        elif press["tool"] == "erase":
            hit = self._nearest(data)
            if hit is not None:
                self._doc.remove_points([hit])
        elif press["tool"] == "select":
            self._show_band(press["data"], data)
        elif self._moving is not None:
            self._pending_move = press["start_xy"] + np.subtract(data, press["data"])
            if not self._move_timer.isActive():  # throttle: at most one document edit per frame
                self._flush_move()
                self._move_timer.start()

    def _on_release(self, pos: QPointF, data, modifiers) -> None:
        press, self._press = self._press, None
        if press["button"] != Qt.MouseButton.LeftButton:
            return
        if press["tool"] == "brush":
            self._brush_timer.stop()
            self._doc.end_gesture()
        elif press["tool"] == "erase":
            self._doc.end_gesture()
        elif press["tool"] == "select":
            self._band.hide()
            self._select(press, data, bool(modifiers & Qt.KeyboardModifier.ShiftModifier))
        elif self._moving is not None:
            self._move_timer.stop()
            self._flush_move()
            self._moving = None
            self._doc.end_gesture()
        elif not press["dragging"]:
            self._doc.add_points([press["data"]], self._doc.current_class)

    def _flush_move(self) -> None:
        if self._pending_move is not None and self._moving is not None:
            self._doc.move_points(self._moving, self._pending_move)
        self._pending_move = None

    def _spray(self, count: int = BRUSH_POINTS) -> None:
        if self._press is None:
            return
        center = np.asarray(self._press["cursor"])
        xy = center + self._rng.normal(0.0, self.brush_spread, size=(count, 2))
        self._doc.add_points(xy, self._doc.current_class)

    def _select(self, press: dict, data, add: bool) -> None:
        mask = self._selection.copy() if add else np.zeros(self._doc.n_points, dtype=bool)
        if press["dragging"]:
            (x0, y0), (x1, y1) = press["data"], data
            xy = self._display_xy()
            mask |= (
                (xy[:, 0] >= min(x0, x1))
                & (xy[:, 0] <= max(x0, x1))
                & (xy[:, 1] >= min(y0, y1))
                & (xy[:, 1] <= max(y0, y1))
            )
        elif press["hit"] is not None:
            mask[press["hit"]] = not (add and self._selection[press["hit"]])
        self._set_selection_mask(mask)

    # --------------------------------------------------------------- drawing
    def _display_xy(self) -> np.ndarray:
        """(n, 2) where points are drawn: stored coordinates, or (x, class level) in 1-D mode."""
        doc = self._doc
        if doc.mode == "2d":
            return doc.xy
        levels = doc.labels / max(doc.n_classes - 1, 1)
        return np.column_stack([doc.xy[:, 0], levels])

    def _refresh_points(self) -> None:
        doc = self._doc
        if len(self._class_fill) != doc.n_classes:  # a replace signalled points before classes
            self._on_classes_changed()  # rebuilds the colours, then calls back here
            return
        xy, labels = self._display_xy(), doc.labels
        fill, pens = self._class_fill[labels], self._class_pen[labels]
        # Masks of a previous run may not fit yet: documents signal classes before points.
        test = self._test_mask if self._test_mask is not None and len(self._test_mask) == len(xy) else None
        if test is not None:  # hollow: white fill, thick class-coloured outline
            fill[test] = self._hollow
            pens[test] = self._test_pen[labels[test]]
        self._points.setData(x=xy[:, 0], y=xy[:, 1], brush=list(fill), pen=list(pens))
        sel = self._selection if len(self._selection) == len(xy) else np.zeros(len(xy), dtype=bool)
        self._halo.setData(x=xy[sel, 0], y=xy[sel, 1])
        ring = (
            self._miscl_mask
            if self._miscl_mask is not None and len(self._miscl_mask) == len(xy)
            else np.zeros(len(xy), dtype=bool)
        )
        self._rings.setData(x=xy[ring, 0], y=xy[ring, 1])

    def _update_class_buttons(self) -> None:
        counts = np.bincount(self._doc.labels, minlength=self._doc.n_classes)
        for i, (button, info) in enumerate(zip(self._class_buttons, self._doc.classes)):
            button.setText(f"{info.name} ({counts[i]})")
            button.setIcon(_swatch(info.qcolor()))
            key = f" (key {i + 1})" if i < 9 else ""
            button.setToolTip(f"Draw class {info.name}{key}; right-click to rename")

    def _show_band(self, a, b) -> None:
        self._band.setRect(QRectF(QPointF(*a), QPointF(*b)).normalized())
        self._band.show()

    def _show_coords(self, x: float, y: float) -> None:
        text = f"x = {x:.3f}" if self._doc.mode == "1d" else f"x = {x:.3f}, y = {y:.3f}"
        self.coords_label.setText(text.replace("-", _MINUS))

    def _update_brush_cursor(self, data=None) -> None:
        if self._tool != "brush" or (data is None and not self._brush_cursor.isVisible()):
            return
        if data is None:
            r = self._brush_cursor.rect()
            data = (r.center().x(), r.center().y())
        s = self.brush_spread
        self._brush_cursor.setRect(QRectF(data[0] - s, data[1] - s, 2 * s, 2 * s))
        self._brush_cursor.setPen(
            _cosmetic_pen(palette.outline(self._doc.classes[self._doc.current_class].color), Qt.PenStyle.DashLine)
        )
        self._brush_cursor.show()

    # --------------------------------------------------------------- helpers
    def _nearest(self, data) -> int | None:
        """Index of the point nearest to ``data`` within HIT_PX screen pixels, else None."""
        if self._doc.n_points == 0:
            return None
        pw, ph = self.view_box.viewPixelSize()  # data units per pixel; the axes may differ
        xy = self._display_xy()
        d2 = ((xy[:, 0] - data[0]) / pw) ** 2 + ((xy[:, 1] - data[1]) / ph) ** 2
        i = int(np.argmin(d2))
        return i if d2[i] <= HIT_PX**2 else None

    def _set_selection_mask(self, mask: np.ndarray) -> None:
        if not np.array_equal(mask, self._selection):
            self._selection = mask
            self._refresh_points()
            self.selectionChanged.emit()
        has = bool(mask.any())
        self._delete_action.setEnabled(has)
        self._relabel_action.setEnabled(has)

    def _checked_mask(self, mask) -> np.ndarray | None:
        if mask is None:
            return None
        mask = np.asarray(mask, dtype=bool).reshape(-1)
        if len(mask) != self._doc.n_points:
            raise ValueError(f"mask has {len(mask)} entries for {self._doc.n_points} points")
        return mask


def _cosmetic_pen(color, style=Qt.PenStyle.SolidLine) -> QPen:
    """A 1.5-pixel pen whatever the zoom (items in data coordinates would scale a normal pen)."""
    pen = QPen(QColor(color), 1.5, style)
    pen.setCosmetic(True)
    return pen


def _swatch(color: QColor, size: int = 14) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(color.darker(160), 1))
    painter.setBrush(color)
    painter.drawEllipse(1, 1, size - 2, size - 2)
    painter.end()
    return QIcon(pixmap)
