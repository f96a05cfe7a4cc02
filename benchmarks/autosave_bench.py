"""Autosave with many points: how long the GUI thread is held, and what reaches the disk.

Run by hand from the repository root (prints a markdown table; ~1 minute for a million points)::

    python benchmarks/autosave_bench.py --points 1000000
    BENCH_ROOT=/path/to/other/checkout python benchmarks/autosave_bench.py ...   # that checkout's code

The lab window opens offscreen with ``--points`` random points and a few hundred trained epochs.
Measured in the GUI thread (its CPU time, which a loaded machine does not inflate): the call that starts a full autosave (``save_now()``: the snapshot),
the autosave's share of the edit that follows (one point moved: queuing its journal line and
scheduling), and the longest gap of a 5 ms ``QTimer`` while the full write runs in the background. Also the seconds until the write
lands, the recovery file's size, and two autosaves with nothing changed: how many writes they made
and how long each took (``save_now(wait=True)``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

ROOT = os.environ.get("BENCH_ROOT") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--points", type=int, default=1_000_000)
    p.add_argument("--epochs", type=int, default=50)
    args = p.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["LOGIT_LAB_RECOVERY_DIR"] = tempfile.mkdtemp(prefix="autosave-bench-")
    import numpy as np
    from PySide6.QtCore import QElapsedTimer, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from lab_app.training.config import DEFAULT_CONFIG
    from lab_app.window.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    settings = QSettings(os.path.join(tempfile.mkdtemp(), "bench.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings=settings, config=DEFAULT_CONFIG.with_(epochs=args.epochs, batch_size=0))
    w.files.dialogs.ask = lambda *a, **k: "discard"
    w.show()
    rng = np.random.default_rng(0)
    w.document.replace_data(rng.normal(size=(args.points, 2)), rng.integers(0, 2, args.points), ["A", "B"])
    w.act_train.trigger()
    deadline = time.monotonic() + 600
    while w.controller.state == "running" and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    saver = w.files.autosaver
    saver.delay_ms = saver.max_wait_ms = saver.training_interval_ms = 3_600_000  # only ours
    for _ in range(50):
        app.processEvents()
    journal = getattr(saver, "journal", None)  # older checkouts have none
    saver._writer.wait()
    if journal is not None:
        journal.wait()
    app.processEvents()

    clock = QElapsedTimer()
    ticks = []
    timer = QTimer(interval=5, timeout=lambda: ticks.append(clock.elapsed()))
    w.document.move_points([1], w.document.xy[[1]] + 0.5)  # something to save
    writes = saver.writes
    clock.start()
    timer.start()
    start = time.thread_time()  # the GUI thread's CPU time: other processes do not inflate it
    saver.save_now()
    snapshot_ms = (time.thread_time() - start) * 1000
    begun = time.perf_counter()
    while saver.writes == writes and time.perf_counter() - begun < 600:
        app.processEvents()
    landed = time.perf_counter() - begun
    timer.stop()
    gaps = np.diff(ticks) if len(ticks) > 1 else np.array([0])
    size_mb = os.path.getsize(saver.path) / 1e6
    # The autosave's share of an edit: its journal line (or, without a journal, the scheduling).
    spent = []
    for name in ("record", "schedule"):
        if hasattr(saver, name):
            setattr(saver, name, _timed(getattr(saver, name), spent))
    w.document.move_points([0], w.document.xy[[0]] + 0.5)
    edit_ms = sum(spent) * 1000
    saver.save_now(wait=True)  # the edit too
    again = saver.writes
    start = time.perf_counter()
    saver.save_now(wait=True)
    saver.save_now(wait=True)
    repeat_ms = (time.perf_counter() - start) * 1000 / 2
    print(f"{args.points:,} points, {len(w.controller.history)} epochs; code from {ROOT}")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n")
    print(
        "| points | save_now() GUI ms | autosave share of an edit, GUI ms | write lands s | GUI gap max ms | file MB | unchanged: writes, ms |"
    )
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {args.points:,} | {snapshot_ms:.1f} | {edit_ms:.1f} | {landed:.1f} | {gaps.max():.0f} | {size_mb:.1f} "
        f"| {saver.writes - again}, {repeat_ms:.0f} |"
    )
    w.files.recovery.close()
    w.controller.shutdown()
    return 0


def _timed(method, spent):
    def timed(*args):
        start = time.thread_time()
        try:
            return method(*args)
        finally:
            spent.append(time.thread_time() - start)

    return timed


if __name__ == "__main__":
    sys.exit(main())
