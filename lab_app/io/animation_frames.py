"""The widget-free half of an animated export: which recorded epochs, their arrays, the files.

An animation is drawn from the run's recorded weights (``ParamHistory``), never from the screen.
:func:`choose_frames` picks entries; :func:`frame_arrays` (a :class:`lab_app.tasks.TaskRunner`
task) evaluates each one's boundary grid, point probabilities and neuron activations off the GUI
thread, as the training thread's probes would, so the GUI thread only paints; :func:`write_frames` (a task too)
encodes the painted frames with Pillow and writes them atomically: a GIF, or a numbered PNG
sequence that appears whole or not at all.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from engine.model import GridEvaluator, PointEvaluator
from lab_app.io.export import write_atomic
from lab_app.tasks import TaskCancelled
from lab_app.training.probes import (
    GRID_PROBE,
    NETWORK_PROBE,
    POINTS_PROBE,
    GridProbabilities,
    PointPredictions,
    network_activations,
)

__all__ = [
    "FORMATS",
    "MAX_FRAMES",
    "MAX_PAINTED_BYTES",
    "FrameArrays",
    "check_budget",
    "choose_frames",
    "frame_arrays",
    "sequence_paths",
    "write_frames",
]

#: At most this many frames in one animation (a 200×200 grid per frame stays in memory until painted).
MAX_FRAMES = 500
#: At most this many bytes of painted frames (RGB) wait for the encoder at once.
MAX_PAINTED_BYTES = 768 * 2**20
#: Output formats: key → what the dialog calls it.
FORMATS = {"gif": "Animated GIF", "png": "PNG sequence"}


@dataclass(frozen=True, eq=False)
class FrameArrays:
    """One frame's weights and their precomputed arrays, in the shape of a training snapshot
    (``run_id``, ``epoch``, ``params``, ``extras``), so the boundary view draws it as one."""

    run_id: int
    epoch: int
    params: np.ndarray
    extras: dict = field(default_factory=dict)
    live: bool = False  # a recorded epoch, as the Network view's frames say


def choose_frames(epochs, first: int, last: int, every: int = 1, max_frames: int = MAX_FRAMES) -> np.ndarray:
    """Indices into the recorded ``epochs`` (k,): those in ``first..last``, every ``every``-th of
    them, evenly thinned to at most ``max_frames`` (the first and last chosen ones always kept)."""
    epochs = np.asarray(epochs)
    idx = np.flatnonzero((epochs >= first) & (epochs <= last))[:: max(1, int(every))]
    limit = max(1, min(int(max_frames), MAX_FRAMES))
    if len(idx) > limit:
        idx = idx[np.unique(np.linspace(0, len(idx) - 1, limit).round().astype(int))]
    return idx


def check_budget(n_frames: int, width: int, height: int) -> None:
    """ValueError, saying what to change, if ``n_frames`` RGB frames of ``width`` × ``height`` would
    not fit :data:`MAX_PAINTED_BYTES`."""
    need = n_frames * width * height * 3
    if need > MAX_PAINTED_BYTES:
        most = max(1, MAX_PAINTED_BYTES // (width * height * 3))
        raise ValueError(
            f"{n_frames} frames of {width}×{height} pixels need {need / 2**20:.0f} MB; "
            f"choose at most {most} frames or a smaller size"
        )


def frame_arrays(run_info, entries, grid_spec, network_spec=None, *, progress, cancelled) -> list[FrameArrays]:
    """The boundary grid and point probabilities of each ``(epoch, params)`` in ``entries`` and, with
    ``network_spec``, every neuron's activations on that coarse grid (the Network view's).

    ``grid_spec`` is the boundary view's ``grid_probe.spec`` (xlim, ylim, (H, W), columns, fixed), or
    None for no boundary. Runs in a worker thread: it touches only a copy of the run's frozen model
    and NumPy arrays.
    """
    model = run_info.model.copy()
    grid = points = None
    dataset = run_info.dataset
    if grid_spec is not None:
        xlim, ylim, shape, columns, fixed = grid_spec
        grid = GridEvaluator(model, xlim, ylim, shape=shape, fixed=fixed, columns=columns)
        points = PointEvaluator(model, dataset.X) if dataset.n_samples else None
    frames = []
    for k, (epoch, params) in enumerate(entries):
        progress(k / max(len(entries), 1))  # raises TaskCancelled once cancelled
        extras = {}
        if grid is not None:
            extras[GRID_PROBE] = GridProbabilities(grid_spec, grid.evaluate(params).copy())
        if points is not None:
            extras[POINTS_PROBE] = PointPredictions(dataset, points.evaluate(params).copy(), points.logits.copy())
        if network_spec is not None:
            extras[NETWORK_PROBE] = network_activations(model, params, network_spec)
        frames.append(FrameArrays(run_info.run_id, int(epoch), params, extras))
    return frames


def sequence_paths(path, n: int) -> list[Path]:
    """Where a PNG sequence of ``n`` frames goes: ``run.png`` → ``run-001.png``, ``run-002.png``, …"""
    path = Path(path)
    digits = max(3, len(str(n)))
    return [path.with_name(f"{path.stem}-{i + 1:0{digits}d}.png") for i in range(n)]


def write_frames(fmt: str, path, frames, fps: float, *, progress, cancelled) -> list[Path]:
    """Encode ``frames`` ((H, W, 3) uint8 each) as ``fmt`` ("gif" or "png") and write them.

    Everything is encoded in memory first, so a cancel leaves no file; the files are then written
    atomically, and if one cannot be, those already written are removed before the
    :class:`~lab_app.io.export.ExportError` (naming the file and the reason) propagates. A cancel
    that arrives while they are written removes them too.
    """
    images = []
    for k, rgb in enumerate(frames):
        progress(k / max(len(frames), 1))
        image = Image.fromarray(np.ascontiguousarray(rgb), "RGB")
        images.append(image.quantize(256, dither=Image.Dither.NONE) if fmt == "gif" else image)
    if fmt == "gif":
        data = io.BytesIO()
        duration = max(20, int(round(1000.0 / fps)))  # browsers treat shorter delays as 100 ms
        images[0].save(data, "GIF", save_all=True, append_images=images[1:], duration=duration, loop=0)
        files = [(Path(path), data.getvalue())]
    else:
        files = []
        for target, image in zip(sequence_paths(path, len(images)), images):
            data = io.BytesIO()
            image.save(data, "PNG")
            files.append((target, data.getvalue()))
    progress(1.0)  # the last moment a cancel stops the task before anything is written
    written: list[Path] = []
    try:
        for target, blob in files:
            write_atomic(target, blob)
            written.append(target)
        if cancelled():
            raise TaskCancelled
    except BaseException:
        for done in written:
            done.unlink(missing_ok=True)
        raise
    return written
