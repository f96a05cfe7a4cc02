"""A session that loads always opens in the window or is refused with a message, data unchanged."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import assume, event, given
from hypothesis import strategies as st

from engine.serialize import SessionError, session_from_dict

from session_cases import fuzz, mutated


@pytest.mark.slow  # end to end: a real process, or many windows
@fuzz(40)
@given(docs=st.lists(mutated(), min_size=1, max_size=1))
def test_the_window_opens_or_refuses_every_loadable_session(make_window, tmp_path_factory, docs):
    doc = docs[0]
    try:
        session_from_dict(doc)
    except SessionError:
        assume(False)
    w = _shared_window(make_window)
    w.files.dialogs.answers = ["discard"] * 3
    w.files.dialogs.messages.clear()
    before = (w.document.xy.copy(), w.document.labels.copy(), w.document.classes)
    path = tmp_path_factory.mktemp("gui") / "s.logitlab.json"
    path.write_text(json.dumps(doc))
    opened = w.files.open_path(path)
    event("opened" if opened else "refused")
    if opened:
        assert not w.files.dialogs.errors and not w.isWindowModified()
        assert w.document.n_points == len(doc["data"]["labels"])
    else:
        assert len(w.files.dialogs.errors) == 1
        assert np.array_equal(w.document.xy, before[0]) and w.document.classes == before[2]


_WINDOWS = {}


def _shared_window(make_window):
    """One window per test function (hypothesis calls the body many times with one fixture)."""
    key = id(make_window)
    if key not in _WINDOWS:
        _WINDOWS.clear()
        _WINDOWS[key] = make_window(epochs=3)
    return _WINDOWS[key]
