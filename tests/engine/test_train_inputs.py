"""The trainer in bounded memory (engine.train_inputs): the numbers of the old all-copies path,
bit for bit, from a fraction of its arrays."""

import copy

import numpy as np
import pytest

from engine import train_inputs
from engine.data import Dataset
from engine.losses import sample_losses
from engine.network import Workspace, augment, targets
from engine.optimizers import make_optimizer
from engine.train_inputs import shuffled_order
from engine.training import TrainConfig, Trainer


def _data(n, k, seed=1, d=2):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    return Dataset(rng.normal(size=(n, d)) + y[:, None], y, tuple(range(k)))


# Computed on main before engine.train_inputs (float64: params and last training loss as float.hex).
GOLDEN = {
    (2, 0.0): (
        ["0x1.e9555e3fc7459p-1", "0x1.0246e5bd9b16ep+0", "0x1.0960bb531512ep-6"],
        "0x1.fbfbcf1f0fd8fp-2",
    ),
    (3, 0.25): (
        [
            "-0x1.13c25f9b0c691p-1",
            "-0x1.32d2d9f880666p-4",
            "0x1.eeaac188cb201p-1",
            "-0x1.daf8a14667e28p-2",
            "-0x1.4fbf3b1a7ac43p-1",
            "0x1.7592c8dc20437p-2",
            "0x1.aadea4c1f2b8ap-5",
            "0x1.c7d72cfed0741p-5",
            "-0x1.148ea31b73834p-3",
        ],
        "0x1.a5ce55716e500p-1",
    ),
}


@pytest.mark.parametrize(("k", "test_fraction"), list(GOLDEN))
def test_fixed_seed_fit_equals_the_values_before_the_change(k, test_fraction, monkeypatch):
    monkeypatch.setattr(train_inputs, "GATHER_ROWS", 100)  # many blocks, each 96 rows (6 batches)
    monkeypatch.setattr(train_inputs, "FEATURE_ROWS", 70)
    t = Trainer(
        _data(3000, k), TrainConfig(epochs=3, batch_size=16, seed=5, dtype="float64", test_fraction=test_fraction)
    )
    t.fit()
    params, loss = GOLDEN[(k, test_fraction)]
    assert [float(v).hex() for v in t.network.params] == params
    assert t.history[-1].train_loss.hex() == loss


class _OldPath:
    """The trainer's arithmetic as it was: whole augmented inputs and targets, shuffled copies of
    both every epoch, minibatches sliced from them. Starts from a trainer's initial state."""

    def __init__(self, trainer: Trainer):
        ds, net, cfg = trainer.dataset, trainer.network.copy(), trainer.config
        idx = trainer.train_idx
        self.net, self.rng = net, copy.deepcopy(trainer.rng)
        self.X = augment(trainer.model.features(ds.X[idx]), net.dtype)
        self.y = ds.y[idx]
        n = len(idx)
        self.batch = n if cfg.batch_size == 0 or cfg.batch_size > n else cfg.batch_size
        self.ws = Workspace(net, self.batch)
        self.S = self.ws.fit_targets(targets(self.y, ds.n_classes, net.dtype))
        self.opt = make_optimizer(cfg.optimizer, net.size, net.dtype, lr=cfg.lr, momentum=cfg.momentum)
        self.eval_ws = Workspace(net, min(max(n, 1), 8192))

    def epoch(self) -> float:
        order = self.rng.permutation(len(self.X))
        X, S, params = self.X[order], self.S[order], self.net.params
        grad = np.zeros_like(params)
        with np.errstate(all="ignore"):
            for start in range(0, len(X), self.batch):
                end = start + self.batch
                self.ws.batch_gradient(X[start:end], S[start:end], params, grad)
                self.opt.step(params, grad)
        total = 0.0
        for start in range(0, len(X), self.eval_ws.max_rows):
            z = self.eval_ws.forward(self.X[start : start + self.eval_ws.max_rows], params)
            total += float(sample_losses(z, self.y[start : start + self.eval_ws.max_rows]).sum())
        return total / len(X)


@pytest.mark.parametrize(
    ("k", "settings"),
    [
        (2, {"dtype": "float32"}),
        (2, {"dtype": "float64", "batch_size": 7}),
        (3, {"dtype": "float64", "test_fraction": 0.3}),
        (3, {"dtype": "float32", "hidden": (5,), "model": "mlp", "activation": "tanh"}),
        (2, {"dtype": "float64", "features": "poly2", "batch_size": 0}),
        (3, {"dtype": "float32", "standardize": False, "optimizer": "sgd", "lr": 0.1}),
    ],
)
def test_every_epoch_equals_the_old_all_copies_path_bit_for_bit(k, settings, monkeypatch):
    monkeypatch.setattr(train_inputs, "GATHER_ROWS", 50)
    monkeypatch.setattr(train_inputs, "FEATURE_ROWS", 33)
    trainer = Trainer(_data(1234, k, seed=k), TrainConfig(seed=9, **{"batch_size": 10, **settings}))
    old = _OldPath(trainer)
    for _ in range(3):
        old_loss = old.epoch()
        report = trainer.run_epoch()
        np.testing.assert_array_equal(trainer.network.params, old.net.params)
        assert report.train_loss == old_loss


def test_a_paused_epoch_resumes_inside_its_block(monkeypatch):
    monkeypatch.setattr(train_inputs, "GATHER_ROWS", 40)
    ds, config = _data(500, 3), TrainConfig(seed=2, batch_size=8, hidden=(4,), model="mlp")
    whole, paused = Trainer(ds, config), Trainer(ds, config)
    whole.run_epoch()
    for _ in range(13):  # 104 rows: mid-way through the third block of 40
        assert paused.run_minibatch() is None
    assert paused.run_epoch() is not None
    np.testing.assert_array_equal(paused.network.params, whole.network.params)


def test_shuffled_order_draws_what_permutation_draws():
    for n in (0, 1, 5, 1000, 70_001):
        a, b = np.random.default_rng(7), np.random.default_rng(7)
        order = shuffled_order(b, n)
        assert order.dtype == np.int32
        np.testing.assert_array_equal(order, a.permutation(n))
        assert a.random() == b.random()  # the generators are in step afterwards


def _owned_bytes(trainer: Trainer) -> int:
    """Bytes of every array the trainer reaches (each memory block once), except the dataset's."""

    def owner(a):
        while isinstance(a.base, np.ndarray):
            a = a.base
        return a

    seen, owners = set(), {}
    shared = {id(owner(trainer.dataset.X)), id(owner(trainer.dataset.y))}

    def visit(obj):
        if id(obj) in seen or obj is trainer.dataset:
            return
        seen.add(id(obj))
        if isinstance(obj, np.ndarray):
            obj = owner(obj)
            if id(obj) not in shared:
                owners[id(obj)] = obj.nbytes
        elif isinstance(obj, dict):
            for v in obj.values():
                visit(v)
        elif isinstance(obj, (list, tuple)):
            for v in obj:
                visit(v)
        elif hasattr(obj, "__dict__") or hasattr(obj, "__slots__"):
            for name in getattr(obj, "__slots__", ()):
                visit(getattr(obj, name, None))
            for v in getattr(obj, "__dict__", {}).values():
                visit(v)

    visit(trainer)
    return sum(owners.values())


@pytest.mark.parametrize(
    ("k", "settings", "copies"),
    [
        (2, {"dtype": "float64"}, 1.25),  # the float64 features (1×) and the epoch's int32 order (¼×)
        (3, {"dtype": "float64", "test_fraction": 0.2}, 1.75),  # + the split's int64 indices (½×)
        (3, {"dtype": "float32", "hidden": (16,), "model": "mlp"}, 0.75),
    ],
)
def test_the_trainer_keeps_about_one_copy_of_the_data(k, settings, copies, monkeypatch):
    """Before: the augmented inputs, their shuffled copy, targets, labels and indices, ~5 copies."""
    monkeypatch.setattr(train_inputs, "GATHER_ROWS", 256)
    ds = _data(400_000, k)
    trainer = Trainer(ds, TrainConfig(seed=1, batch_size=32, **settings))
    for _ in range(300):
        trainer.run_minibatch()  # mid-epoch: the order and a gathered block are held
    assert trainer.mid_epoch
    fixed = 4 << 20  # history, workspaces (≤ 8192 rows), gathered block: the same for any number of rows
    assert _owned_bytes(trainer) <= copies * ds.X.nbytes + fixed


def test_a_dataset_keeps_arrays_handed_over_read_only_and_copies_the_rest():
    X, y = np.arange(8.0).reshape(4, 2).copy(), np.array([0, 1, 0, 1])
    writable = Dataset(X, y, (0, 1))
    assert not np.shares_memory(writable.X, X) and not np.shares_memory(writable.y, y)
    X.setflags(write=False)
    y.setflags(write=False)
    handed = Dataset(X, y, (0, 1))
    assert np.shares_memory(handed.X, X) and np.shares_memory(handed.y, y)
    view = X[:2]  # read-only, but its base could still be written through another view
    assert not np.shares_memory(Dataset(view, y[:2], (0, 1)).X, X)


def test_dataset_sharing_keeps_read_only_views_and_copies_the_rest():
    """Dataset.sharing is for a caller whose views nobody writes again: those are kept as they are;
    writable arrays and views that need converting are still copied."""
    base = np.arange(12.0).reshape(4, 3)
    codes = np.array([0, 1, 0, 1])
    view, labels = base[:, :3].view(), codes.view()
    for a in (view, labels):
        a.setflags(write=False)
    shared = Dataset.sharing(view, labels, (0, 1))
    assert np.shares_memory(shared.X, base) and np.shares_memory(shared.y, codes)
    assert not np.shares_memory(Dataset(view, labels, (0, 1)).X, base)  # the plain constructor copies views
    strided = base[:, :2]  # not C-ordered: converted, so copied
    strided.setflags(write=False)
    assert not np.shares_memory(Dataset.sharing(strided, labels, (0, 1)).X, base)
    assert not np.shares_memory(Dataset.sharing(base, codes, (0, 1)).X, base)  # writable: copied
    assert not np.shares_memory(Dataset(view, labels, (0, 1)).y, codes)  # sharing ended with the call
