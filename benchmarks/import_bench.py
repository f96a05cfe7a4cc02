"""CSV import of a million rows: seconds, peak memory, and how responsive the window stays.

Run by hand from the repository root (prints a markdown table; ~1 minute)::

    python benchmarks/import_bench.py                 # 1,000,000 rows, 3 repeats
    python benchmarks/import_bench.py --rows 200000 --repeats 1
    python benchmarks/import_bench.py --mb 300 --repeats 1 --big   # a ~300 MB file: memory, bad cell, CLI
    BENCH_ROOT=/path/to/other/checkout python benchmarks/import_bench.py ...   # that checkout's code

The file has the shape users bring: ``x1,x2,label`` with full-precision floats (``repr``) and three
string classes, ~41 MB. Each scenario runs in a fresh Python process, so its peak memory (the
process's maximum resident set size, ``ru_maxrss``) is its own; the baseline (interpreter, NumPy,
Qt, the window) is reported beside it.

Scenarios:

- ``read_csv``: :func:`engine.csv_io.read_csv` alone, the engine's cost.
- ``dialog``: File ▸ Import as the user meets it: :class:`lab_app.dialogs.import_csv.ImportDialog` opens
  offscreen, previews the file and loads it in its background thread. Seconds run from opening the
  dialog to the loaded data; meanwhile a 5 ms ``QTimer`` in the GUI thread records its ticks, and the
  longest gap between ticks says how long the window could not react (the "GUI freeze").
- ``cancel``: the same load, stopped when it is 30 % done: seconds from the click to the dialog
  saying so (the load thread has ended by then).
- ``window`` (``--window``): the whole import into the lab window (dialog load, Import, the designer
  and the boundary showing a million points): seconds to the first idle event loop afterwards.

With ``--big`` (big files; ``--mb`` sets the size), each also as a ratio of peak memory to the file:

- ``bad cell (read_csv)`` / ``bad cell (dialog)``: the same file with one bad cell on its last line:
  seconds until ``read_csv`` raises, and until the dialog shows the problem.
- ``cli``: ``logit-lab fit FILE --epochs 1 --batch-size 0`` in its own process; peak memory from
  ``resource.getrusage(RUSAGE_CHILDREN)``.
- ``cancel (quoted)``: the file with every label in quote marks, stopped at 5 %: a reader that
  parses such a file in one piece cannot stop before it is done.

Targets (the files issue): < 3 s and < 500 MB for a million rows, the window responsive.

Results here (2-core AMD EPYC shared with other test runs, load average 3.9; 1,000,000 rows,
48.6 MB; 5 runs each)::

    | scenario | seconds (median) | min–max   | CPU s | peak MB | baseline MB | GUI gap p99 / max ms |
    | read_csv | 1.47             | 1.10–1.75 | 1.13  | 200     | 72          | —                    |
    | dialog   | 1.56             | 1.49–1.71 | 1.14  | 257     | 79          | 44 / 80              |
    | cancel   | 0.03             | 0.02–0.05 | —     | 226     | 79          | 30 / 56              |

On an idle moment ``read_csv`` took 1.06 s. The longest single interpreter hold of the loader
is ~30 ms (a 1 MB chunk); the larger gaps above are the OS scheduling three busy processes on two
cores. ``--window`` (3 runs): load 1.9 s, but Import and the first draw of a million points take
~39 s and 1.3 GB in the views (pyqtgraph ScatterPlotItem fed per-point brush/pen lists several
times), which is the views' cost, not the import's.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

# BENCH_ROOT measures another checkout's code (e.g. main, for a before/after table).
ROOT = os.environ.get("BENCH_ROOT") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def make_file(path: str, rows: int, seed: int = 0) -> None:
    import numpy as np

    rng = np.random.default_rng(seed)
    with open(path, "w", newline="") as fh:
        fh.write("x1,x2,label\n")
        for start in range(0, rows, 100_000):
            k = min(100_000, rows - start)
            X = rng.normal(size=(k, 2))
            labels = rng.choice(["setosa", "versicolor", "virginica"], k)
            fh.write("".join(f"{a!r},{b!r},{c}\n" for (a, b), c in zip(X.tolist(), labels)))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def make_bad_copy(path: str, bad: str) -> None:
    """``path`` with its last line's first cell replaced by a word: one bad cell, at the very end."""
    with open(path, "rb") as src, open(bad, "wb") as dst:
        shutil.copyfileobj(src, dst)
        size = dst.tell()
        src.seek(max(0, size - 4096))
        tail = src.read()
        last = tail.rstrip(b"\n").rfind(b"\n") + 1
        start = size - len(tail) + last
        dst.seek(start)
        dst.write(b"oops" + tail[last:][tail[last:].index(b",") :])
        dst.truncate()


# ------------------------------------------------------------------ scenarios (each in a child process)
def run_read_csv(path: str) -> dict:
    from engine.csv_io import read_csv

    base = peak_mb()
    cpu, start = time.process_time(), time.perf_counter()
    ds = read_csv(path)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "cpu_seconds": time.process_time() - cpu,
        "peak_mb": peak_mb(),
        "base_mb": base,
        "rows": ds.n_samples,
    }


def make_quoted_copy(path: str, quoted: str) -> None:
    """``path`` with every label in quote marks (valid CSV that a plain split cannot read)."""
    with open(path) as src, open(quoted, "w", newline="") as dst:
        dst.write(next(src))
        for line in src:
            head, _, label = line.rstrip("\n").rpartition(",")
            dst.write(f'{head},"{label}"\n')


def run_read_csv_bad(path: str) -> dict:
    from engine.csv_io import read_csv
    from engine.data import DataError

    base = peak_mb()
    cpu, start = time.process_time(), time.perf_counter()
    try:
        read_csv(path)
        line = None
    except DataError as exc:
        line = exc.line
    return {
        "seconds": time.perf_counter() - start,
        "cpu_seconds": time.process_time() - cpu,
        "peak_mb": peak_mb(),
        "base_mb": base,
        "rows": 0,
        "line": line,
    }


def run_cli(path: str) -> dict:
    base = peak_mb()
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "lab_app", "fit", path, "--epochs", "1", "--batch-size", "0", "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    rows = json.loads(done.stdout)["n_train"] + json.loads(done.stdout)["n_test"]
    return {"seconds": time.perf_counter() - start, "peak_mb": child_mb, "base_mb": base, "rows": rows}


def _app():
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication([])


class _Ticker:
    """A 5 ms timer in the GUI thread; the longest gap between its ticks is the worst freeze."""

    def __init__(self):
        from PySide6.QtCore import QElapsedTimer, QTimer

        self.clock = QElapsedTimer()
        self.ticks = []
        self.timer = QTimer(interval=5)
        self.timer.timeout.connect(self._tick)

    def _tick(self):
        self.ticks.append(self.clock.elapsed())

    def start(self):
        self.clock.start()
        self.timer.start()

    def stop(self) -> dict:
        self.timer.stop()
        gaps = [b - a for a, b in zip(self.ticks, self.ticks[1:])] or [0]
        return {"max_gap_ms": max(gaps), "p99_gap_ms": sorted(gaps)[int(0.99 * (len(gaps) - 1))]}


def _wait(app, condition, timeout=120.0):
    """Run the event loop (as app.exec() would: idle in Qt, not polling) until ``condition()``."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    check = QTimer(interval=10)
    check.timeout.connect(lambda: condition() and loop.quit())
    check.start()
    QTimer.singleShot(int(timeout * 1000), loop.quit)
    if not condition():
        loop.exec()
    check.stop()
    if not condition():
        raise TimeoutError


def run_dialog(path: str, cancel_at: float | None = None) -> dict:
    app = _app()
    from lab_app.dialogs.import_csv import ImportDialog

    small = os.path.join(os.path.dirname(path), "warm.csv")
    with open(small, "w") as fh:
        fh.write("x1,x2,label\n1,2,a\n3,4,b\n")
    warm = ImportDialog(small)  # build the widgets and load once, so the measurement is the load
    _wait(app, lambda: warm.dataset is not None)
    warm.done(0)
    warm.deleteLater()
    app.processEvents()
    base = peak_mb()
    ready = []
    ticker = _Ticker()
    cpu, start = time.process_time(), time.perf_counter()
    dialog = ImportDialog(path)
    dialog.ready.connect(lambda: ready.append(time.perf_counter()))
    clicked = []
    if cancel_at is not None:

        def maybe_cancel(percent):
            if percent >= cancel_at * 100 and not clicked:
                clicked.append(time.perf_counter())
                dialog.cancel_load_button.click()

        dialog.loader.progress.connect(maybe_cancel)
    dialog.show()
    ticker.start()
    _wait(app, lambda: ready, timeout=900)  # a slow reader's bad cell: minutes
    out = ticker.stop()
    from lab_app.tasks import active_tasks

    _wait(app, lambda: not active_tasks())  # the load has ended
    threads_done = True
    out.update(
        seconds=ready[0] - start,
        cpu_seconds=time.process_time() - cpu,
        peak_mb=peak_mb(),
        base_mb=base,
        rows=dialog.dataset.n_samples if dialog.dataset is not None else 0,
        threads_done=threads_done,
    )
    if cancel_at is not None:
        out["cancel_seconds"] = ready[0] - clicked[0]
    dialog.done(0)
    return out


def run_window(path: str) -> dict:
    app = _app()
    from PySide6.QtCore import QSettings

    from lab_app.window.main_window import MainWindow

    settings = QSettings(os.path.join(tempfile.mkdtemp(), "bench.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.resize(1200, 800)
    window.show()
    app.processEvents()
    base = peak_mb()
    ticker = _Ticker()
    start = time.perf_counter()
    ticker.start()
    window.files.show_import_dialog(path)
    dialog = window.files.import_dialog
    _wait(app, lambda: dialog.dataset is not None)
    loaded = time.perf_counter()
    dialog.import_button.click()
    _wait(app, lambda: window.document.n_points > 1000)
    app.processEvents()
    done = time.perf_counter()
    out = ticker.stop()
    out.update(
        seconds=done - start,
        load_seconds=loaded - start,
        show_seconds=done - loaded,
        peak_mb=peak_mb(),
        base_mb=base,
        rows=window.document.n_points,
    )
    window.files.dialogs.ask = lambda *a, **k: "discard"
    window.close()
    return out


SCENARIOS = {
    "read_csv": run_read_csv,
    "dialog": run_dialog,
    "cancel": lambda path: run_dialog(path, cancel_at=0.3),
    "window": run_window,
    "bad cell (read_csv)": run_read_csv_bad,
    "bad cell (dialog)": run_dialog,
    "cli": run_cli,
    "cancel (quoted)": lambda path: run_dialog(path, cancel_at=0.05),
}
BAD = ("bad cell (read_csv)", "bad cell (dialog)")  # these read the copy with a bad last line


# ------------------------------------------------------------------ driver
def child(scenario: str, path: str) -> dict:
    done = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--child", scenario, path],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=1200,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    if done.returncode != 0:
        raise RuntimeError(f"{scenario} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    from engine.runtime import limit_blas_threads

    limit_blas_threads(1)  # as the program's entry point does (lab_app.app.run)
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--mb", type=float, help="make a file of about this many MB instead of --rows rows")
    p.add_argument("--big", action="store_true", help="also a bad cell on the last line, and the CLI")
    p.add_argument("--only", help="run only these scenarios (names separated by commas)")
    p.add_argument("--window", action="store_true", help="also import into the lab window")
    p.add_argument("--child", nargs=2, metavar=("SCENARIO", "PATH"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(SCENARIOS[args.child[0]](args.child[1])))
        return 0
    folder = tempfile.mkdtemp(prefix="import-bench-")
    path = os.path.join(folder, "big.csv")
    made = time.perf_counter()
    rows = int(args.mb * 1e6 / 48.6) if args.mb else args.rows  # ~48.6 bytes a row
    make_file(path, rows)
    bad = os.path.join(folder, "bad.csv")
    quoted = os.path.join(folder, "quoted.csv")
    if args.big:
        make_bad_copy(path, bad)
        make_quoted_copy(path, quoted)
    size_mb = os.path.getsize(path) / 1e6
    print(
        f"{rows:,} rows, {size_mb:.1f} MB ({time.perf_counter() - made:.1f} s to write); "
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}; code from {ROOT}\n"
    )
    scenarios = ["read_csv", "dialog", "cancel"] + (["window"] if args.window else [])
    scenarios += [*BAD, "cli", "cancel (quoted)"] if args.big else []
    if args.only:
        scenarios = [name for name in scenarios if name in args.only.split(",")]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n")
    print(
        "| scenario | seconds (median) | min–max | CPU s (median) | peak MB | baseline MB | peak / file "
        "| GUI gap p99 / max ms | rows |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name in scenarios:
        source = bad if name in BAD else quoted if name == "cancel (quoted)" else path
        runs = [child(name, source) for _ in range(args.repeats)]
        key = "cancel_seconds" if name.startswith("cancel") else "seconds"
        secs = [r[key] for r in runs]
        gap = (
            f"{max(r['p99_gap_ms'] for r in runs)} / {max(r['max_gap_ms'] for r in runs)}"
            if "p99_gap_ms" in runs[0]
            else "—"
        )
        cpu = [r["cpu_seconds"] for r in runs if "cpu_seconds" in r and not name.startswith("cancel")]
        cpu = f"{statistics.median(cpu):.2f}" if cpu else "—"
        print(
            f"| {name} | {statistics.median(secs):.2f} | {min(secs):.2f}–{max(secs):.2f} | {cpu} | "
            f"{max(r['peak_mb'] for r in runs):.0f} | {statistics.median(r['base_mb'] for r in runs):.0f} | "
            f"{max(r['peak_mb'] for r in runs) / size_mb:.1f}× | {gap} | {runs[0]['rows']:,} |"
        )
        if name == "window":
            r = runs[0]
            print(
                f"|  ↳ window: load {r['load_seconds']:.2f} s, then Import and first draw "
                f"{r['show_seconds']:.2f} s | | | | | | | | |"
            )
    shutil.rmtree(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
