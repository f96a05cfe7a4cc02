"""Soak test (run by hand): the real window trains its default demo "until stopped" for N minutes.

Opens the real ``MainWindow`` offscreen with the program's set-up (``lab_app.app.run``: BLAS on one
thread, pyqtgraph's GUI-thread garbage collector, ``gc.freeze()`` once the window is up), presses
Train and lets it run. Every minute it prints the epoch, the process's RSS, the size of the
recovery (autosave) folder, the worst GUI stall in that minute (how late a 10 ms ``QTimer`` in
the GUI thread fired: a key press waits as long) and the longest garbage-collection pause (from
``gc.callbacks``, any thread, with its generation); a table of the minutes ends the run.

    python benchmarks/soak.py                 # 10 minutes
    python benchmarks/soak.py --minutes 3
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
RECOVERY = tempfile.mkdtemp(prefix="logit-lab-soak-")
os.environ["LOGIT_LAB_RECOVERY_DIR"] = RECOVERY  # the window autosaves here, not in the user's folder
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's lab_app and engine

from pyqtgraph.util.garbage_collector import GarbageCollector  # noqa: E402
from PySide6.QtCore import QElapsedTimer, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from engine.runtime import limit_blas_threads  # noqa: E402
from lab_app.training.pace import FLAT_OUT  # noqa: E402
from lab_app.window.main_window import MainWindow  # noqa: E402

TICK_MS = 10


class Minute:
    """What one minute of the run measured."""

    def __init__(self):
        self.stall_ms = 0.0
        self.gc_ms = 0.0
        self.gc_generation = None
        self.full_collections = 0


def rss_mb() -> float:
    """Resident set size of this process (Linux /proc)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def folder_mb(path: str) -> float:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / 2**20


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=10.0)
    args = p.parse_args()
    limit_blas_threads(1)
    app = QApplication.instance() or QApplication([])
    collector = GarbageCollector(interval=1.0)
    settings = QSettings(os.path.join(RECOVERY, "soak.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    # Until stopped and flat out: the window's defaults (until converged, 20 epochs/s) end or slow the demo.
    window.trainer_panel.set_epoch_mode("stopped")
    window.controller.set_pace(FLAT_OUT)
    window.resize(1400, 900)
    window.show()
    gc.freeze()
    minute = Minute()
    started: dict[int, float] = {}

    def on_gc(phase, info):
        if phase == "start":
            started[info["generation"]] = time.perf_counter()
            return
        ms = (time.perf_counter() - started.pop(info["generation"], time.perf_counter())) * 1000
        if info["generation"] == 2:
            minute.full_collections += 1
        if ms > minute.gc_ms:
            minute.gc_ms, minute.gc_generation = ms, info["generation"]

    gc.callbacks.append(on_gc)
    clock, last = QElapsedTimer(), [None]

    def tick():
        now = clock.nsecsElapsed() / 1e6
        if last[0] is not None:
            minute.stall_ms = max(minute.stall_ms, now - last[0] - TICK_MS)
        last[0] = now

    timer = QTimer(interval=TICK_MS, timeout=tick)
    rows = []
    t0 = time.perf_counter()

    def report():
        nonlocal minute
        latest = window.controller.latest
        row = (
            len(rows) + 1,
            latest.epoch if latest is not None else 0,
            rss_mb(),
            folder_mb(RECOVERY),
            minute.stall_ms,
            minute.gc_ms,
            minute.gc_generation,
            minute.full_collections,
        )
        rows.append(row)
        print(
            f"minute {row[0]:>3}: epoch {row[1]:>10,}  RSS {row[2]:7.1f} MB  recovery {row[3]:6.2f} MB  "
            f"worst stall {row[4]:6.1f} ms  worst GC {row[5]:6.1f} ms (gen {row[6]}, {row[7]} full)",
            flush=True,
        )
        minute = Minute()
        if time.perf_counter() - t0 >= args.minutes * 60 - 1:
            app.quit()

    every_minute = QTimer(interval=60_000, timeout=report)
    print(f"RSS before training {rss_mb():.1f} MB; recovery folder {RECOVERY}", flush=True)
    clock.start()
    timer.start()
    every_minute.start()
    window.act_train.trigger()
    app.exec()
    gc.callbacks.remove(on_gc)
    window.controller.shutdown()
    print(
        "\n| minute | epoch | RSS (MB) | recovery (MB) | worst GUI stall (ms) | worst GC pause (ms, gen) | full GCs |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for m, epoch, rss, rec, stall, pause, gen, full in rows:
        print(f"| {m} | {epoch:,} | {rss:.1f} | {rec:.2f} | {stall:.1f} | {pause:.1f} (gen {gen}) | {full} |")
    del collector


if __name__ == "__main__":
    main()
