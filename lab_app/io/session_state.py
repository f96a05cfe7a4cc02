"""The lab window's state as a session (docs/design.md §5), and a session back into the window.

:func:`capture_session` reads the document, the training controller and the view toggles into
``engine.serialize.session_to_dict`` form (copies: safe to hand to a writer thread);
:func:`snapshot_session` takes the same by reference, cheaply, for the autosave to build in its
writer thread (:class:`SessionSnapshot`);
:func:`apply_session` shows a loaded session — points, classes and colours, configuration, the
saved weights and history (``TrainingController.restore``) and the ranges — and returns the view
toggles to show, so the window looks as it did when saved.

Both take what they use explicitly (the document, the controller, the toggles), never the window:
the window's file actions (:mod:`lab_app.window.files`) pass them in.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from engine.comparison import pinned_to_dict
from engine.data import DataError, Dataset, sort_classes
from engine.serialize import session_to_dict
from engine.training import TrainConfig
from lab_app.document import MAX_CLASSES, MAX_FEATURES, ClassInfo
from lab_app.training.config import effective_config

__all__ = ["SessionSnapshot", "ViewToggles", "apply_session", "capture_session", "snapshot_session"]


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
    return snapshot_session(doc, controller, toggles, pinned).to_dict()


@dataclass(frozen=True, eq=False)  # eq=False: arrays inside; see same_as
class SessionSnapshot:
    """What a session is made of, taken in the GUI thread by reference: the document's immutable
    :class:`~lab_app.document.types.State`, the run's newest snapshot and reports, the pinned runs
    and the view. Taking one copies no array and encodes nothing, so an autosave never stalls the
    window; :meth:`to_dict` (any thread) builds the session from it."""

    state: object  # lab_app.document.types.State (shared, never written to)
    n_dims: int
    view: dict
    config: TrainConfig
    run_info: object  # RunInfo or None
    latest: object  # Snapshot or None
    history: object  # the run's report history (engine.history.History, a copy) or ()
    recorded: object  # a private copy of the controller's ParamHistory (its entries are immutable), or None
    recorded_version: int
    pinned_runs: tuple

    def same_as(self, other: SessionSnapshot | None, deep: bool = False) -> bool:
        """True when a session built from ``other`` would equal this one's: same points (the same
        arrays — the document replaces them on every edit — or, with ``deep``, equal ones: O(n),
        for a writer thread), the same run snapshot, settings and view."""
        if other is None:
            return False
        s, o = self.state, other.state
        for a, b in ((s.xy, o.xy), (s.labels, o.labels)):
            if a is not b and not (deep and a.shape == b.shape and np.array_equal(a, b)):
                return False
        runs = (self.run_info, self.latest, self.pinned_runs), (other.run_info, other.latest, other.pinned_runs)
        if not all(a is b for a, b in zip(*runs)):
            return False
        values = (s.classes, s.feature_names, s.label_name, s.mode, self.n_dims, self.view, self.config)
        others = (o.classes, o.feature_names, o.label_name, o.mode, other.n_dims, other.view, other.config)
        return (
            values == others
            and len(self.history) == len(other.history)
            and self.recorded_version == other.recorded_version
        )

    def to_dict(self) -> dict:
        """The session (``engine.serialize.session_to_dict`` form); O(points + epochs), so the
        autosave calls it in its writer thread."""
        s = self.state
        class_names = tuple(c.name for c in s.classes)
        dataset = Dataset(s.xy[:, : self.n_dims], s.labels, class_names, s.feature_names[: self.n_dims], s.label_name)
        info, latest = self.run_info, self.latest
        model, history, training = None, (), {}
        if info is not None and latest is not None and _labels_fit(info.model, s.labels, class_names, self.n_dims):
            model = info.model_at(latest.params)
            history = self.history
            training = {
                "epoch": latest.epoch,
                "stopped_because": latest.stopped_because,
                "best_epoch": latest.best_epoch,
                "test_idx": np.asarray(info.test_idx).tolist(),
            }
            recorded = self.recorded.to_saved() if self.recorded is not None else None
            if recorded is not None:  # the scrubber's recorded weights, thinned (a reopened run can be scrubbed)
                training["recorded"] = recorded
            if effective_config(self.config, info.dataset.n_features) != info.config:  # a change waiting for a restart
                training["run_config"] = info.config.to_dict()
        return session_to_dict(
            dataset,
            self.config,
            model=model,
            history=history,
            colors=[c.color for c in s.classes],
            class_names=class_names,
            mode=s.mode,
            view=dict(self.view),
            training=training,
            pinned=[pinned_to_dict(r.config, r.model, r.curves) for r in self.pinned_runs],
        )


def snapshot_session(doc, controller, toggles: ViewToggles, pinned=None) -> SessionSnapshot:
    """A :class:`SessionSnapshot` of the window's state (GUI thread; cheap: references only)."""
    info, latest = controller.run_info, controller.latest
    current = info is not None and latest is not None and latest.run_id == info.run_id
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
    return SessionSnapshot(
        state=doc.state(),
        n_dims=doc.n_dims,
        view=view,
        config=controller.config,
        run_info=info if current else None,
        latest=latest if current else None,
        history=controller.history if current else (),  # a copy, in fixed memory
        recorded=_entries_copy(controller.recorded) if current else None,
        recorded_version=controller.recorded.version,
        pinned_runs=tuple(pinned.runs) if pinned is not None else (),
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


def _entries_copy(recorded):
    """A copy of a ``ParamHistory`` that the controller's later snapshots leave alone (its list of
    entries copied; the entries themselves are frozen)."""
    frozen = copy.copy(recorded)
    frozen.entries = list(recorded.entries)
    return frozen


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


def _model_fits(model, doc) -> bool:
    """The run's model still matches the document (same classes and inputs), so it can be restored."""
    return _labels_fit(model, doc.labels, doc.class_names, doc.n_dims)


def _labels_fit(model, labels, class_names, n_dims: int) -> bool:
    """``model`` takes points labelled ``labels`` (codes into ``class_names``) with ``n_dims`` inputs.

    The engine's classes are the names of the classes that have points, in natural order
    (``LabDocument.dataset``); computed here without building the dataset.
    """
    used = np.flatnonzero(np.bincount(labels, minlength=len(class_names))) if len(labels) else []
    try:
        classes = sort_classes([class_names[i] for i in used])
    except DataError:
        return False
    return tuple(classes) == tuple(model.classes) and n_dims == model.n_inputs
