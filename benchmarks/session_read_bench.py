"""How long reading a million-point session blocks other threads (run by hand; prints a table).

Writes a session of ``--points`` points (with ``engine.serialize``: a trained MLP, its history,
a test split of a fifth of the points), then loads it in a worker thread while the main thread
wakes every 1 ms, as the window's GUI thread would while File ▸ Open runs in the background. A
gap is the time between two wakes: how long the main thread could not run because the loader
held the interpreter (the GIL). Three workers, interleaved ``--repeats`` times:

- **before**: the whole file through one ``json.loads`` and ``session_from_dict`` on its lists;
- **after**: ``engine.serialize.load_session`` (the big arrays parsed in slices, ``engine.session_text``);
- **floor**: a pure-Python loop for 0.5 s, which the interpreter interrupts every
  switch interval (``sys.setswitchinterval``, 5 ms by default): the shortest gaps any worker thread allows.

    python benchmarks/session_read_bench.py [--points 1000000] [--repeats 3] [--switch-ms 5]

``--switch-ms 0.5`` makes the interpreter switch threads ten times as often as its default: the
gaps then show the longest single call that holds the GIL rather than the switch interval.

On a shared machine other processes lengthen the gaps (the main thread also waits for a core):
say so when quoting them.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # this tree's engine

import numpy as np

from engine.data import Dataset
from engine.json_checks import read_json
from engine.serialize import (
    SESSION_FORMAT,
    SESSION_VERSION,
    load_session,
    save_session,
    session_from_dict,
    session_to_dict,
)
from engine.training import TrainConfig, Trainer


def write_session(path: str, n: int) -> None:
    """A session as the window saves it after training: ``n`` points, a model and its history."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    small = Dataset(X[:2000], y[:2000], (0, 1), ("x1", "x2"))
    trainer = Trainer(small, TrainConfig(model="mlp", hidden=(64, 64), epochs=20, batch_size=64))
    trainer.fit()
    session = session_to_dict(
        Dataset(X, y, (0, 1), ("x1", "x2")),
        trainer.config,
        model=trainer.model,
        history=trainer.history,
        training={"epoch": 20, "test_idx": rng.choice(n, n // 5, replace=False)},
    )
    save_session(path, session)


def before(path: str) -> dict:
    """Today's reader before the change: one json.loads of the whole text, then the checks."""
    return session_from_dict(read_json(path, SESSION_FORMAT, SESSION_VERSION), path)


def floor(_path: str) -> None:
    """Pure Python for half a second: it gives the GIL away at every switch interval."""
    end = time.perf_counter() + 0.5
    while time.perf_counter() < end:
        pass


def gaps_while(load, path: str) -> tuple[float, list[float]]:
    """Seconds ``load(path)`` took in a worker thread, and the main thread's gaps (ms) meanwhile."""
    done = threading.Event()
    worker = threading.Thread(target=lambda: (load(path), done.set()))
    gaps: list[float] = []
    start = last = time.perf_counter()
    worker.start()
    while not done.is_set():
        time.sleep(0.001)
        now = time.perf_counter()
        gaps.append((now - last) * 1000)
        last = now
    seconds = time.perf_counter() - start
    worker.join()
    return seconds, gaps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--switch-ms", type=float, default=5.0, help="sys.setswitchinterval, in ms")
    args = parser.parse_args()
    sys.setswitchinterval(args.switch_ms / 1000)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "big.logitlab.json")
        write_session(path, args.points)
        megabytes = os.path.getsize(path) / 1e6
        results = {"before": [], "after": [], "floor": []}
        for _ in range(args.repeats):
            for name, load in (("before", before), ("after", load_session), ("floor", floor)):
                results[name].append(gaps_while(load, path))
    print(
        f"{args.points:,} points, {megabytes:.1f} MB, switch interval {args.switch_ms:g} ms, "
        f"{args.repeats} runs each (median; longest gap: worst)"
    )
    print()
    print("| worker | seconds | longest gap ms | p99 gap ms |")
    print("|---|---|---|---|")
    for name, runs in results.items():
        seconds = np.median([s for s, _ in runs])
        worst = max(max(g) for _, g in runs)
        p99 = np.median([np.percentile(g, 99) for _, g in runs])
        print(f"| {name} | {seconds:.2f} | {worst:.0f} | {p99:.1f} |")


if __name__ == "__main__":
    main()
