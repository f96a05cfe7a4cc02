"""Plays a lesson in the window: applies each step's set-up, performs "Show me", checks the step.

:class:`LessonRunner` belongs to the window. It reads the lab's state into the plain
:class:`engine.lesson_checks.LabState` (the run, the reference optimum, the doctor's curvature,
the truth of generated data, the document), evaluates the step's declarative checks whenever
something the user did may have finished the step, and drives the Lessons dock
(:class:`lab_app.panels.lessons.LessonsView`). Set-ups and "Show me" use the same document and
controller methods as the user's own menus and buttons; a lesson file never executes code.
"""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox

import resources
from engine.data import DataError
from engine.lesson_checks import LabState, lab_quantities, render
from engine.lessons import Lesson, LessonError, Step, build_dataset, find_lesson, lesson_catalog, load_lesson
from engine.scratch import BUGS, gradient_check, scratch_fit
from lab_app.dialogs.generator import TrueParameters
from lab_app.tasks import Debouncer
from lab_app.training.config import DEFAULT_CONFIG
from lab_app.training.pace import pace_for_run
from lab_app.training.probes import HESSIAN_PROBE
from lab_app.widgets.palette import qcolor
from lab_app.window.data_menu import true_vs_learned

__all__ = ["LessonRunner", "lab_state"]

LESSON_FILTER = "Logit Lab lessons (*.json);;All files (*)"


class LessonRunner(QObject):
    """The lesson on show in one window: its current step, the steps passed, recorded values.

    Signals
    -------
    stepEntered(int) : step ``i`` (0-based) is now current (its set-up is applied).
    stepChecked(int, bool) : the step's checks were evaluated; True if they all passed.
    stepPassed(int) : the step's checks passed for the first time.
    """

    stepEntered = Signal(int)
    stepChecked = Signal(int, bool)
    stepPassed = Signal(int)

    def __init__(self, window, view):
        super().__init__(window)
        self.window, self.view = window, view
        self.lesson: Lesson | None = None
        self.index = 0
        self.passed: set[int] = set()
        self.recorded: dict = {}
        self.results: list = []  # CheckResult of the last evaluation
        self.explanation = ""
        self.scratch = None  # (chosen ScratchRun, correct ScratchRun, GradientCheck) of lesson 4's box
        self._busy = False  # applying a set-up: the user has not done anything yet
        self._trained = self._touched = False
        self._evaluate_soon = Debouncer(0, self.evaluate, parent=self)
        view.set_catalog([(name, title) for name, title, _path in lesson_catalog(resources.LESSONS)])
        view.lessonChosen.connect(self.open_name)
        view.openFileRequested.connect(self.open_file)
        view.stepChosen.connect(self.go)
        view.backRequested.connect(lambda: self.go(self.index - 1))
        view.nextRequested.connect(lambda: self.go(self.index + 1))
        view.showMeRequested.connect(self.show_me)
        view.checkRequested.connect(lambda: self.evaluate(explicit=True))
        view.scratchRequested.connect(self.run_scratch)
        c, d = window.controller, window.document
        c.progress.connect(self._on_progress)
        for signal in (c.finished, c.diverged, c.stateChanged, window.reference_view.resultReady):
            signal.connect(self._on_event)
        for signal in (c.configChanged, d.pointsChanged, d.classesChanged, d.modeChanged):
            signal.connect(self._on_change)

    # ------------------------------------------------------------ opening
    def open_name(self, name: str) -> bool:
        """Open a built-in lesson by name (or a lesson file's path); False and a message if there is none."""
        try:
            path = find_lesson(resources.LESSONS, name)
        except LessonError as exc:
            self._error(str(exc))
            return False
        return self.open_path(path)

    def open_file(self) -> bool:
        """The panel's "Open file…": a teacher's lesson file."""
        path = self.window.files.dialogs.open_file_name(self.window, "Open a lesson", "", LESSON_FILTER)
        return bool(path) and self.open_path(path)

    def open_path(self, path) -> bool:
        try:
            lesson = load_lesson(path)
        except LessonError as exc:
            self._error(f"This lesson cannot be used:\n\n{exc}")
            return False
        self.open_lesson(lesson)
        return True

    def open_lesson(self, lesson: Lesson) -> None:
        self.lesson, self.passed, self.recorded = lesson, set(), {}
        self.view.show_lesson(lesson.name, [s.title for s in lesson.steps], lesson.summary, lesson.title)
        self.show_panel()
        self.go(0)

    def show_panel(self) -> None:
        """Help ▸ Lessons…: show the Lessons dock beside the Trainer (whose settings lessons change)."""
        w = self.window
        dock = w.docks["lessons"]
        if dock.isHidden():
            dock.show()
            if not dock.isFloating():
                w.resizeDocks([w.docks["trainer"], dock], [370, 400], Qt.Orientation.Horizontal)
        dock.raise_()

    # ------------------------------------------------------------ steps
    @property
    def step(self) -> Step | None:
        return self.lesson.steps[self.index] if self.lesson is not None else None

    def go(self, index: int) -> None:
        """Make step ``index`` current and apply its set-up (data, settings, a fresh run)."""
        if self.lesson is None or not 0 <= index < len(self.lesson.steps):
            return
        self.index, self.results, self.explanation, self.scratch = index, [], "", None
        try:
            self._busy = True
            self._apply_setup(self.step)
        finally:
            self._busy = False
        self._trained = self._touched = False
        self._refresh_view()
        self.stepEntered.emit(index)

    def show_me(self) -> None:
        """Perform the step's actions through the document and the controller, as the user would."""
        step = self.step
        if step is None:
            return
        w = self.window
        c = w.controller
        for action in step.show_me:
            if action.kind == "set":
                c.set_config(_config(c.config.with_(**action.value), w.document.n_dims))
                self._fit_pace()
            elif action.kind == "data":
                self._load(action.value)
            elif action.kind == "move_point":
                i, to = action.value
                if i < w.document.n_points:
                    w.document.move_points([i], np.array([_xy(to, w.document)]))
            elif action.kind == "add_points":
                rows, label = action.value
                w.document.add_points(np.array([_xy(r, w.document) for r in rows]), label)
            elif action.kind == "remove_points":
                w.document.remove_points([i for i in action.value if i < w.document.n_points])
            elif action.kind == "scratch":
                self.view.scratch.choose(action.value)
                self.run_scratch(action.value)
            elif action.kind == "show":
                w.raise_dock(action.value)
            elif action.kind == "train":
                c.restart()  # Reset + Train: a fresh run of the current settings

    def quantities(self) -> dict:
        """Every named quantity of the window's state, plus the values earlier steps recorded."""
        return {**lab_quantities(lab_state(self.window, self.scratch)), **self.recorded}

    def run_scratch(self, bug: str) -> None:
        """The From scratch box's "Run update": ``bug``'s update and the correct one on the
        document's points with the step's learning rate and epochs, and the gradient check."""
        step, d = self.step, self.window.document
        if step is None or step.scratch is None:
            return
        if d.n_classes != 2 or d.n_dims != 2 or len(np.unique(d.labels)) != 2:
            self._error("Logistic regression from scratch needs points of two classes in two dimensions.")
            return
        X, y = d.X.astype(float), (d.labels == 1).astype(float)
        lr, epochs = step.scratch["lr"], step.scratch["epochs"]
        run, correct = scratch_fit(X, y, bug, lr, epochs), scratch_fit(X, y, "correct", lr, epochs)
        check = gradient_check(X, y, bug)
        self.scratch = (run, correct, check)
        xs, ys = np.linspace(*d.xlim, 120), np.linspace(*d.ylim, 120)
        grid = np.column_stack([g.ravel() for g in np.meshgrid(xs, ys)])
        wrong = ", ".join(check.wrong)
        text = (
            f"{BUGS[bug]}: loss {run.losses[-1]:.4g} (correct {correct.losses[-1]:.4g}), accuracy "
            f"{run.accuracy:.1%} (correct {correct.accuracy:.1%}). Gradient check: "
            + (f"{wrong} wrong." if wrong else "every component matches.")
        )
        brushes = [qcolor(c.color) for c in d.classes]
        self.view.scratch.show_result(
            X,
            [brushes[i] for i in d.labels],
            (xs, ys),
            correct.predict_proba(grid).reshape(len(ys), len(xs)),
            run.predict_proba(grid).reshape(len(ys), len(xs)),
            correct.losses,
            run.losses,
            text,
        )
        self._trained = True
        self._evaluate_soon.trigger()

    def evaluate(self, explicit: bool = False) -> bool | None:
        """Check the current step now; None when it is not time yet (nothing done since entering)."""
        step = self.step
        if step is None or self.index in self.passed:
            return None
        ended = self.window.controller.state != "running"
        ready = (self._trained and ended) if step.wait_for == "run" else (self._touched or self._trained)
        if not (ready or explicit):
            return None
        values = self.quantities()
        self.results = [check.evaluate(values) for check in step.checks]
        ok = all(r.ok for r in self.results)
        if ok:
            self.passed.add(self.index)
            self.recorded.update({name: values.get(q) for name, q in step.record.items()})
            self.explanation = render(step.explain, {**values, **self.recorded})
        self._refresh_view()
        self.stepChecked.emit(self.index, ok)
        if ok:
            self.stepPassed.emit(self.index)
        return ok

    # ------------------------------------------------------------ helpers
    def _apply_setup(self, step: Step) -> None:
        w = self.window
        c = w.controller
        if step.data is None and step.config is None:
            return
        c.stop()
        if step.data is not None and not self._load(step.data, reset=False):
            return
        if step.config is not None:
            # A lesson says how its runs end (docs/lessons.md): its epochs, or its tol for until converged.
            c.set_config(_config(DEFAULT_CONFIG.with_(tol=0.0, **step.config), w.document.n_dims))
            self._fit_pace()
        c.reset()

    def _fit_pace(self) -> None:
        """Speed the pace up (never slow it down) so the step's epochs take seconds, not minutes."""
        c = self.window.controller
        pace = pace_for_run(c.pace, c.config.epochs)
        if pace != c.pace:
            c.set_pace(pace)

    def _load(self, spec, reset: bool = True) -> bool:
        w = self.window
        try:
            dataset, made = build_dataset(spec, resources.EXAMPLES)
        except (DataError, ValueError, OSError) as exc:
            self._error(f"The lesson's data cannot be made: {exc}")
            return False
        truth = None
        if made is not None:
            names = ("x1", "x2")[: dataset.n_features]
            truth = TrueParameters(made.weights.copy(), made.bias, names, "normal", 0.0, 0.0, made.dataset)
        return w.dataset_menu.load_generated(dataset, truth, reset=reset)

    def _on_progress(self, snapshot) -> None:
        if snapshot.reports and not self._busy:
            self._trained = True

    def _on_event(self, *_) -> None:
        if not self._busy and self.lesson is not None:
            self._evaluate_soon.trigger()

    def _on_change(self, *_) -> None:
        if not self._busy and self.lesson is not None:
            self._touched = True
            self._evaluate_soon.trigger()

    def _refresh_view(self) -> None:
        step = self.step
        parts = [f"<h3>{self.index + 1}. {html.escape(step.title)}</h3>", f"<p>{html.escape(step.text)}</p>"]
        if self.results:
            lines = "<br>".join(f"{'✓' if r.ok else '✗'} {html.escape(r.message)}" for r in self.results)
            verdict = "Done!" if self.index in self.passed else "Not yet:"
            parts.append(f"<p><b>{verdict}</b><br>{lines}</p>")
        if self.explanation:
            parts.append(f"<p><b>What happened.</b> {html.escape(self.explanation)}</p>")
        elif not self.results:
            parts.append("<p><i>Try it in the window, or press Show me.</i></p>")
        self.view.show_step(self.index, self.passed, "".join(parts), bool(step.show_me), step.scratch is not None)

    def _error(self, text: str) -> None:
        self.window._message(QMessageBox.Icon.Warning, "Lessons", text)


def lab_state(window, scratch=None) -> LabState:
    """The window's state (and lesson 4's last from-scratch runs) as the plain :class:`LabState`."""
    c, d = window.controller, window.document
    base = {"n_points": d.n_points, "n_classes": d.n_classes, "mode": d.mode, "settings": c.config, "scratch": scratch}
    info, snap = c.run_info, c.latest
    if info is None or snap is None or snap.run_id != info.run_id:
        return LabState(**base)
    model = info.model_at(snap.params)
    ref = window.reference_view.result
    reference = glm = separable = None
    if ref is not None and ref.run_id == info.run_id and ref.status == "ok":
        reference, glm = ref.reference, ref.glm
        separable = ref.separable if ref.separation is not None else None
    tvl = true_vs_learned(window.dataset_menu.truth, c, snap)
    has_truth = tvl is not None and not isinstance(tvl, str)
    return LabState(
        config=info.config,
        model=model,
        reports=c.history,
        epoch=snap.epoch,
        run_ended=c.state != "running" and snap.epoch > 0,
        stopped_because=snap.stopped_because or "",
        best_epoch=snap.best_epoch,
        reference=reference,
        glm=glm,
        separable=separable,
        hessian=snap.extras.get(HESSIAN_PROBE),
        true_weights=tvl.true_weights if has_truth else None,
        true_bias=tvl.true_bias if has_truth else None,
        train_X=info.dataset.X[info.train_idx],
        train_y=info.dataset.y[info.train_idx],
        **base,
    )


def _config(config, n_dims: int):
    """``features: "linear"`` as the explicit terms the Trainer panel ticks (as presets do)."""
    if config.features == "linear":
        return config.with_(features=("x1", "x2")[:n_dims])
    return config


def _xy(row, document) -> tuple[float, float]:
    """A lesson's point (one value on a line, or two) as the document's (x, y) row."""
    return (float(row[0]), float(row[1]) if len(row) > 1 else 0.0)
