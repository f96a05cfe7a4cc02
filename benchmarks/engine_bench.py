"""Engine speed: samples per second for one epoch of Adam, side by side with scikit-learn and PyTorch.

Run by hand from the repository root (not a test; prints a markdown table, ~2.5 minutes on 2 cores)::

    python benchmarks/engine_bench.py                  # the full table (n = 10,000 and 100,000)
    python benchmarks/engine_bench.py --quick          # a small subset, ~15 s
    python benchmarks/engine_bench.py --repeats 7
    python benchmarks/engine_bench.py --single-thread  # for a machine other processes share

Every row trains on the same standardized ``make_moons`` data (float32) with Adam (lr 0.001) and
times one epoch as the median of ``--repeats`` epochs after one warm-up epoch (n = 100,000 uses
about half as many). The engines' epochs are interleaved (ours, MLP, SGD, torch, ours, ...), so a
burst of load from another process hits all of them alike. The peers:

- ``MLPClassifier(solver="adam")``: one epoch = one ``partial_fit`` call (scikit-learn makes
  exactly one pass over the data per call); ``alpha=0``, as our default has no penalty;
- ``SGDClassifier(loss="log_loss")``: one ``partial_fit`` epoch (linear rows only; it updates per
  sample in compiled code, so the batch size does not apply);
- PyTorch on the CPU (when importable; never a project dependency): ``nn.Sequential`` +
  ``torch.optim.Adam`` + ``BCEWithLogitsLoss`` on batches sliced from a ``torch.randperm``
  shuffle, default thread count.

Our epoch is ``Trainer.run_epoch()``: shuffle, minibatches *and* the end-of-epoch evaluation
(loss and accuracy over the training set, weight norms), which is what a user gets; ``eval ms``
is that evaluation alone (``Trainer.current_metrics()``). The peers do no per-epoch evaluation.

Two bounds per row, to say how close we are to what NumPy allows:

- ``floor``: per-minibatch call overhead. The trainer's own loop with a batch of 1 row
  (``Trainer(batch_size=1).run_epoch()`` time / steps), times the row's number of minibatches;
- ``GEMM``: the row's matrix products alone (forward, weight gradients, back-propagated deltas,
  biases folded in) at the throughput ``np.dot`` reaches on those shapes when call overhead is
  amortised away: each product timed on 8,192 rows at once (cache-resident, like a minibatch's
  operands), times n / 8,192, i.e. the same FLOPs as the epoch's minibatch products.

``loop/bound`` is our epoch minus its evaluation, over max(floor, GEMM): 1.0 would be nothing but
the unavoidable NumPy calls or FLOPs.

``--single-thread`` limits BLAS (threadpoolctl) and torch to one thread and times with the CPU
clock of this thread (``time.thread_time``), which other processes on the machine do not inflate:
use it to compare engines on a busy machine. The default (wall clock, default threads) is what a
user sees on an idle one.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sklearn.datasets import make_moons
from sklearn.linear_model import SGDClassifier
from sklearn.neural_network import MLPClassifier

from engine.data import Dataset
from engine.training import TrainConfig, Trainer

try:  # optional peer; never a project dependency
    import torch
except ImportError:  # pragma: no cover - depends on the machine
    torch = None

HIDDEN = [(), (16,), (64, 64)]
BATCHES = [32, 256]
SIZES = [10_000, 100_000]
LR = 0.001
clock = time.perf_counter  # time.thread_time with --single-thread


def median_time(fn, repeats: int) -> float:
    """Median ``clock`` time of ``repeats`` calls after one untimed warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return statistics.median(times)


def time_interleaved(epochs: dict, repeats: int) -> dict:
    """{name: median seconds} of one-epoch callables: one warm-up call each, then ``repeats``
    rounds that call every engine once."""
    for fn in epochs.values():
        fn()
    times = {name: [] for name in epochs}
    for _ in range(repeats):
        for name, fn in epochs.items():
            t0 = clock()
            fn()
            times[name].append(clock() - t0)
    return {name: statistics.median(t) for name, t in times.items()}


def moons(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw X (n, 2) float64, standardized X float32 (what every engine trains on), y (n,) int."""
    X, y = make_moons(n_samples=n, noise=0.2, random_state=0)
    Z = ((X - X.mean(axis=0)) / X.std(axis=0)).astype(np.float32)
    return X, Z, y


# ---------------------------------------------------------------------------------------- ours
def ours(X, y, hidden, batch):
    """(one epoch, the end-of-epoch evaluation alone) of our trainer, as callables."""
    trainer = Trainer(Dataset.from_labels(X, y), TrainConfig(hidden=hidden, batch_size=batch, lr=LR, epochs=0, seed=0))
    return trainer.run_epoch, trainer.current_metrics


_floor_cache: dict = {}


def overhead_floor(hidden, steps: int = 4000, repeats: int = 3) -> float:
    """Seconds per minibatch of our trainer with a 1-row batch: pure call overhead."""
    if hidden not in _floor_cache:
        X, y = make_moons(n_samples=steps, noise=0.2, random_state=1)
        trainer = Trainer(Dataset.from_labels(X, y), TrainConfig(hidden=hidden, batch_size=1, lr=LR, epochs=0, seed=0))
        epoch = median_time(trainer.run_epoch, 1)  # warm-up + one epoch, for the eval's share
        evaluation = median_time(trainer.current_metrics, repeats)
        times = []
        for _ in range(repeats):
            t0 = clock()
            trainer.run_epoch()
            times.append(clock() - t0)
        epoch = min(times + [epoch])
        _floor_cache[hidden] = max(epoch - evaluation, 0.0) / steps
    return _floor_cache[hidden]


def gemm_limit(n: int, hidden, repeats: int = 7, chunk: int = 8192) -> tuple[float, float]:
    """(seconds, GFLOP) of one epoch's matrix products at the throughput np.dot reaches on them.

    Each product of a minibatch step (forward, weight gradient, delta to the layer below, biases
    folded in) is timed on ``chunk`` rows at once, so call overhead is negligible but the operands
    stay cache-resident like a minibatch's; the epoch's products are n / chunk times that.
    """
    rng = np.random.default_rng(0)
    rows = min(n, chunk)
    sizes = (2, *hidden, 1)
    f32 = np.float32
    products = []  # (A, B, out) per product of a step, with `rows` rows
    for layer in range(len(sizes) - 1):
        fan_in, fan_out = sizes[layer] + 1, sizes[layer + 1]
        A = rng.standard_normal((rows, fan_in), dtype=f32)
        M = rng.standard_normal((fan_in, fan_out), dtype=f32)
        D = rng.standard_normal((rows, fan_out), dtype=f32)
        products.append((A, M, np.empty((rows, fan_out), f32)))  # forward
        products.append((A.T, D, np.empty((fan_in, fan_out), f32)))  # weight gradient
        if layer:
            products.append((D, M[:-1].T, np.empty((rows, fan_in - 1), f32)))  # delta below
    flops = sum(2.0 * a.shape[0] * a.shape[1] * b.shape[1] for a, b, _ in products) * n / rows

    def run():
        for a, b, out in products:
            np.dot(a, b, out=out)

    return median_time(run, repeats) * n / rows, flops / 1e9


def peak_gflops(size: int = 1024, repeats: int = 5) -> float:
    a = np.random.default_rng(0).standard_normal((size, size), dtype=np.float32)
    out = np.empty_like(a)
    return 2.0 * size**3 / median_time(lambda: np.matmul(a, a, out=out), repeats) / 1e9


# ---------------------------------------------------------------------------------------- peers
def mlp_epoch(Z, y, hidden, batch):
    """MLPClassifier(solver="adam"): one ``partial_fit`` = one pass over the data."""
    clf = MLPClassifier(
        solver="adam",
        hidden_layer_sizes=hidden,
        batch_size=batch,
        alpha=0.0,
        learning_rate_init=LR,
        shuffle=True,
        random_state=0,
    )
    clf.partial_fit(Z, y, classes=np.array([0, 1]))  # builds the network
    return lambda: clf.partial_fit(Z, y)


def sgd_epoch(Z, y):
    """SGDClassifier(loss="log_loss"): one ``partial_fit`` = one per-sample pass."""
    clf = SGDClassifier(loss="log_loss", random_state=0)
    clf.partial_fit(Z, y, classes=np.array([0, 1]))
    return lambda: clf.partial_fit(Z, y)


def torch_epoch(Z, y, hidden, batch):
    """nn.Sequential + Adam + BCEWithLogitsLoss over batches of a torch.randperm shuffle."""
    torch.manual_seed(0)
    layers, fan_in = [], Z.shape[1]
    for h in hidden:
        layers += [torch.nn.Linear(fan_in, h), torch.nn.ReLU()]
        fan_in = h
    layers.append(torch.nn.Linear(fan_in, 1))
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=LR, eps=1e-7)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    Xt = torch.from_numpy(Z)
    yt = torch.from_numpy(y.astype(np.float32))[:, None]
    n = len(Z)

    def epoch():
        perm = torch.randperm(n)
        Xp, yp = Xt[perm], yt[perm]
        for start in range(0, n, batch):
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(Xp[start : start + batch]), yp[start : start + batch])
            loss.backward()
            opt.step()

    return epoch


# ---------------------------------------------------------------------------------------- table
def _rate(n, seconds):
    return f"{n / seconds / 1e3:,.0f}k" if seconds else "–"


def _ratio(ours_s, peer_s):
    return f"{peer_s / ours_s:.1f}×" if peer_s else "–"


def main(argv=None) -> int:
    global clock
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="n = 10,000 only, hidden () and (64, 64)")
    parser.add_argument(
        "--repeats", type=int, default=5, help="timed epochs per engine at n = 10,000 (n = 100,000 uses about half)"
    )
    parser.add_argument(
        "--single-thread", action="store_true", help="one BLAS / torch thread, CPU-clock timing (for a shared machine)"
    )
    parser.add_argument("--no-peers", action="store_true", help="time only our engine and the bounds")
    args = parser.parse_args(argv)
    sizes = SIZES[:1] if args.quick else SIZES
    hiddens = [(), (64, 64)] if args.quick else HIDDEN
    warnings.simplefilter("ignore")  # MLPClassifier's partial_fit convergence chatter
    if args.single_thread:
        from threadpoolctl import threadpool_limits  # ships with scikit-learn

        threadpool_limits(1)
        if torch is not None:
            torch.set_num_threads(1)
        clock = time.thread_time

    started = time.perf_counter()
    print(
        "load average before: %.2f %.2f %.2f" % os.getloadavg()
        + (" (single thread, CPU clock)" if args.single_thread else " (wall clock)")
    )
    print(
        f"numpy {np.__version__}, {os.cpu_count()} cores, float32 matmul "
        f"{peak_gflops():.0f} GFLOP/s at 1024²"
        + (f", torch {torch.__version__} ({torch.get_num_threads()} threads)" if torch else ", torch not importable")
    )
    print()
    header = [
        "n",
        "hidden",
        "batch",
        "ours samples/s",
        "epoch ms",
        "eval ms",
        "MLPClassifier",
        "ours ×",
        "SGDClassifier",
        "ours ×",
        "PyTorch",
        "ours ×",
        "floor ms",
        "GEMM ms",
        "loop/bound",
    ]
    gemm_rates = {}
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for n in sizes:
        X, Z, y = moons(n)
        repeats = args.repeats if n <= 10_000 else max(2, (args.repeats + 1) // 2)
        for hidden in hiddens:
            gemm, gflop = gemm_limit(n, hidden)
            gemm_rates[n, hidden] = gflop / gemm
            floor_step = overhead_floor(hidden)
            for batch in BATCHES:
                epoch, evaluation = ours(X, y, hidden, batch)
                engines = {"ours": epoch, "eval": evaluation}
                if not args.no_peers:
                    engines["mlp"] = mlp_epoch(Z, y, hidden, batch)
                    if not hidden:
                        engines["sgd"] = sgd_epoch(Z, y)
                    if torch is not None:
                        engines["torch"] = torch_epoch(Z, y, hidden, batch)
                timed = time_interleaved(engines, repeats)
                mine, ev = timed["ours"], timed["eval"]
                mlp, sgd, tch = (timed.get(k, 0.0) for k in ("mlp", "sgd", "torch"))
                floor = floor_step * math.ceil(n / batch)
                row = [
                    f"{n:,}",
                    str(hidden),
                    str(batch),
                    _rate(n, mine),
                    f"{mine * 1e3:.1f}",
                    f"{ev * 1e3:.1f}",
                    _rate(n, mlp),
                    _ratio(mine, mlp),
                    _rate(n, sgd),
                    _ratio(mine, sgd),
                    _rate(n, tch),
                    _ratio(mine, tch),
                    f"{floor * 1e3:.1f}",
                    f"{gemm * 1e3:.1f}",
                    f"{(mine - ev) / max(floor, gemm):.2f}",
                ]
                print("| " + " | ".join(row) + " |", flush=True)
    print()
    print("floor per minibatch (1-row batch, µs): " + ", ".join(f"{h}: {s * 1e6:.1f}" for h, s in _floor_cache.items()))
    print(
        "GEMM throughput on the step's shapes (GFLOP/s): "
        + ", ".join(f"n={n:,} {h}: {rate:.0f}" for (n, h), rate in gemm_rates.items())
    )
    print("load average after: %.2f %.2f %.2f" % os.getloadavg())
    print(f"total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
