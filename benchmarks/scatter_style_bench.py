"""Restyling drawn points: one scatter item with a pen and a brush per point, against
:class:`~lab_app.widgets.styled_scatter.StyledScatter` (one item per style), offscreen (run by hand).

``--points`` points of ``--classes`` classes, a quarter of them hollow (the test split), drawn
the way the views draw them: new points (an import, a new sample: every repeat moves them all),
one point added (an edit), and the test split hidden then shown. Prints the median ms of each.

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
    parser.add_argument("--repeats", type=int, default=8)
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

    per_point = pg.ScatterPlotItem(size=9, symbol="o", antialias=True)

    def per_point_draw(x, y, labels, hollow, shown):
        fill = np.array(fills, dtype=object)[labels]
        pen = np.array(pens, dtype=object)[labels]
        fill[hollow] = pg.mkBrush("w")
        pen[hollow] = np.array(hollow_pens, dtype=object)[labels[hollow]]
        per_point.setData(x=x, y=y, brush=list(fill), pen=list(pen))
        if not shown.all():
            per_point.setPointsVisible(shown)

    styled = StyledScatter(9, antialias=True)

    def styled_draw(x, y, labels, hollow, shown):
        styled.set(x, y, class_codes(labels, hollow), class_styles(fills, pens, hollow_pens))
        styled.set_shown(None if shown.all() else shown)

    for name, draw in (("per-point pens", per_point_draw), ("StyledScatter", styled_draw)):
        new, edited, toggled = _measure(draw, x, y, labels, hollow, args.repeats)
        print(f"{name:>15}: new points {new:6.1f} ms, one added {edited:6.1f} ms, test toggled {toggled:6.1f} ms")


def _measure(draw, x, y, labels, hollow, repeats: int) -> tuple[float, float, float]:
    """Median ms of ``draw`` for new points, for one point more (an edit: the views draw every
    point again), and for the test split hidden or shown."""
    everything = np.ones(len(x), dtype=bool)
    step = iter(range(10**9))
    new = _median_ms(lambda: draw(x + next(step) * 1e-9, y, labels, hollow, everything), repeats)

    def edit():
        k = next(step) % 2
        one_more = np.ones(len(x) + 1, dtype=bool)
        draw(np.append(x, k), np.append(y, k), np.append(labels, 0), np.append(hollow, False), one_more)

    edited = _median_ms(edit, repeats)
    draw(x, y, labels, hollow, everything)
    toggled = _median_ms(lambda: draw(x, y, labels, hollow, ~hollow if next(step) % 2 else everything), repeats)
    return new, edited, toggled


if __name__ == "__main__":
    main()
