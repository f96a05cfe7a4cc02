"""GUI stalls while a big data set arrives in the window and one point is edited (run by hand).

The real MainWindow, offscreen: the rows go in as File → Import CSV… puts them (one undoable
replace of the document, then a new run), then one point is added where a click would add it and
one is erased by the designer's nearest-point pick. A 10 ms QTimer in the GUI thread records how
late each tick fires; the longest lateness is the longest freeze a user would feel.

    python benchmarks/point_views_bench.py [--rows 1000000] [--settle 6] [--no-autosave]

``--no-autosave`` keeps the recovery file from being written, to see the views' own stalls (the
autosave's capture of a million points is a separate part of issue 9).

Prints one line per step (wall time of the call, then worst and p99 lateness until the window is
quiet again). Targets (issue 9): worst stall < 100 ms, p99 < 30 ms.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PySide6.QtCore import QElapsedTimer, QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from engine.data import Dataset
from engine.runtime import limit_blas_threads
from lab_app.tasks import active_tasks
from lab_app.window.main_window import MainWindow


class StallClock:
    """How late a 10 ms timer of the GUI thread fires, tick by tick."""

    def __init__(self):
        self.late: list[float] = []
        self._clock = QElapsedTimer()
        self._last = None
        self._timer = QTimer(interval=10, timeout=self._tick)

    def start(self) -> None:
        self.late, self._last = [], None
        self._clock.start()
        self._timer.start()

    def stop(self) -> tuple[float, float]:
        self._timer.stop()
        lat = sorted(self.late) or [0.0]
        return lat[-1], lat[int(0.99 * (len(lat) - 1))]

    def _tick(self) -> None:
        now = self._clock.nsecsElapsed() / 1e6
        if self._last is not None:
            self.late.append(max(0.0, now - self._last - 10.0))
        self._last = now


def settle(seconds: float) -> None:
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def step(name: str, action, clock: StallClock, settle_s: float) -> float:
    """Run ``action`` from the event loop (as a click would), then wait until background tasks
    are done and ``settle_s`` seconds passed; print and return the worst stall."""
    clock.start()
    took = {}

    def run():
        t = time.perf_counter()
        action()
        took["s"] = time.perf_counter() - t

    QTimer.singleShot(20, run)
    settle(0.1)
    deadline = time.perf_counter() + 120
    while active_tasks() and time.perf_counter() < deadline:
        settle(0.1)
    settle(settle_s)
    worst, p99 = clock.stop()
    print(f"| {name} | {1000 * took.get('s', float('nan')):.0f} ms | {worst:.0f} ms | {p99:.0f} ms |", flush=True)
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--settle", type=float, default=6.0, help="seconds to watch after each step")
    parser.add_argument("--no-autosave", action="store_true", help="no recovery-file writes during the run")
    args = parser.parse_args()
    limit_blas_threads(1)
    app = QApplication.instance() or QApplication([])
    settings = QSettings(os.path.join(tempfile.mkdtemp(), "bench.ini"), QSettings.Format.IniFormat)
    os.environ.setdefault("LOGIT_LAB_RECOVERY_DIR", tempfile.mkdtemp(prefix="bench-recovery-"))
    window = MainWindow(settings=settings)
    window.resize(1400, 900)
    if args.no_autosave:
        saver, day = window.files.autosaver, 24 * 3600 * 1000
        saver.delay_ms = saver.max_wait_ms = saver.training_interval_ms = day
    window.show()
    settle(1.0)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.rows, 2))
    y = (X[:, 0] + X[:, 1] + rng.normal(scale=0.7, size=args.rows) > 0).astype(np.int64)
    dataset = Dataset(X, y, (0, 1), ("x1", "x2"), "label")
    doc, designer = window.document, window.designer
    clock = StallClock()
    print(
        f"{args.rows:,} rows{', no autosave' if args.no_autosave else ''}\n\n| step | call | worst stall | p99 stall |\n|---|---|---|---|"
    )

    def import_rows():
        doc.load_dataset(dataset)  # what File → Import CSV… does once the file is read
        window.controller.reset()

    def erase_nearest():
        x, y = doc.xy[12345]
        i = designer.nearest_point(x, y, 10.0)
        doc.remove_points([i])

    worst = max(
        step("import", import_rows, clock, args.settle),
        step("add a point", lambda: doc.add_points([[0.3, -0.2]]), clock, args.settle),
        step("erase the nearest point", erase_nearest, clock, args.settle),
    )
    window.controller.shutdown()
    window.close()
    app.processEvents()
    print(f"\nworst GUI stall: {worst:.0f} ms")


if __name__ == "__main__":
    main()
