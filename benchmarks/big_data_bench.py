"""GUI stalls with a million points (run by hand; prints a table).

Drives the real window offscreen through what a user does with big data: import a generated CSV
(the File ▸ Import CSV path: the import dialog loads it in the background, then its Import
button), one edit (a click on the designer's canvas adds a point), 30 s of MLP (64, 64) training,
scrubbing the history slider through the recorded epochs, saving the session, and reopening it.

A 5 ms heartbeat QTimer in the GUI thread records how late each tick fires: a stall is the time
the window could not answer a key press or a mouse move. Each step reports its seconds, worst and
99th-percentile stall and the peak RSS seen during it; the last line is the worst stall of all.

    python benchmarks/big_data_bench.py --rows 1000000 [--train-seconds 30] [--batch-size 32] [--profile] [--holds]

``--profile`` also prints, per step, the GUI thread's most expensive calls (cProfile, which sees
only the thread it runs in): it tells drawing (pyqtgraph, ``paint``) from model work.
``--holds`` says where the time of the long stalls went: for each GUI stall over 50 ms, the GUI
thread's stack during it (written by :mod:`faulthandler`); for each hold of the interpreter lock
over 30 ms by any thread (a watcher thread that wakes every millisecond notices when it could
not run), where every thread was just after — the usual cause of a stall that the GUI thread's
own profile does not explain (a worker's long call into C that keeps the lock); and the full or
slow garbage collections.

On a shared machine other processes move every number (a stall includes time the GUI thread
waited for a core): say so when quoting them.
"""

from __future__ import annotations

import argparse
import cProfile
import faulthandler
import gc
import io
import os
import pstats
import re
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # this tree's lab_app
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PySide6.QtCore import QElapsedTimer, QEventLoop, QSettings, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from engine.runtime import limit_blas_threads

HEARTBEAT_MS = 5
#: After each step's action is done, the window gets this long to draw what follows (measured too).
SETTLE_SECONDS = 2.0


class Heartbeat:
    """A QTimer in the GUI thread; ``stalls`` collects each tick's lateness (ms) in the current step."""

    def __init__(self, interval_ms: int = HEARTBEAT_MS, watcher=None):
        self.interval = interval_ms
        self.watcher = watcher
        self.clock = QElapsedTimer()
        self.clock.start()
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.last: float | None = None
        self.stalls: list[float] = []
        self.rss_peak = 0.0
        self._ticks = 0

    def start(self) -> None:
        self.timer.start()

    def begin_step(self) -> None:
        self.stalls, self.rss_peak = [], rss_mb()

    def _tick(self) -> None:
        now = self.clock.nsecsElapsed() / 1e6
        if self.last is not None:
            self.stalls.append(max(0.0, now - self.last - self.interval))
            if self.watcher is not None and self.stalls[-1] > 50:
                self.watcher.stalled(self.stalls[-1])
        if self.watcher is not None:
            self.watcher.armed()
        self.last = now
        self._ticks += 1
        if self._ticks % 20 == 0:
            self.rss_peak = max(self.rss_peak, rss_mb())


class LockWatcher:
    """Where the threads were during long GUI stalls and long holds of the interpreter lock.

    Stacks are written by :mod:`faulthandler` (C code, safe while other threads run): on every
    heartbeat tick a watchdog is re-armed that dumps every thread's stack if the next tick is over
    50 ms late (the GUI thread's stack then shows what kept it busy); and a thread that wakes every
    millisecond dumps every stack when it woke over 30 ms late (some thread held the lock, or the
    machine was busy), showing where the other threads were just after.
    """

    def __init__(self, threshold_ms: float = 30.0):
        self.threshold = threshold_ms / 1000
        self.step = ""
        self.holds: list[tuple[str, float]] = []  # (step, ms) of each long lock hold, as dumped
        # faulthandler writes to these by file descriptor until report()
        self._stall_dumps = tempfile.TemporaryFile("w+")  # noqa: SIM115
        self._hold_dumps = tempfile.TemporaryFile("w+")  # noqa: SIM115
        self.collections: list[tuple[str, int, float]] = []  # (step, generation, ms): full or > 10 ms
        self._gc_start = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="lock-watcher", daemon=True)

    def start(self) -> None:
        self._thread.start()
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict) -> None:
        """Garbage collections run in whichever thread allocates: they stall that thread whole."""
        if phase == "start":
            self._gc_start = time.perf_counter()
        elif info["generation"] == 2 or time.perf_counter() - self._gc_start > 0.01:
            self.collections.append((self.step, info["generation"], (time.perf_counter() - self._gc_start) * 1000))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        gc.callbacks.remove(self._on_gc)
        faulthandler.cancel_dump_traceback_later()

    def armed(self) -> None:
        """Called on every heartbeat tick (see the class)."""
        faulthandler.dump_traceback_later(0.05 + HEARTBEAT_MS / 1000, file=self._stall_dumps)

    def stalled(self, ms: float) -> None:
        """The heartbeat saw a stall of ``ms`` (over 50 ms): the dump just before this mark is its."""
        self._stall_dumps.write(f"@@{self.step}|{ms}\n")
        self._stall_dumps.flush()

    def _watch(self) -> None:
        while not self._stop.is_set():
            before = time.perf_counter()
            time.sleep(0.001)
            late = time.perf_counter() - before - 0.001
            if late > self.threshold:
                self.holds.append((self.step, late * 1000))
                faulthandler.dump_traceback(self._hold_dumps, all_threads=True)
                self._hold_dumps.write("@@\n")
                self._hold_dumps.flush()

    def report(self) -> str:
        names = {f"{t.ident:#018x}": t.name for t in threading.enumerate()}
        main = f"{threading.main_thread().ident:#018x}"
        self._stall_dumps.seek(0)
        pieces = self._stall_dumps.read().split("@@")
        stalls = []  # (ms, step, the last dump written before the stall's mark)
        before = pieces[0]
        for piece in pieces[1:]:
            mark, _, after = piece.partition("\n")
            step, ms = mark.rsplit("|", 1)
            stalls.append((float(ms), step, before.rsplit("Timeout (", 1)[-1]))
            before = after
        lines = [f"garbage collections, full or over 10 ms: {len(self.collections)}"]
        lines += [
            f"  generation {g}: {ms:.0f} ms in {step}"
            for step, g, ms in sorted(self.collections, key=lambda c: -c[2])[:5]
        ]
        lines.append("GUI stalls over 50 ms: the GUI thread's innermost program frames")
        for ms, step, dump in sorted(stalls, key=lambda p: -p[0])[:12]:
            lines.append(f"  {ms:5.0f} ms in {step}: {_frames(dump, lambda ident: ident == main)}")
        self._hold_dumps.seek(0)
        holds = self._hold_dumps.read().split("@@\n")
        lines.append("lock holds over 30 ms: where each other thread was just after")
        for (step, ms), dump in sorted(zip(self.holds, holds), key=lambda p: -p[0][1])[:12]:
            lines.append(f"  {ms:5.0f} ms in {step}:")
            for block in dump.split("\n\n"):
                ident = _thread_id(block)
                if ident in names and names[ident] != "lock-watcher":
                    where = _frames(block, lambda _ident: True)
                    if where != "(Qt or idle)":
                        lines.append(f"      {names[ident]}: {where}")
        return "\n".join(lines)


_FRAME = re.compile(r'File "([^"]+)", line (\d+) in (\S+)')


def _thread_id(block: str) -> str:
    head = block.strip().split("\n", 1)[0]
    return head.split()[1] if head.startswith("Thread") else head.split()[2] if head.startswith("Current") else ""


def _frames(dump: str, wanted) -> str:
    """The innermost frames of the program (and pyqtgraph) in the first thread of ``dump`` that ``wanted``."""
    for block in dump.split("\n\n"):
        ident = _thread_id(block)
        if ident and wanted(ident):
            ours = [m.groups() for m in _FRAME.finditer(block) if re.search(r"/(lab_app|engine|pyqtgraph)/", m[1])]
            return (
                " < ".join(f"{name} ({path.split('/')[-1]}:{line})" for path, line, name in ours[:6]) or "(Qt or idle)"
            )
    return "(not found)"


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def spin(seconds: float) -> None:
    """Run the event loop (the heartbeat keeps ticking) for ``seconds``."""
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def wait_until(condition, timeout: float, what: str) -> None:
    """Run the event loop until ``condition()`` holds (checked every 20 ms)."""
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"gave up waiting for {what} after {timeout:.0f} s")
        spin(0.02)


def write_csv(path: str, rows: int, seed: int = 0) -> None:
    """Three overlapping Gaussian classes in two columns, as a user's exported data would be."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, rows)
    centers = np.array([(-1.0, -0.5), (1.0, 0.5), (0.0, 1.5)])
    X = centers[labels] + rng.normal(0.0, 0.8, size=(rows, 2))
    with open(path, "w") as fh:
        fh.write("x1,x2,label\n")
        np.savetxt(fh, np.column_stack([X, labels]), fmt=("%.5f", "%.5f", "%d"), delimiter=",")


def top_calls(profile: cProfile.Profile, limit: int = 12) -> str:
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(limit)
    return out.getvalue()


def run(
    rows: int, train_seconds: float, folder: str, profile: bool = False, watcher=None, batch_size: int = 32
) -> list[tuple]:
    from lab_app.window.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    csv_path = os.path.join(folder, "big.csv")
    t0 = time.perf_counter()
    write_csv(csv_path, rows)
    print(f"wrote {rows:,} rows to {csv_path} in {time.perf_counter() - t0:.1f} s", flush=True)
    settings = QSettings(os.path.join(folder, "bench.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.show()
    gc.freeze()  # as lab_app.app.run does once the window is up
    spin(1.0)  # the first layout and paints are not what we measure
    c, doc, files = window.controller, window.document, window.files
    beat = Heartbeat(watcher=watcher)
    beat.start()
    results = []

    def step(name: str, action, done, timeout: float = 240.0) -> None:
        beat.begin_step()
        if watcher is not None:
            watcher.step = name
        profiler = cProfile.Profile() if profile else None
        if profiler is not None:
            profiler.enable()
        started = time.perf_counter()
        QTimer.singleShot(0, action)  # from inside the event loop, as a click would run it
        wait_until(done, timeout, name)
        spin(SETTLE_SECONDS)
        seconds = time.perf_counter() - started
        if profiler is not None:
            profiler.disable()
            print(f"---- {name}: the GUI thread's most expensive calls\n{top_calls(profiler)}", flush=True)
        stalls = np.array(beat.stalls or [0.0])
        results.append((name, seconds, stalls.max(), np.percentile(stalls, 99), max(beat.rss_peak, rss_mb())))
        print(f"  {name}: {seconds:.1f} s, worst stall {stalls.max():.0f} ms", flush=True)

    def built(n: int):
        return lambda: not c.starting and c.run_info is not None and c.run_info.dataset.n_samples == n

    # 1. File ▸ Import CSV…: the dialog loads in the background; the user presses Import.
    def import_csv():
        files.show_import_dialog(csv_path)

    def imported():
        dialog = files.import_dialog
        if dialog is not None and dialog.dataset is not None:
            dialog.import_button.click()
        return doc.n_points == rows and built(rows)()

    step("import", import_csv, imported)

    # 2. One edit: a click on the canvas adds a point of the current class.
    designer = window.designer

    def click():
        x = sum(doc.xlim) / 2
        y = sum(doc.ylim) / 2
        viewport = designer.plot_widget.viewport()
        QTest.mouseClick(
            viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, designer.data_to_widget_pos(x, y)
        )

    step("edit (one click)", click, lambda: doc.n_points == rows + 1)

    # 3. Train an MLP (64, 64) for train_seconds, then pause.
    c.set_config(c.config.with_(model="mlp", hidden=(64, 64), epochs=0, tol=0.0, batch_size=batch_size))
    clock = {}

    def train():
        clock["start"] = time.perf_counter()
        window.act_train.trigger()

    def trained():
        if "start" not in clock:
            return False
        if c.state == "running" and time.perf_counter() - clock["start"] >= train_seconds:
            window.act_train.trigger()  # Pause
        return c.state == "paused"

    step(f"train MLP (64, 64) {train_seconds:.0f} s", train, trained, timeout=train_seconds + 240)

    # 4. Scrub: the history slider through every recorded epoch and back to live.
    slider = window.history_scrubber.slider
    scrub = {"i": 0}

    def start_scrub():
        scrub["i"] = 0

    def scrubbed():
        if scrub["i"] <= slider.maximum():
            slider.setValue(scrub["i"])
            scrub["i"] += max(1, slider.maximum() // 40)
            return False
        slider.setValue(slider.maximum())
        return True

    step(f"scrub ({slider.maximum() + 1} recorded of {c.latest.epoch} epochs)", start_scrub, scrubbed)

    # 5. Save the session; 6. open it again.
    session = os.path.join(folder, "big.logitlab.json")
    step("save session", lambda: files.save_to(session), lambda: not doc.modified)
    size = os.path.getsize(session) / 1e6
    before = c.run_info.run_id

    def reopened():
        return built(rows + 1)() and c.run_info.run_id != before and c.latest is not None

    step(f"reopen session ({size:.0f} MB)", lambda: files.open_session(session, ask=False), reopened)

    beat.timer.stop()
    c.shutdown()
    window.landscape_view.shutdown()
    window.close()
    app.processEvents()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--train-seconds", type=float, default=30.0)
    parser.add_argument("--profile", action="store_true", help="print each step's costliest GUI-thread calls")
    parser.add_argument(
        "--batch-size", type=int, default=32, help="the run's batch size (32, the default: one epoch takes > 30 s)"
    )
    parser.add_argument("--holds", action="store_true", help="print where threads were after long lock holds")
    args = parser.parse_args()
    limit_blas_threads(1)  # as the program's entry point does (lab_app.app.run)
    folder = tempfile.mkdtemp(prefix="logit-lab-big-bench-")
    os.environ.setdefault("LOGIT_LAB_RECOVERY_DIR", os.path.join(folder, "recovery"))  # not the user's
    started = time.perf_counter()
    watcher = LockWatcher() if args.holds else None
    if watcher is not None:
        watcher.start()
    results = run(args.rows, args.train_seconds, folder, args.profile, watcher, args.batch_size)
    if watcher is not None:
        watcher.stop()
        print()
        print(watcher.report())
    print()
    print(f"{args.rows:,} rows; heartbeat every {HEARTBEAT_MS} ms; total {time.perf_counter() - started:.0f} s")
    print()
    print("| step | seconds | worst stall ms | p99 stall ms | peak RSS MB |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, seconds, worst, p99, rss in results:
        print(f"| {name} | {seconds:.1f} | {worst:.0f} | {p99:.0f} | {rss:.0f} |")
    print()
    print(f"worst GUI stall: {max(r[2] for r in results):.0f} ms")


if __name__ == "__main__":
    main()
