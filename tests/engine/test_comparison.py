"""Comparing runs: the label of what differs, the one-line summary, and a pinned run's saved form."""

import json
from dataclasses import fields

import numpy as np
import pytest

from engine.comparison import (
    _NAMES,
    MAX_PINNED,
    PINNED_COLUMNS,
    config_difference,
    config_summary,
    pinned_from_dict,
    pinned_to_dict,
)
from engine.data import Dataset
from engine.json_checks import Invalid
from engine.serialize import SessionError, session_from_dict, session_json_chunks, session_to_dict
from engine.training import TrainConfig, Trainer

BASE = TrainConfig(model="logistic", lr=0.03, batch_size=32, epochs=20, seed=0)


def test_every_setting_has_a_short_name():
    assert set(_NAMES) == {f.name for f in fields(TrainConfig)}


def test_the_difference_names_the_first_configs_values_in_a_fixed_order():
    assert config_difference(BASE.with_(lr=0.1), BASE) == "lr 0.1"
    assert config_difference(BASE.with_(batch_size=8, lr=0.1), BASE) == "lr 0.1 · batch 8"
    assert config_difference(BASE.with_(batch_size=0), BASE) == "batch full"
    assert config_difference(BASE, BASE.with_(lr=0.1)) == "lr 0.03"  # a's value, not b's
    assert config_difference(BASE.with_(model="mlp", hidden=(8, 4)), BASE) == "model mlp · hidden 8×4"
    assert config_difference(BASE.with_(optimizer="sgd", l2=0.001), BASE) == "sgd · L2 0.001"
    assert config_difference(BASE.with_(standardize=False), BASE) == "standardize off"
    assert config_difference(BASE.with_(features=("x1", "x2", "x1^2")), BASE) == "features x1+x2+x1^2"
    assert config_difference(BASE, BASE) == "same settings"
    assert config_difference(BASE, None) == config_summary(BASE)


def test_the_summary_reads_as_one_line():
    assert config_summary(BASE) == "logistic · adam lr 0.03 · batch 32 · 20 epochs"
    mlp = BASE.with_(model="mlp", hidden=(8,), batch_size=0, epochs=0, l2=0.01, features="poly2")
    assert config_summary(mlp) == "mlp hidden 8 · adam lr 0.03 · batch full · until stopped · L2 0.01 · features poly2"


def _pinned_entry():
    X = np.array([[0.0, 0.1], [1.0, 0.9], [0.2, 1.1], [1.3, -0.2], [0.5, 0.4], [0.9, 0.2]])
    trainer = Trainer(Dataset.from_labels(X, np.array([0, 1, 1, 0, 0, 1])), BASE.with_(epochs=4))
    history = trainer.fit().history
    curves = {
        k: np.array([np.nan if getattr(r, k) is None else getattr(r, k) for r in history]) for k in PINNED_COLUMNS
    }
    return trainer, curves, pinned_to_dict(BASE.with_(epochs=4), trainer.model, curves)


def _read_config(data):
    return TrainConfig.from_dict(data)


def test_a_pinned_run_round_trips_through_json_bit_for_bit():
    trainer, curves, entry = _pinned_entry()
    back = pinned_from_dict(json.loads(json.dumps(entry, allow_nan=False)), _read_config)
    assert back["config"] == BASE.with_(epochs=4)
    assert back["model"].network.params.tobytes() == trainer.network.params.tobytes()
    for k in PINNED_COLUMNS:
        np.testing.assert_array_equal(back["curves"][k], curves[k])  # NaN (no test split) stays NaN
    assert np.isnan(back["curves"]["val_loss"]).all()


@pytest.mark.parametrize(
    "damage",
    [
        lambda e: e.pop("curves"),
        lambda e: e["curves"].update(epoch=[1, 1, 2, 3]),
        lambda e: e["curves"].update(train_loss=[0.1]),
        lambda e: e["curves"].update(val_loss=["x"] * 4),
        lambda e: e["curves"].update(epoch=[0.5, 1, 2, 3]),
        lambda e: e["model"]["network"].update(params=[1.0]),
    ],
)
def test_a_damaged_pinned_run_is_refused_by_name(damage):
    _, _, entry = _pinned_entry()
    damage(entry)
    with pytest.raises(Invalid):
        pinned_from_dict(entry, _read_config)


def test_sessions_keep_pinned_runs_and_older_sessions_have_none():
    trainer, curves, entry = _pinned_entry()
    ds = trainer.dataset
    plain = json.loads("".join(session_json_chunks(session_to_dict(ds, BASE))))
    assert "pinned" not in plain and session_from_dict(plain)["pinned"] == []  # as before pinning existed
    doc = json.loads("".join(session_json_chunks(session_to_dict(ds, BASE, pinned=[entry, entry]))))
    loaded = session_from_dict(doc)["pinned"]
    assert len(loaded) == 2 and loaded[1]["model"].network.params.tobytes() == trainer.network.params.tobytes()
    doc["pinned"] = [entry] * (MAX_PINNED + 1)
    with pytest.raises(SessionError, match="pinned"):
        session_from_dict(doc)
    doc["pinned"] = [{"config": {"lr": -1}, "model": entry["model"], "curves": entry["curves"]}]
    with pytest.raises(SessionError, match="learning rate"):
        session_from_dict(doc)
