"""The boundary plot's axis labels, its one-row key above the plot and the colour bar beside binary 2-D plots."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt

from lab_app.panels.boundary.points import POINT_PX
from lab_app.widgets import palette
from lab_app.widgets.plots import AXIS_PEN, TEXT_PEN

__all__ = ["Decorations"]


class Decorations:
    """Axis labels, the key (in the title's place, so it never covers the data) and the colour bar
    of a plot item; :meth:`update` rebuilds them only when what they show changed."""

    def __init__(self, plot_item):
        self._plot = plot_item
        self.legend = pg.LegendItem(colCount=8, horSpacing=14, labelTextColor=TEXT_PEN, labelTextSize="9pt")
        plot_item.layout.removeItem(plot_item.titleLabel)
        plot_item.titleLabel.hide()
        plot_item.layout.addItem(self.legend, 0, 1, Qt.AlignmentFlag.AlignHCenter)
        self._samples: list = []
        self._key = None
        self.color_bar: pg.ColorBarItem | None = None  # created for the first binary 2-D run

    def update(
        self, axis_names, class_names, colors, lut, one_d: bool, has_test: bool, threshold=0.5, *, discrete=False
    ) -> None:
        """``axis_names`` (x, y) of the columns on show; ``class_names`` and ``colors`` (QColor) per
        class; ``lut`` the binary colour table (None for more classes); ``has_test``: a test key;
        ``threshold``: the P of the binary decision contour; ``discrete``: the image shows hard
        class regions (no probability colour bar)."""
        binary = lut is not None
        key = (
            tuple(axis_names),
            tuple(class_names),
            tuple(c.name() for c in colors),
            binary,
            one_d,
            has_test,
            float(threshold),
            bool(discrete),
        )
        if key == self._key:
            return
        self._key = key
        item = self._plot
        item.setLabel("bottom", axis_names[0], color=TEXT_PEN)
        if one_d:
            item.setLabel("left", "probability  ·  class", color=TEXT_PEN)
        else:
            item.setLabel("left", axis_names[1], color=TEXT_PEN)
        self.legend.clear()
        self._samples = []
        for color, name in zip(colors, class_names):
            self.add_key(
                pg.ScatterPlotItem(
                    symbol="o", size=POINT_PX, brush=pg.mkBrush(color), pen=pg.mkPen(palette.outline(color), width=1)
                ),
                name,
            )
        if has_test:
            self.add_key(
                pg.ScatterPlotItem(symbol="o", size=POINT_PX, brush=pg.mkBrush("w"), pen=pg.mkPen("#777777", width=2)),
                "test",
            )
        self.add_key(
            pg.ScatterPlotItem(symbol="o", size=POINT_PX + 5, brush=None, pen=pg.mkPen(palette.INK, width=1.8)),
            "misclassified",
        )
        if not one_d:
            self.add_key(
                pg.PlotDataItem(pen=pg.mkPen(palette.INK, width=2)), f"P = {threshold:g}" if binary else "boundary"
            )
        self._update_color_bar(lut if binary and not one_d and not discrete else None, class_names[-1])

    def fit_to(self, plot_widget) -> None:
        """Wrap the key to the width over the plot (the widget's, less the y axis, the margins and
        the colour bar beside the plot), then give the plot item the widget's width again: held
        wider by the old key, it would take it back only at the widget's next resize."""
        bar = self.color_bar
        width = plot_widget.width() - self._plot.getAxis("left").width() - 20
        if bar is not None and bar.isVisible():  # its hint: its width may not be laid out yet
            width -= bar.effectiveSizeHint(Qt.SizeHint.PreferredSize).width() + 20
        self.fit_width(width)
        self._plot.setGeometry(plot_widget.range)

    def fit_width(self, width: float) -> None:
        """Wrap the key into as many rows as it needs to be at most ``width`` pixels wide: a key
        wider than the plot would widen the plot past its widget and cut off its right edge."""
        legend = self.legend
        for columns in range(max(len(legend.items), 1), 0, -1):
            if legend.columnCount != columns:
                legend.setColumnCount(columns)
            if columns == 1 or legend.layout.preferredWidth() <= width:
                break
        # Its own width, fixed: pyqtgraph sizes a legend from its labels' last widths, so one
        # stretched wider by the plot's layout would otherwise stay that wide.
        fitted = legend.layout.preferredWidth()
        legend.setMinimumWidth(fitted)
        legend.setMaximumWidth(fitted)

    def add_key(self, sample, name: str) -> None:
        self._samples.append(sample)  # the legend keeps only a weak hold on the sample's style
        self.legend.addItem(sample, name)

    def show_key(self, sample, name: str, on: bool) -> None:
        """Add ``sample``'s key (once) or remove it."""
        if not on:
            self.legend.removeItem(sample)
        elif not any(getattr(s, "item", None) is sample for s, _ in self.legend.items):
            self.add_key(sample, name)

    def _update_color_bar(self, lut, positive: str) -> None:
        """The diverging colour bar of P(``positive``) from ``lut``; out of the layout when ``lut`` is None."""
        layout = self._plot.layout
        if lut is None:
            if self.color_bar is not None and self.color_bar.isVisible():
                layout.removeItem(self.color_bar)
                layout.setColumnFixedWidth(4, 0)
                self.color_bar.hide()
            return
        stops = lut[[0, 128, 255], :3]
        cmap = pg.ColorMap(pos=[0.0, 0.5, 1.0], color=stops)
        if self.color_bar is None:
            self.color_bar = pg.ColorBarItem(
                values=(0.0, 1.0), colorMap=cmap, interactive=False, width=12, pen=AXIS_PEN, colorMapMenu=False
            )
            axis = self.color_bar.axis
            axis.setPen(pg.mkPen(AXIS_PEN))
            axis.setTextPen(pg.mkPen(TEXT_PEN))
            axis.setTicks([[(0.0, "0"), (0.5, "0.5"), (1.0, "1")]])
            self.color_bar.hide()
        else:
            self.color_bar.setColorMap(cmap)
        self.color_bar.axis.setLabel(f"P({positive})", color=TEXT_PEN)
        if not self.color_bar.isVisible():
            layout.addItem(self.color_bar, 2, 5)
            layout.setColumnFixedWidth(4, 6)
            self.color_bar.show()
