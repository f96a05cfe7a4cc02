"""Peak memory of ``logit-lab fit FILE.csv`` against the CSV's size (issue 9: ≤ ~3× the file).

Run by hand; prints a markdown table (rows, file MB, model, peak RSS MB, ratio, seconds):

    python benchmarks/cli_memory_bench.py                       # 1,000,000 and 12,000,000 rows
    python benchmarks/cli_memory_bench.py --rows 1000000 --models logistic
    BENCH_ROOT=/work/main python benchmarks/cli_memory_bench.py  # another checkout's code ("before")

Each file is ``x1,x2,label`` with 8-decimal floats (~25 bytes a row; 12 M rows ≈ 300 MB); labels
are 0/1 for logistic regression and 0/1/2 for softmax and the MLP. Files are made once in
``--dir`` (default: the system's temp folder) and reused. Every fit runs in its own child process
with default options except ``--epochs 1`` (memory peaks in the first epoch; later epochs reuse
the same buffers); peak RSS is that child's ``ru_maxrss`` from ``os.wait4``, nothing subtracted
(the interpreter and NumPy are in it), and ratio = peak RSS / file size.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.environ.get("BENCH_ROOT") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MB = 1024 * 1024
#: model → (number of classes in its file, extra ``fit`` options)
MODELS = {"logistic": (2, []), "softmax": (3, []), "mlp": (3, ["--model", "mlp"])}


def make_file(path: str, rows: int, classes: int, seed: int = 0) -> None:
    """``rows`` rows of two normal inputs and a label 0..classes-1 shifting their mean."""
    import numpy as np

    rng = np.random.default_rng(seed)
    tmp = path + ".part"
    with open(tmp, "w", newline="") as fh:
        fh.write("x1,x2,label\n")
        for start in range(0, rows, 500_000):
            k = min(500_000, rows - start)
            y = rng.integers(0, classes, k)
            X = rng.normal(size=(k, 2)) + y[:, None]
            fh.write("".join(f"{a:.8f},{b:.8f},{c}\n" for (a, b), c in zip(X.tolist(), y.tolist())))
    os.replace(tmp, path)


def data_file(folder: str, rows: int, classes: int) -> str:
    path = os.path.join(folder, f"cli_memory_{rows}_{classes}.csv")
    if not os.path.exists(path):
        make_file(path, rows, classes)
    return path


def run_fit(path: str, extra: list) -> tuple[float, float]:
    """(peak RSS MB, wall seconds) of one ``logit-lab fit`` child process."""
    cmd = [sys.executable, "-m", "lab_app", "fit", path, "--epochs", "1", "--json", *extra]
    start = time.perf_counter()
    child = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    err = child.stderr.read().decode()
    child.stderr.close()
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {child.returncode}: {err[-2000:]}")
    return usage.ru_maxrss / 1024, seconds  # Linux: kilobytes


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 12_000_000])
    p.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS))
    p.add_argument("--dir", default=tempfile.gettempdir(), help="where the CSV files are made and kept")
    args = p.parse_args(argv)
    print(f"code: {ROOT}\n")
    print("| rows | file MB | model | peak RSS MB | ratio | seconds |")
    print("| --- | --- | --- | --- | --- | --- |")
    for rows in args.rows:
        for model in args.models:
            classes, extra = MODELS[model]
            path = data_file(args.dir, rows, classes)
            size = os.path.getsize(path) / MB
            peak, seconds = run_fit(path, extra)
            print(f"| {rows:,} | {size:.0f} | {model} | {peak:.0f} | {peak / size:.2f}× | {seconds:.1f} |", flush=True)


if __name__ == "__main__":
    main()
