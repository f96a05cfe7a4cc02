"""Restyling drawn points: one scatter item with a pen and a brush per point, against
:class:`~lab_app.widgets.styled_scatter.StyledScatter` (one item per style), offscreen (run by hand).

Each repeat draws ``--points`` points of ``--classes`` classes, a quarter of them hollow (the test
split), the way the views restyle them, and one paint of a 600×600 view. Prints the median ms.

    python benchmarks/scatter_style_bench.py [--points 10000] [--classes 3] [--repeats 7]

On a shared machine other processes move every number: say so when quoting them.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

from lab_app.widgets import palette
from lab_app.widgets.styled_scatter import StyledScatter, class_codes, class_styles


def _median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(1e3 * (time.perf_counter() - t0))
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--classes", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    pg.mkQApp()
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(2, args.points))
    labels = rng.integers(0, args.classes, args.points)
    hollow = rng.random(args.points) < 0.25
    colors = [QColor(c) for c in palette.OKABE_ITO[: args.classes]]
    fills = [pg.mkBrush(c) for c in colors]
    pens = [pg.mkPen(palette.outline(c), width=1) for c in colors]
    hollow_pens = [pg.mkPen(c.darker(125), width=2.2) for c in colors]

    widget = pg.PlotWidget()
    widget.resize(600, 600)
    per_point = pg.ScatterPlotItem(size=9, symbol="o", antialias=True)

    def restyle_per_point():
        fill = np.array(fills, dtype=object)[labels]
        pen = np.array(pens, dtype=object)[labels]
        fill[hollow] = pg.mkBrush("w")
        pen[hollow] = np.array(hollow_pens, dtype=object)[labels[hollow]]
        per_point.setData(x=x, y=y, brush=list(fill), pen=list(pen))

    styled = StyledScatter(9, antialias=True)

    def restyle_styled():
        styled.set(x, y, class_codes(labels, hollow), class_styles(fills, pens, hollow_pens))

    for name, item, restyle in (("per-point pens", per_point, restyle_per_point), ("StyledScatter", styled, restyle_styled)):
        widget.addItem(item)
        restyle()
        set_ms = _median_ms(restyle, args.repeats)
        paint_ms = _median_ms(lambda: widget.grab(), args.repeats)
        print(f"{name:>15}: restyle {set_ms:6.1f} ms, paint {paint_ms:6.1f} ms ({args.points} points)")
        widget.removeItem(item)


if __name__ == "__main__":
    main()
