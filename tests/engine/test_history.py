"""engine.history: fixed memory, first/last rows kept, every dropped value bracketed by a kept min and max."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.epochs import EpochReport, report_history
from engine.history import History
from engine.serialize import history_from_dict, history_to_dict

COLUMNS = ("loss", "acc")
SMALL = {"head": 3, "recent": 2, "buckets": 4}


@st.composite
def runs(draw, max_rows=200):
    """Epochs strictly increasing (with gaps) and two columns with ties, spikes and missing values."""
    n = draw(st.integers(0, max_rows))
    steps = draw(st.lists(st.integers(1, 3), min_size=n, max_size=n))
    epochs = np.cumsum(steps, dtype=np.int64)
    values = st.one_of(st.sampled_from([0.0, 1.0, -1.0, np.nan]), st.floats(-1e6, 1e6))
    table = np.array(draw(st.lists(st.tuples(values, values), min_size=n, max_size=n)), dtype=np.float64)
    return epochs, table.reshape(n, 2)


def _one_by_one(epochs, table, **sizes):
    h = History(COLUMNS, **sizes)
    for e, row in zip(epochs.tolist(), table):
        h.add(e, row)
    return h


def _state(h: History):
    k = h._nb + (h._partial > 0)
    return (
        (h.n_rows, h.level, h._nh, h._nr, h._nb, h._partial),
        [a[:k] for a in h._b],
        h.arrays(),
    )


def _assert_same(a: History, b: History):
    (la, ba, ra), (lb, bb, rb) = _state(a), _state(b)
    assert la == lb
    for x, y in zip([*ba, *ra], [*bb, *rb]):
        np.testing.assert_array_equal(x, y)  # NaN equals NaN here


@settings(max_examples=60, deadline=None)
@given(runs(), st.sampled_from([SMALL, {"head": 0, "recent": 1, "buckets": 2}, {"head": 5, "recent": 7, "buckets": 6}]))
def test_adding_one_row_at_a_time_equals_decimating_the_whole_array(run, sizes):
    epochs, table = run
    _assert_same(_one_by_one(epochs, table, **sizes), History.from_arrays(COLUMNS, epochs, table, **sizes))
    blocks = History(COLUMNS, **sizes)  # and in blocks of any size
    for part in np.array_split(np.arange(len(epochs)), 5):
        blocks.add_arrays(epochs[part], table[part])
    _assert_same(blocks, History.from_arrays(COLUMNS, epochs, table, **sizes))


@settings(max_examples=60, deadline=None)
@given(runs())
def test_bounded_first_last_kept_and_every_value_bracketed(run):
    epochs, table = run
    h = History.from_arrays(COLUMNS, epochs, table, **SMALL)
    # bounded: head + at most 2·buckets bucket rows + fewer than 2·recent recent rows
    assert len(h) <= 3 + 2 * 4 + 2 * 2
    kept_epochs, _ = h.arrays()
    if len(epochs):
        assert kept_epochs[0] == epochs[0] and kept_epochs[-1] == epochs[-1]
    for c, name in enumerate(COLUMNS):
        x, y = h.series(name)
        assert np.all(np.diff(x) > 0)  # epoch positions strictly increase
        assert set(x.astype(np.int64)) <= set(epochs.tolist())  # at true epochs, with the true values
        truth = dict(zip(epochs.tolist(), table[:, c]))
        np.testing.assert_array_equal(y, [truth[int(e)] for e in x])
        # every dropped value lies between a kept min and max of the span that covers it
        for e, v in zip(epochs.tolist(), table[:, c]):
            if np.isnan(v):
                continue
            left = np.searchsorted(x, e, side="right") - 1
            right = np.searchsorted(x, e, side="left")
            span = y[max(left - 3, 0) : right + 4]  # a bucket's four points sit around the epoch
            assert np.nanmin(span) <= v <= np.nanmax(span)
        finite = table[:, c][~np.isnan(table[:, c])]
        if len(finite):  # the extremes of the whole run are drawn
            assert np.nanmin(y) == finite.min() and np.nanmax(y) == finite.max()


def test_memory_is_fixed_whatever_the_run_length():
    h = History(COLUMNS)
    size = h.nbytes
    rng = np.random.default_rng(0)
    for start in range(0, 200_000, 10_000):
        h.add_arrays(np.arange(start, start + 10_000) + 1, rng.normal(size=(10_000, 2)))
    assert h.nbytes == size < 200_000 and len(h) < 3 * 512 + 1024
    assert h.n_rows == 200_000 and h.last_epoch == 200_000


def test_a_spike_in_a_million_epochs_is_drawn_and_survives_a_session_round_trip():
    n = 1_000_000
    epochs = np.arange(1, n + 1)
    loss = 1.0 / np.sqrt(epochs)
    loss[699_999] = 50.0  # epoch 700,000
    table = np.zeros((n, len(report_history().columns)))
    table[:, 0] = loss
    h = History.from_arrays(report_history().columns, epochs, table)
    x, y = h.series("train_loss")
    assert 700_000 in x and y[x == 700_000][0] == 50.0
    saved = history_from_dict(history_to_dict(report_history(h)))
    _assert_same(saved, h)
    assert saved[-1] == EpochReport(n, loss[-1], 0.0, 0.0, 0.0, 0.0)


def test_reports_come_back_as_reports_and_older_full_histories_still_read():
    reports = [EpochReport(e, 1.0 / e, 0.5, 1.0 / e, None if e % 2 else 0.3, None, samples=7) for e in range(1, 40)]
    h = report_history(reports, head=4, recent=3, buckets=2)
    assert h[0] == reports[0] and h[-1] == reports[-1] and list(h)[-3:] == reports[-3:]
    old_file = {"epoch": [1, 2], "train_loss": [0.5, None], "val_loss": [None, 0.2]}  # columns missing
    old = history_from_dict(old_file)
    assert old[1].val_loss == 0.2 and old[0].val_loss is None and old[1].grad_norm == 0.0


@pytest.mark.parametrize(
    "bad",
    [
        {"epoch": [1, 2], "train_loss": ["x", 1.0]},
        {"epoch": [1, 2], "train_loss": [True, None]},
        {"epoch": [1], "extremes": {"n_rows": 9, "head": 1, "recent": 1, "buckets": 2, "lo": [], "hi": []}},
        {"epoch": [1], "extremes": {"n_rows": 1, "head": 10**9, "recent": 1, "buckets": 2}},
    ],
)
def test_damaged_histories_are_refused(bad):
    with pytest.raises((ValueError, TypeError)):
        history_from_dict(bad)
