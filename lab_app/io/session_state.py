"""The lab window's state as a session (docs/design.md §5), and a session back into the window.

:func:`capture_session` reads the document, the training controller and the view toggles into
``engine.serialize.session_to_dict`` form (copies: safe to hand to a writer thread);
:func:`apply_session` shows a loaded session — points, classes and colours, configuration, the
saved weights and history (``TrainingController.restore``) and the ranges — and returns the view
toggles to show, so the window looks as it did when saved.

Both take what they use explicitly (the document, the controller, the toggles), never the window:
the window's file actions (:mod:`lab_app.window.files`) pass them in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from engine.data import DataError, Dataset, sort_classes
from engine.serialize import session_to_dict
from engine.training import TrainConfig
from lab_app.document import MAX_CLASSES, MAX_FEATURES, ClassInfo
from lab_app.training.config import effective_config

__all__ = ["ViewToggles", "apply_session", "capture_session"]


class ViewToggles(NamedTuple):
    """The window's view switches a session keeps."""

    overlay: bool  # the boundary drawn over the designer
    loss_log_y: bool  # the loss plot's logarithmic y axis
    threshold: float = 0.5  # the decision threshold (the boundary's contour at P = t, the Evaluation dock)
    pinned_boundaries: bool = True  # pinned runs' boundaries drawn in the boundary view
    show_test_points: bool = True  # the run's test split drawn (View ▸ Show test points)
    discretize: bool = False  # the boundary in hard class regions (View ▸ Discretize output)


def capture_session(doc, controller, toggles: ViewToggles, pinned=None) -> dict:
    """The whole state as a session: points, classes and colours of ``doc`` (a ``LabDocument``),
    the configuration and the current weights and history of ``controller`` (a
    ``TrainingController``; only if they still fit the points), the runs of ``pinned`` (a
    ``PinnedRuns``: weights and curves) and the view."""
    dataset = Dataset(doc.X, doc.labels, doc.class_names, doc.feature_names, doc.label_name)
    model, history, training = None, (), {}
    info, latest = controller.run_info, controller.latest
    config = controller.config
    if info is not None and latest is not None and latest.run_id == info.run_id and _fits(info, doc):
        model = info.model_at(latest.params)
        history = controller.history
        training = {
            "epoch": latest.epoch,
            "stopped_because": latest.stopped_because,
            "best_epoch": latest.best_epoch,
            "test_idx": np.asarray(info.test_idx).tolist(),
        }
        recorded = controller.recorded.to_saved()
        if recorded is not None:  # the scrubber's recorded weights, thinned (a reopened run can be scrubbed)
            training["recorded"] = recorded
        if effective_config(config, info.dataset.n_features) != info.config:  # a change waiting for a restart
            training["run_config"] = info.config.to_dict()
    view = {
        "xlim": list(doc.xlim),
        "ylim": list(doc.ylim),
        "view_columns": list(doc.view_columns),
        "current_class": doc.current_class,
        "overlay": toggles.overlay,
        "loss_log_y": toggles.loss_log_y,
        "threshold": toggles.threshold,
        "pinned_boundaries": toggles.pinned_boundaries,
        "show_test_points": toggles.show_test_points,
        "discretize": toggles.discretize,
    }
    return session_to_dict(
        dataset,
        config,
        model=model,
        history=history,
        colors=[c.color for c in doc.classes],
        class_names=doc.class_names,
        mode=doc.mode,
        view=view,
        training=training,
        pinned=pinned.to_saved() if pinned is not None else (),
    )


def apply_session(
    loaded: dict,
    doc,
    controller,
    toggles: ViewToggles,
    *,
    before_replace: Callable[[], None],
    show_toggles: Callable[[ViewToggles], None],
    pinned=None,
) -> int:
    """Show a loaded session (``engine.serialize.load_session`` output) in ``doc`` and ``controller``.

    ``before_replace()`` runs once the session is known to fit, just before the points are
    replaced (the window stops training and drops the old run's marks). ``show_toggles(saved)``
    sets the view switches before the saved run is drawn (so the plots are laid out once, as
    saved): the saved ones, else ``toggles``' overlay and a linear loss axis (sessions saved
    before those switches existed).

    Raises ValueError, changing nothing, if the document cannot hold it (more feature columns
    than ``MAX_FEATURES``, more classes than the palette). The undo history is cleared: an opened
    file is a fresh start. The session's pinned runs replace those of ``pinned`` (a ``PinnedRuns``),
    skipping any whose model does not take the session's inputs and classes; returns how many
    were skipped.
    """
    ds, view, training = loaded["dataset"], loaded["view"], loaded["training"]
    if ds.n_features > MAX_FEATURES:
        raise ValueError(
            f"the session has {ds.n_features} feature columns ({', '.join(ds.feature_names)}); "
            f"the lab holds at most {MAX_FEATURES}"
        )
    if ds.n_classes > MAX_CLASSES:
        raise ValueError(f"the session has {ds.n_classes} classes; the lab draws at most {MAX_CLASSES}")
    classes = [ClassInfo(name, color or "") for name, color in zip(loaded["class_names"], loaded["colors"])]
    before_replace()
    doc.replace_data(
        ds.X,
        ds.y,
        classes,
        ds.feature_names,
        ds.label_name,
        fit_ranges="xlim" not in view,
        view_columns=_view_columns(view.get("view_columns"), ds.n_features),
    )
    if "xlim" in view:
        doc.set_ranges(view["xlim"], view.get("ylim"))
    current = view.get("current_class")
    if isinstance(current, int) and 0 <= current < doc.n_classes:
        doc.set_current_class(current)
    config = run_config = loaded["config"]
    if isinstance(training.get("run_config"), dict):
        try:
            run_config = TrainConfig.from_dict(training["run_config"])
            run_config.validate()
        except (TypeError, ValueError):
            run_config = config
    controller.set_config(run_config)
    saved = ViewToggles(
        bool(view.get("overlay", toggles.overlay)),
        bool(view.get("loss_log_y", False)),
        float(view.get("threshold", 0.5)),  # checked by engine.serialize; older sessions: ½
        bool(view.get("pinned_boundaries", True)),
        bool(view.get("show_test_points", True)),  # checked by engine.serialize; older sessions: shown
        bool(view.get("discretize", False)),
    )
    show_toggles(saved)
    if loaded["model"] is not None:
        controller.restore(
            loaded["model"],
            loaded["history"],
            best_epoch=training.get("best_epoch"),
            stopped_because=training.get("stopped_because"),
            recorded=training.get("recorded"),
        )
    else:
        controller.reset()
    if run_config != config:
        controller.set_config(config)  # shows the "restart to apply" banner, as before saving
    skipped = 0
    if pinned is not None:
        skipped = pinned.load_saved(loaded.get("pinned", ()), lambda model: _model_fits(model, doc))
    doc.undo_stack.clear()
    return skipped


def _view_columns(value, n_features: int):
    """The saved view pair if it names two different existing columns (else None: the first two)."""
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(type(v) is int for v in value)
        and value[0] != value[1]
        and all(0 <= v < n_features for v in value)
    ):
        return tuple(value)
    return None


def _fits(info, doc) -> bool:
    """The run's model still matches the document (see :func:`_model_fits`)."""
    return _model_fits(info.model, doc)


def _model_fits(model, doc) -> bool:
    """The run's model still matches the document (same classes and inputs), so it can be restored.

    The engine's classes are the names of the classes that have points, in natural order
    (``LabDocument.dataset``); computed here without building the dataset, which for a million
    points would cost the autosave a noticeable pause.
    """
    labels = doc.labels
    used = np.flatnonzero(np.bincount(labels, minlength=doc.n_classes)) if len(labels) else []
    try:
        classes = sort_classes([doc.class_names[i] for i in used])
    except DataError:
        return False
    return tuple(classes) == tuple(model.classes) and doc.n_dims == model.n_inputs
