"""File ▸ Export animation…: the run's recorded epochs as a GIF or a PNG sequence (issue 10).

Driven through the real window and the real dialog: the frames are checked by opening the files
with Pillow (frame count, pixel size), against File ▸ Export PNG of the same epoch (pixel for
pixel), and Cancel and an unwritable folder must leave no file behind.
"""

import numpy as np
import pytest
from PIL import Image, ImageSequence
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from lab_app.dialogs.file_dialogs import ExportChoice
from lab_app.io.animation_frames import choose_frames, sequence_paths

from window_helpers import emissions, read_only


@pytest.fixture
def out(tmp_path):
    """An empty folder for the exports (the window keeps its settings in ``tmp_path``)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.fixture
def trained(qtbot, make_window):
    """A window whose default example trained 16 epochs, one Step at a time (one recorded entry each)."""
    w = make_window(epochs=0, tol=0.0, lr=0.05)  # until stopped
    for _ in range(16):
        with qtbot.waitSignal(w.controller.progress, timeout=5000):
            w.act_step.trigger()
        qtbot.waitUntil(lambda: w.controller.state == "paused", timeout=3000)
    assert len(w.controller.recorded) == 17  # epoch 0 and every step
    return w


def open_dialog(window):
    window.act_export_animation.trigger()
    dialog = window.files.transfer.animation_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def export(qtbot, dialog, path, timeout=60000, **controls):
    """Fill the dialog's controls (``max_frames``, ``every``, ``width``, ``height``, ``fmt``,
    ``caption``, ``loss``), press Export and wait for the outcome's signal; returns its name."""
    if "max_frames" in controls:
        dialog.max_frames.setValue(controls["max_frames"])
    if "every" in controls:
        dialog.every.setValue(controls["every"])
    if "width" in controls:
        dialog.width_box.setValue(controls["width"])
        dialog.height_box.setValue(controls["height"])
    if "fmt" in controls:
        dialog.format_combo.setCurrentIndex(dialog.format_combo.findData(controls["fmt"]))
    if "caption" in controls:
        dialog.caption_box.setChecked(controls["caption"])
    if "loss" in controls:
        dialog.view_boxes["loss"].setChecked(controls["loss"])
    dialog.path_edit.setText(str(path))
    job = dialog.job
    seen = {name: emissions(getattr(job, name)) for name in ("finished", "failed", "cancelled")}
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(seen.values()), timeout=timeout)
    return next(name for name, got in seen.items() if got)


def frames_of(path):
    with Image.open(path) as gif:
        return gif.n_frames, gif.size, [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(gif)]


def test_gif_has_the_chosen_frames_at_the_chosen_size_and_they_change_as_the_model_learns(qtbot, trained, out):
    dialog = open_dialog(trained)
    target = out / "run.gif"
    assert export(qtbot, dialog, target, max_frames=8, width=300, height=240) == "finished"
    n, size, frames = frames_of(target)
    assert n == 8 and size == (300, 240)
    changed = [(a != b).any(axis=-1).mean() for a, b in zip(frames, frames[1:])]
    assert min(changed) > 0  # every frame differs from the one before (epoch caption at least)
    first, last = frames[0][40:, :].astype(int), frames[-1][40:, :].astype(int)  # below the caption
    assert (np.abs(first - last).sum(axis=-1) > 30).mean() > 0.02  # the boundary moved
    assert dialog.written == [str(target)] and "Wrote" in dialog.status.text()
    assert sorted(p.name for p in out.iterdir()) == ["run.gif"]


def test_png_sequence_first_frame_equals_a_static_export_of_the_first_recorded_epoch(qtbot, trained, out):
    w = trained
    w.history_scrubber.show_index(0)  # the first recorded epoch on show, as a user scrubs to it
    static = out / "static.png"
    w.files.dialogs.export, w.files.dialogs.paths = ExportChoice("boundary", 1.0), [str(static)]
    w.act_export_png.trigger()
    # The same picture again: an export draws the plot laid out, not as an earlier paint left it
    # (the colour bar's labels were cut off in the first export after a run started).
    QApplication.processEvents()
    again = out / "again.png"
    w.files.dialogs.export, w.files.dialogs.paths = ExportChoice("boundary", 1.0), [str(again)]
    w.act_export_png.trigger()
    assert static.read_bytes() == again.read_bytes()
    again.unlink()
    w.history_scrubber.go_live()
    dialog = open_dialog(w)
    first = out / "seq" / "frame.png"
    first.parent.mkdir()
    with Image.open(static) as picture:
        width, height = picture.size
    assert export(qtbot, dialog, first, fmt="png", caption=False, every=2, width=width, height=height) == "finished"
    expected = len(choose_frames(w.controller.recorded.epochs(), 0, 10**9, every=2, max_frames=100))
    files = sorted(first.parent.iterdir())
    assert files == sequence_paths(first, expected) and len(files) == expected >= 3
    with Image.open(static) as a, Image.open(files[0]) as b:
        assert a.size == b.size
        np.testing.assert_array_equal(np.asarray(a.convert("RGB")), np.asarray(b.convert("RGB")))
    with Image.open(files[0]) as a, Image.open(files[-1]) as b:
        assert (np.asarray(a.convert("RGB")) != np.asarray(b.convert("RGB"))).any()


def test_boundary_and_loss_side_by_side(qtbot, trained, out):
    dialog = open_dialog(trained)
    target = out / "both.gif"
    assert export(qtbot, dialog, target, max_frames=4, width=200, height=160, loss=True) == "finished"
    n, size, _ = frames_of(target)
    assert n == 4 and size == (400, 160)


def test_cancel_leaves_no_file(qtbot, trained, out):
    dialog = open_dialog(trained)
    dialog.max_frames.setValue(200)
    dialog.path_edit.setText(str(out / "big.gif"))
    for stop_at in (0, 45):  # while the arrays are computed, then while the frames are painted
        with qtbot.waitSignal(dialog.job.cancelled, timeout=60000):
            qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda at=stop_at: dialog.progress_bar.value() >= at, timeout=60000)
            qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        assert not dialog.busy and dialog.export_button.isEnabled()
        assert "nothing was written" in dialog.status.text()
        assert list(out.iterdir()) == []


def test_unwritable_folder_gives_a_clear_message(qtbot, trained, out):
    dialog = open_dialog(trained)
    folder = out / "locked"
    folder.mkdir()
    with read_only(folder):
        assert export(qtbot, dialog, folder / "run.gif", max_frames=3) == "failed"
    text = dialog.status.text()
    assert text.startswith("Cannot export: cannot write") and str(folder / "run.gif") in text
    assert "Traceback" not in text and "Error:" not in text
    assert list(folder.iterdir()) == []
    dialog.path_edit.setText(str(out / "missing" / "run.gif"))
    assert not dialog.export()
    assert "does not exist" in dialog.status.text()


def test_nothing_recorded_says_so(qtbot, make_window, out):
    w = make_window()
    w.act_new.trigger()
    dialog = open_dialog(w)
    dialog.path_edit.setText(str(out / "a.gif"))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert "press Train first" in dialog.status.text() and not dialog.busy
    assert list(out.iterdir()) == []


@pytest.mark.parametrize(
    ("first", "last", "every", "most", "expected"),
    [
        (0, 100, 1, 100, [0, 1, 2, 3, 4, 5]),  # every recorded epoch
        (10, 40, 1, 100, [1, 2, 3]),  # the range, both ends included
        (0, 100, 2, 100, [0, 2, 4]),  # every second
        (0, 100, 1, 3, [0, 2, 5]),  # thinned evenly, first and last kept
        (41, 49, 1, 100, []),  # nothing recorded there
    ],
)
def test_choose_frames(first, last, every, most, expected):
    epochs = np.array([0, 10, 20, 40, 80, 100])
    assert choose_frames(epochs, first, last, every, most).tolist() == expected


def test_cli_animate_writes_the_sessions_recorded_epochs(qtbot, trained, out, capsys):
    from lab_app.cli import main

    session = out / "run.logitlab.json"
    assert trained.files.save_to(session)
    target = out / "cli.gif"
    assert (
        main(["animate", str(session), str(target), "--frames", "5", "--size", "200x160", "--fps", "4", "--network"])
        == 0
    )
    assert capsys.readouterr().out.strip() == f"wrote {target}"
    n, size, _ = frames_of(target)
    assert n == 5 and size == (400, 160)  # the boundary and the network side by side
    with Image.open(target) as gif:
        assert gif.info["duration"] == 250


def test_cli_animate_of_a_session_without_recorded_epochs_exits_2(qtbot, make_window, out, capsys):
    from lab_app.cli import main

    w = make_window()
    w.act_clear.trigger()  # no points: no run, nothing recorded
    session = out / "empty.logitlab.json"
    assert w.files.save_to(session)
    assert main(["animate", str(session), str(out / "x.gif")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "no recorded epochs" in err and "\n" not in err
    assert main(["animate", str(session), str(out / "x.gif"), "--size", "big"]) == 2
    assert "WIDTHxHEIGHT" in capsys.readouterr().err
    broken = out / "broken.logitlab.json"
    broken.write_text("{not json", "utf-8")
    assert main(["animate", str(broken), str(out / "x.gif")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and str(broken) in err and "\n" not in err
    broken.unlink()
    assert sorted(p.name for p in out.iterdir()) == ["empty.logitlab.json"]


def test_too_many_large_frames_say_what_to_change(qtbot, trained, out):
    dialog = open_dialog(trained)
    dialog.width_box.setValue(4000)
    dialog.height_box.setValue(4000)
    dialog.path_edit.setText(str(out / "huge.gif"))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    text = dialog.status.text()
    assert "17 frames of 4000×4000 pixels need" in text and "choose at most 16 frames or a smaller size" in text
    assert not dialog.busy and list(out.iterdir()) == []


def test_network_view_frames_follow_the_recorded_weights(qtbot, make_window, out):
    w = make_window(epochs=0, tol=0.0, lr=0.05, model="mlp", hidden=(4,), activation="tanh")
    for _ in range(6):
        with qtbot.waitSignal(w.controller.progress, timeout=5000):
            w.act_step.trigger()
        qtbot.waitUntil(lambda: w.controller.state == "paused", timeout=3000)
    dialog = open_dialog(w)
    dialog.view_boxes["boundary"].setChecked(False)
    dialog.view_boxes["network"].setChecked(True)
    target = out / "network.gif"
    assert export(qtbot, dialog, target, width=320, height=240, caption=False) == "finished"
    n, size, frames = frames_of(target)
    assert n == len(w.controller.recorded) == 7 and size == (320, 240)
    assert (frames[0] != frames[-1]).any()  # the neurons' maps and the edges change as it learns


def test_a_png_sequence_that_cannot_be_written_whole_is_removed(out, monkeypatch):
    from lab_app.io import animation_frames
    from lab_app.io.export import ExportError

    real, calls = animation_frames.write_atomic, []

    def third_fails(path, data):
        calls.append(path)
        if len(calls) == 3:
            raise ExportError(28, "No space left on device", str(path))
        real(path, data)

    monkeypatch.setattr(animation_frames, "write_atomic", third_fails)
    frames = [np.full((8, 8, 3), k * 40, dtype=np.uint8) for k in range(5)]
    with pytest.raises(ExportError, match="No space left"):
        animation_frames.write_frames(
            "png", out / "f.png", frames, 10.0, progress=lambda v: None, cancelled=lambda: False
        )
    assert len(calls) == 3 and list(out.iterdir()) == []


def test_the_dialog_offers_the_epochs_recorded_while_it_is_open(qtbot, trained):
    w = trained
    dialog = open_dialog(w)
    assert dialog.last.value() == 16 and dialog.count_label.text() == "17 frames: epochs 0 … 16"
    for _ in range(3):
        with qtbot.waitSignal(w.controller.progress, timeout=5000):
            w.act_step.trigger()
        qtbot.waitUntil(lambda: w.controller.state == "paused", timeout=3000)
    qtbot.waitUntil(lambda: dialog.last.value() == 19, timeout=3000)
    assert dialog.count_label.text() == "20 frames: epochs 0 … 19"


def test_a_new_run_during_the_export_stops_it_with_a_message(qtbot, trained, out):
    w = trained
    dialog = open_dialog(w)
    dialog.path_edit.setText(str(out / "run.gif"))
    seen = emissions(dialog.job.failed)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.progress_bar.value() >= 42, timeout=60000)  # painting
    w.act_reset.trigger()  # new initial weights: another run
    qtbot.waitUntil(lambda: bool(seen), timeout=60000)
    assert "another run" in dialog.status.text() and not dialog.busy
    assert list(out.iterdir()) == []
