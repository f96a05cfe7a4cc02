"""Sessions keep the playground toggles (show test points, discretize) and refuse ones that are not booleans."""

import numpy as np
import pytest

from engine.data import Dataset
from engine.serialize import SessionError, session_from_dict, session_to_dict
from engine.training import TrainConfig


def _session(view):
    ds = Dataset(np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]]), np.array([0, 1, 0, 1]), [0, 1])
    return session_to_dict(ds, TrainConfig(), view=view)


def test_the_toggles_come_back_as_saved():
    loaded = session_from_dict(_session({"show_test_points": False, "discretize": True}))
    assert loaded["view"]["show_test_points"] is False and loaded["view"]["discretize"] is True


def test_older_sessions_have_no_toggles():
    assert "discretize" not in session_from_dict(_session({}))["view"]


@pytest.mark.parametrize("key", ["show_test_points", "discretize"])
@pytest.mark.parametrize("value", ["yes", 1, None, [True]])
def test_a_toggle_that_is_not_true_or_false_is_refused(key, value):
    with pytest.raises(SessionError, match=key):
        session_from_dict(_session({key: value}))
