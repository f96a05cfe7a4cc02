"""GUI responsiveness while training (run by hand; prints a table).

While the lab window trains an MLP (64, 64) on 10,000 moons points, a 10 ms QTimer in the GUI
thread of the real MainWindow records how late each tick fires (an input-latency proxy: a key
press or a mouse move waits just as long), and we count how many times the decision-boundary
view re-rendered its 200×200 image per second.

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_bench.py [--seconds 10] [--batch 32 256] [--docks network]
    # the Network dock in front, on a spiral, with a (16, 16) tanh net:
    python benchmarks/gui_bench.py --data spiral --hidden 16 16 --activation tanh --docks network

The window trains flat out (``--pace``, epochs per second, changes that): the worst case for the
GUI thread.

The first row ("idle") is the same window and timer without training: the floor the machine
itself sets at that moment. "other CPU" is how many cores other processes used meanwhile (from
/proc/stat, Linux only): on a shared 2-core machine it moves every number, so it is printed.

Targets (the lab-window issue): p99 lateness < 30 ms; ≥ 25 boundary redraws/s.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import statistics
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from pyqtgraph.util.garbage_collector import GarbageCollector
from PySide6.QtCore import QElapsedTimer, QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication
from sklearn.datasets import make_moons

from engine.generators import spiral
from engine.runtime import limit_blas_threads
from engine.training import TrainConfig
from lab_app.window.main_window import MainWindow

TARGET_P99_MS = 30.0
TARGET_REDRAWS = 25.0


def measure(
    seconds: float,
    batch: int | None,
    n: int,
    hidden=(64, 64),
    docks=(),
    *,
    data: str = "moons",
    activation: str = "relu",
    pace: float = math.inf,
) -> dict:
    """One run; ``batch=None`` keeps the window idle (no training) for the baseline row; ``docks``
    (keys such as "network") are brought to the front of their tabs first; ``data`` is "moons"
    or "spiral" (two arms); ``pace`` in epochs per second (inf: flat out)."""
    app = QApplication.instance() or QApplication([])
    settings = QSettings(os.path.join(tempfile.mkdtemp(), "bench.ini"), QSettings.Format.IniFormat)
    config = TrainConfig(
        model="mlp",
        hidden=hidden,
        activation=activation,
        lr=0.01,
        batch_size=batch or 32,
        epochs=0,
        features=("x1", "x2"),
        test_fraction=0.2,
    )
    window = MainWindow(settings=settings, config=config)
    window.controller.set_pace(pace)
    if data == "spiral":
        points = spiral(n, seed=0)
        X, y = points.X, points.y
    else:
        X, y = make_moons(n_samples=n, noise=0.2, random_state=0)
    window.document.replace_data(X, y, ["A", "B"])
    window.controller.set_config(config)
    window.controller.reset()
    window.show()
    for key in docks:
        window.docks[key].show()
        window.docks[key].raise_()
    gc.freeze()  # as lab_app.app.run does once the window is up
    _settle(0.5)  # the window's first layout and paints are not what we measure

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
    rendered = []
    window.boundary_view.imageRendered.connect(lambda: rendered.append(1))
    cpu_before = _cpu_seconds()
    clock.start()
    timer.start()
    if batch is not None:
        window.controller.train()
    started = time.perf_counter()
    QTimer.singleShot(int(seconds * 1000), app.quit)
    app.exec()
    elapsed = time.perf_counter() - started
    timer.stop()
    cpu_after = _cpu_seconds()
    snapshot = window.controller.latest
    renders = len(rendered)
    window.controller.shutdown()
    window.close()
    lat = sorted(lateness)
    other = None
    if cpu_before is not None and cpu_after is not None:
        other = ((cpu_after[0] - cpu_before[0]) - (cpu_after[1] - cpu_before[1])) / elapsed
    return {
        "batch": batch,
        "n": n,
        "seconds": elapsed,
        "ticks": len(lat),
        "p50_ms": statistics.median(lat) if lat else float("nan"),
        "p99_ms": lat[int(0.99 * (len(lat) - 1))] if lat else float("nan"),
        "max_ms": lat[-1] if lat else float("nan"),
        "redraws_per_s": renders / elapsed,
        "epochs_per_s": (snapshot.epoch if snapshot else 0) / elapsed,
        "samples_per_s": snapshot.samples_per_second if snapshot else float("nan"),
        "other_cpu": other,
    }


def _settle(seconds: float) -> None:
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def _cpu_seconds():
    """(CPU seconds all processes used, CPU seconds this process used), or None off Linux."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()[1:]
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    values = [int(v) for v in fields]
    busy = sum(values) - values[3] - (values[4] if len(values) > 4 else 0)  # minus idle and iowait
    return busy / ticks, time.process_time()


def main():
    limit_blas_threads(1)  # as the program's entry point does (lab_app.app.run)
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=8.0)
    p.add_argument("--n", type=int, default=10_000)
    p.add_argument("--batch", type=int, nargs="*", default=[32, 256])
    p.add_argument("--docks", nargs="*", default=[], help='docks to bring to the front, e.g. "network"')
    p.add_argument("--no-idle", action="store_true", help="skip the idle (no training) baseline row")
    p.add_argument("--data", choices=("moons", "spiral"), default="moons")
    p.add_argument("--hidden", type=int, nargs="+", default=[64, 64], help="units of each hidden layer")
    p.add_argument("--activation", default="relu")
    p.add_argument("--pace", type=float, default=math.inf, help="epochs per second (default: flat out)")
    args = p.parse_args()
    app = QApplication.instance() or QApplication([])
    collector = GarbageCollector(interval=1.0)  # the program's GC regime (lab_app.app.run)
    batches = ([] if args.no_idle else [None]) + list(args.batch)
    net = dict(hidden=tuple(args.hidden), docks=args.docks, data=args.data, activation=args.activation, pace=args.pace)
    rows = [measure(args.seconds, b, args.n, **net) for b in batches]
    print(
        f"\nMLP {tuple(args.hidden)} {args.activation} on {args.n:,} {args.data} points, boundary grid 200×200, "
        f"{args.seconds:.0f} s each, pace {args.pace:g} epochs/s, {os.cpu_count()} cores"
        + (f", docks in front: {', '.join(args.docks)}" if args.docks else "")
        + "\n"
    )
    print(
        "| batch | timer p50 late (ms) | p99 late (ms) | max (ms) | boundary redraws/s | epochs/s | samples/s "
        "| other CPU (cores) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        other = "n/a" if r["other_cpu"] is None else f"{max(r['other_cpu'], 0.0):.1f}"
        if r["batch"] is None:
            print(f"| idle | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['max_ms']:.1f} | – | – | – | {other} |")
            continue
        print(
            f"| {r['batch']} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['max_ms']:.1f} | "
            f"{r['redraws_per_s']:.1f} | {r['epochs_per_s']:.1f} | {r['samples_per_s']:,.0f} | {other} |"
        )
    print(f"\ntargets: p99 lateness < {TARGET_P99_MS:.0f} ms, ≥ {TARGET_REDRAWS:.0f} redraws/s")
    for r in rows:
        if r["batch"] is not None:
            ok = r["p99_ms"] < TARGET_P99_MS and r["redraws_per_s"] >= TARGET_REDRAWS
            print(f"batch {r['batch']}: {'met' if ok else 'NOT met'}")
    del collector, app


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
