"""Files and values from outside that the lab cannot take are refused at once, with a message. A
named pipe (or a device, or a folder) offered as a data or session file is refused
with a message that says what it is, from every way in: the CLI, File ▸ Open, File ▸ Import CSV,
a drop, the engine's readers. Reading it would block until another program writes to it."""

import os

import pytest

from engine.csv_io import find_problems, preview_csv, read_csv
from engine.data import DataError
from engine.serialize import SessionError, load_session
from lab_app.cli import main

from window_helpers import wait_run


@pytest.fixture
def fifo(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this platform")
    path = tmp_path / "data.csv"
    os.mkfifo(path)
    return path


def test_the_engine_readers_refuse_a_pipe(fifo):
    for read in (read_csv, preview_csv):
        with pytest.raises(DataError, match="named pipe"):
            read(fifo)
    with pytest.raises(SessionError, match="named pipe"):
        load_session(fifo)
    assert find_problems(fifo, ["x1"], "label") == []
    with pytest.raises(DataError, match="a folder"):
        read_csv(fifo.parent)


def test_the_cli_exits_2_with_one_line(fifo, capsys):
    assert main(["fit", str(fifo)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "named pipe" in err and err.count("\n") == 1


@pytest.mark.parametrize("way", ["open", "import", "drop"])
def test_the_window_refuses_a_pipe_from_every_menu(make_window, fifo, way):
    w = make_window()
    before = w.document.xy.copy()
    files = w.files
    if way == "open":
        files.dialogs.paths = [str(fifo)]
        w.act_open.trigger()
    elif way == "import":
        files.dialogs.paths = [str(fifo)]
        w.act_import.trigger()
    else:
        assert not files.open_path(fifo)  # what a drop and a recent-file entry call
    assert len(files.dialogs.errors) == 1 and "named pipe" in files.dialogs.errors[0]
    assert (w.document.xy == before).all() and files.import_dialog is None


def test_values_beyond_float32_get_a_message_and_the_boundary_still_draws(qtbot, make_window):
    import numpy as np

    from engine.data import Dataset

    w = make_window(epochs=3, standardize=False)
    X = np.array([[1e39, 0.0], [2e39, 1.0], [3e39, 0.0], [4e39, 1.0]])
    assert w.dataset_menu.load_generated(Dataset.from_labels(X, [0, 1, 0, 1]))
    wait_run(qtbot, w)
    title, text = w.last_message
    assert "x1" in text and "float32" in text and "standardization" in text
    w.trainer_panel.standardize_box.setChecked(True)  # the cure the message names
    w.act_reset.trigger()
    wait_run(qtbot, w)
    assert w.controller.run_info is not None and w.boundary_view.last_image is not None
    with qtbot.waitSignal(w.controller.finished, timeout=10000):
        w.act_train.trigger()
    assert np.isfinite(w.controller.latest.params).all()


def test_points_far_beyond_the_model_do_not_break_the_views(qtbot, window):
    import numpy as np

    window.document.add_points([[1e300, -1e300]])  # the old run's model sees them at once (x² overflows)
    qtbot.waitUntil(lambda: window.boundary_view.last_image is not None)
    assert window.document.n_points == 121 and np.isfinite(window.boundary_view.last_image).all()
