"""GUI responsiveness while training (run by hand; prints a table).

While the lab window trains an MLP (64, 64) on 10,000 moons points, a 10 ms QTimer in the GUI
thread records how late each tick fires (input latency proxy), and we count how many times the
decision-boundary view re-rendered its 200×200 image per second.

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_bench.py [--seconds 10] [--batch 32]

Targets (the lab-window issue): p99 lateness < 30 ms; ≥ 25 boundary redraws/s.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtCore import QElapsedTimer, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from sklearn.datasets import make_moons  # noqa: E402

from engine.training import TrainConfig  # noqa: E402
from lab_app.main_window import MainWindow  # noqa: E402


def measure(seconds: float, batch: int, n: int, hidden=(64, 64)) -> dict:
    app = QApplication.instance() or QApplication([])
    settings = QSettings(os.path.join(tempfile.mkdtemp(), "bench.ini"), QSettings.Format.IniFormat)
    config = TrainConfig(model="mlp", hidden=hidden, lr=0.01, batch_size=batch, epochs=0,
                         features=("x1", "x2"), test_fraction=0.2)
    window = MainWindow(settings=settings, config=config)
    X, y = make_moons(n_samples=n, noise=0.2, random_state=0)
    window.document.replace_data(X, y, ["A", "B"])
    window.controller.set_config(config)
    window.controller.reset()
    window.show()
    app.processEvents()

    lateness: list[float] = []
    clock = QElapsedTimer()
    timer = QTimer()
    timer.setInterval(10)
    state = {"last": None}

    def tick():
        now = clock.nsecsElapsed() / 1e6
        if state["last"] is not None:
            lateness.append(max(0.0, now - state["last"] - 10.0))
        state["last"] = now

    timer.timeout.connect(tick)
    renders_before = window.boundary_view.render_count
    epochs_before = 0
    clock.start()
    timer.start()
    window.controller.train()
    started = time.perf_counter()
    QTimer.singleShot(int(seconds * 1000), app.quit)
    app.exec()
    elapsed = time.perf_counter() - started
    timer.stop()
    snapshot = window.controller.latest
    renders = window.boundary_view.render_count - renders_before
    window.controller.shutdown()
    window.close()
    lat = sorted(lateness)
    return {
        "batch": batch, "n": n, "seconds": elapsed,
        "ticks": len(lat),
        "p50_ms": statistics.median(lat) if lat else float("nan"),
        "p99_ms": lat[int(0.99 * (len(lat) - 1))] if lat else float("nan"),
        "max_ms": lat[-1] if lat else float("nan"),
        "redraws_per_s": renders / elapsed,
        "epochs_per_s": ((snapshot.epoch if snapshot else 0) - epochs_before) / elapsed,
        "samples_per_s": snapshot.samples_per_second if snapshot else float("nan"),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=8.0)
    p.add_argument("--n", type=int, default=10_000)
    p.add_argument("--batch", type=int, nargs="*", default=[32, 256])
    args = p.parse_args()
    rows = [measure(args.seconds, b, args.n) for b in args.batch]
    print(f"\nMLP (64, 64) on {args.n:,} moons points, boundary grid 200×200, {args.seconds:.0f} s each\n")
    print("| batch | timer p50 late (ms) | p99 late (ms) | max (ms) | boundary redraws/s | epochs/s | samples/s |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['batch']} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['max_ms']:.1f} | "
              f"{r['redraws_per_s']:.1f} | {r['epochs_per_s']:.1f} | {r['samples_per_s']:,.0f} |")
    print("\ntargets: p99 lateness < 30 ms, ≥ 25 redraws/s")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
