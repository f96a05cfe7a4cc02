"""Screenshots of the insight tools, made with the program itself (offscreen).

    python docs/make_tool_screenshots.py              # every tool: docs/tool_<name>.png
    python docs/make_tool_screenshots.py doctor       # only some

One function per tool, registered in :data:`TOOLS`: it builds the real window, loads data, trains
until the run finishes and grabs the tool's dock (floated to a readable size). Add a tool by
writing ``shoot_<name>(app, out)`` and listing it in :data:`TOOLS`.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QCoreApplication, QEvent, QSettings
from PySide6.QtWidgets import QApplication

from engine import generators
from lab_app.training.config import DEFAULT_CONFIG
from lab_app.window.main_window import MainWindow

HERE = Path(__file__).resolve().parent
DOCK_SIZE = (1000, 290)


# ----------------------------------------------------------------------------- shared helpers
def new_window(app) -> MainWindow:
    """The real window with throw-away settings, shown offscreen."""
    settings = QSettings(os.path.join(tempfile.mkdtemp(), "s.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, config=DEFAULT_CONFIG.with_(epochs=0))
    window.show()
    wait(app, lambda: False, 0.2)
    return window


def wait(app, condition, seconds: float = 30.0) -> bool:
    """Process events until ``condition()`` holds or ``seconds`` pass."""
    end = time.monotonic() + seconds
    while not condition() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.005)
    return condition()


def use_config(window, config) -> None:
    window.controller.set_config(config)
    window.controller.reset()


def train_until_finished(app, window) -> None:
    controller = window.controller
    controller.train()
    if not wait(
        app,
        lambda: controller.state == "idle" and controller.latest is not None and controller.latest.state == "finished",
    ):
        raise SystemExit("training did not finish")


def grab_dock(app, window, key: str, out: Path, size=DOCK_SIZE) -> None:
    """Float dock ``key`` at ``size``, let it lay out and paint, and save its picture."""
    dock = window.docks[key]
    dock.setFloating(True)
    dock.show()
    dock.raise_()
    dock.resize(*size)
    wait(app, lambda: False, 0.5)
    dock.grab().save(str(out))
    print("wrote", out)


def close(app, window) -> None:
    window.controller.shutdown()
    window.document.mark_saved()  # no "save changes?" question
    window.close()
    window.deleteLater()
    app.processEvents()


# ----------------------------------------------------------------------------- one per tool
def shoot_doctor(app, out: Path) -> None:
    """The doctor on the "learning rate far too high" preset: its verdict card with the one-click
    fix, and the live signals (gradient, weights, oscillation, curvature, the 2/λ_max bound)."""
    window = new_window(app)
    window.dataset_menu.apply_preset("lr_too_high")
    train_until_finished(app, window)
    grab_dock(app, window, "doctor", out)
    close(app, window)


def shoot_reference(app, out: Path) -> None:
    """The reference optimum mid-run: logistic regression on data drawn from a known logistic
    model, learned against exact coefficients with glm's standard errors and z values."""
    window = new_window(app)
    data = generators.logistic_model(300, (2.0, -1.0), 0.5, seed=4).dataset
    window.document.load_dataset(data)
    use_config(window, DEFAULT_CONFIG.with_(optimizer="adam", lr=0.02, batch_size=0, epochs=60, test_fraction=0.0))
    train_until_finished(app, window)
    grab_dock(app, window, "reference", out, size=(1000, 250))
    close(app, window)


def step_epochs(app, window, epochs: int) -> None:
    """Train with Step, one epoch at a time: one snapshot (a path point, a history entry) per
    epoch, however fast the model trains (Train sends at most ~30 snapshots a second)."""
    controller = window.controller
    for epoch in range(controller.latest.epoch + 1, controller.latest.epoch + epochs + 1):
        controller.step()
        if not wait(app, lambda epoch=epoch: controller.state != "running" and controller.latest.epoch == epoch, 5):
            raise SystemExit(f"step {epoch} did not finish")


def shoot_landscape(app, out: Path) -> None:
    """The loss landscape of the glm6 textbook data in 1-D (w, b): the run's Adam path ending at
    the model, and SGD, momentum and Adam compared from one clicked start."""
    window = new_window(app)
    window.document.load_dataset(generators.glm6())
    use_config(
        window,
        DEFAULT_CONFIG.with_(
            model="logistic",
            features=("x1",),
            standardize=True,
            optimizer="adam",
            lr=0.3,
            batch_size=0,
            epochs=60,
            test_fraction=0.0,
        ),
    )
    view = window.landscape_view
    window.docks["landscape"].raise_()
    step_epochs(app, window, 60)
    wait(app, lambda: view.grid is not None and not view.busy("grid"), 10)
    view.set_start((-2.0, 2.0))
    done = []
    view.pathsReady.connect(lambda: done.append(True))
    view.compare_optimizers()
    wait(app, lambda: bool(done) and not view.busy("grid"), 10)
    grab_dock(app, window, "landscape", out, size=(760, 560))
    close(app, window)


def shoot_history(app, out: Path) -> None:
    """Time travel on two moons: the boundary of a small network pinned at an earlier epoch,
    with the boundaries of five epochs before it as onion skins (the oldest faintest)."""
    window = new_window(app)
    window.document.load_dataset(generators.moons(n=200, noise=0.15, seed=1))
    use_config(
        window,
        DEFAULT_CONFIG.with_(
            model="mlp", hidden=(16, 16), activation="tanh", lr=0.02, batch_size=16, epochs=0, test_fraction=0.2
        ),
    )
    step_epochs(app, window, 100)
    scrubber = window.history_scrubber
    scrubber.onion_check.setChecked(True)
    scrubber.show_epoch(45)
    grab_dock(app, window, "boundary", out, size=(760, 640))
    close(app, window)


def shoot_hover(app, out: Path) -> None:
    """Point forensics: the mouse over a misclassified point shows its logit, probabilities, loss
    and gradient; points are sized by their loss."""
    from PySide6.QtCore import QPointF
    from PySide6.QtTest import QTest

    window = new_window(app)
    use_config(window, DEFAULT_CONFIG.with_(epochs=40))
    train_until_finished(app, window)
    boundary, scrubber = window.boundary_view, window.history_scrubber
    scrubber.size_check.setChecked(True)
    dock = window.docks["boundary"]
    dock.setFloating(True)
    dock.resize(760, 640)
    wait(app, lambda: False, 0.4)
    miss = boundary.misclassified_mask
    losses = boundary.point_losses()
    candidates = [i for i in range(len(losses)) if miss[i]] or list(range(len(losses)))
    i = max(candidates, key=lambda k: losses[k])
    x, y = window.controller.run_info.dataset.X[i]
    scene = boundary.plot_item.getViewBox().mapViewToScene(QPointF(x, y))
    QTest.mouseMove(boundary.plot_widget.viewport(), boundary.plot_widget.viewportTransform().map(scene).toPoint())
    wait(app, lambda: boundary.hover_info is not None, 2)
    # Offscreen there is no real pointer: the card would hide on the next pointer check, so show
    # it for the point and take the picture at once (the dock already has its size).
    boundary.hover_point(i)
    dock.grab().save(str(out))
    print("wrote", out)
    close(app, window)


def shoot_sweep(app, out: Path) -> None:
    """Train ▸ Sweep… on two moons: a small network over learning rates 0.001, 0.01, 0.1 (rows) and
    batch sizes 16, 64 and the full batch (columns), each cell's boundary with its final loss and
    test accuracy, and the heatmap of the final losses."""
    window = new_window(app)
    window.document.load_dataset(generators.moons(n=300, noise=0.2, seed=0))
    use_config(
        window, DEFAULT_CONFIG.with_(model="mlp", hidden=(16,), lr=0.01, batch_size=32, epochs=150, test_fraction=0.2)
    )
    dialog = window.open_sweep()
    dialog.set_axes("lr", "1e-3,1e-2,1e-1", "batch_size", "16,64,0")
    dialog.resize(1100, 560)
    done = []
    dialog.sweepFinished.connect(done.append)
    dialog.run()
    if not wait(app, lambda: bool(done), 60):
        raise SystemExit("the sweep did not finish")
    print(dialog.status.text())
    wait(app, lambda: False, 0.5)
    dialog.grab().save(str(out))
    print("wrote", out)
    close(app, window)


def shoot_evaluation(app, out: Path) -> None:
    """The Evaluation dock on the default example after training: ROC and precision–recall curves
    of the training and test points, the reliability diagram, and the threshold moved to 0.3 (the
    operating points, the confusion matrix and the scores at t = 0.3)."""
    window = new_window(app)
    use_config(window, DEFAULT_CONFIG.with_(epochs=200))
    train_until_finished(app, window)
    view = window.evaluation_view
    window.docks["evaluation"].raise_()
    wait(app, lambda: bool(view.evaluations), 5)
    view.threshold_slider.setValue(30)
    grab_dock(app, window, "evaluation", out, size=(1100, 360))
    e, r = view.evaluations["train"], view.reports["train"]
    print(f"train AUC {e.roc[0].score:.4f}  AP {e.pr[0].score:.4f}  Brier {e.brier:.4f}")
    if "test" in view.evaluations:
        t = view.evaluations["test"]
        print(f"test  AUC {t.roc[0].score:.4f}  AP {t.pr[0].score:.4f}  Brier {t.brier:.4f}")
    print(f"t = 0.3 (train): confusion {r.confusion.tolist()}  P {r.precision:.3f}  R {r.recall:.3f}  F1 {r.f1:.3f}")
    close(app, window)


def shoot_pinned(app, out: Path) -> None:
    """Two pinned runs of a small network on two moons (learning rates 0.003 and 0.01) beside the
    live one (0.05): their loss curves dashed, their boundaries dashed, and the Pinned runs list."""
    window = new_window(app)
    window.resize(1440, 900)
    window.document.load_dataset(generators.moons(n=300, noise=0.2, seed=0))
    base = DEFAULT_CONFIG.with_(model="mlp", hidden=(16,), activation="tanh", batch_size=32, epochs=120)
    for lr in (0.003, 0.01, 0.05):
        use_config(window, base.with_(lr=lr, test_fraction=0.2))
        train_until_finished(app, window)
        if lr != 0.05:
            window.pin_run()
    window.docks["pinned"].raise_()
    wait(app, lambda: False, 0.8)
    window.grab().save(str(out))
    print("wrote", out)
    close(app, window)


def shoot_network(app, out: Path) -> None:
    """The Network dock on two spiral arms with a (16, 16) tanh network after Adam: every neuron's
    activation over the plane, edges by weight, biases, one hovered neuron's map and numbers, and a
    clicked edge's weight over the run."""
    window = new_window(app)
    window.document.load_dataset(generators.spiral(n=300, noise=0.05, seed=0))
    use_config(
        window,
        DEFAULT_CONFIG.with_(
            model="mlp", hidden=(16, 16), activation="tanh", optimizer="adam", lr=0.01, epochs=600, test_fraction=0.0
        ),
    )
    window.docks["network"].raise_()
    train_until_finished(app, window)
    view = window.network_view
    wait(app, lambda: view.params is not None, 5)
    dock = window.docks["network"]
    dock.setFloating(True)
    dock.resize(1000, 620)
    wait(app, lambda: False, 0.5)
    view._show_neuron(2, 3)  # as hovering the fourth neuron of the second hidden layer does
    view.follow(2, 3, 1)  # as clicking the edge h1.2 -> h2.4 does: its weight over the run
    view.canvas._hover = (2, 3)
    view.canvas.update()
    grab_dock(app, window, "network", out, size=(1000, 620))
    close(app, window)


def shoot_lessons(app, out: Path) -> None:
    """A lesson in progress: "Why won't it converge?" with its first two steps done by "Show me",
    the second one's explanation on show, beside the window it drives."""
    window = new_window(app)
    window.resize(1680, 980)
    runner = window.lessons
    runner.open_name("why_not_converge")
    for step in range(2):
        if step:
            runner.go(step)
        window.lessons_view.show_button.click()
        if not wait(app, lambda step=step: step in runner.passed, 120):
            raise SystemExit(f"step {step + 1} did not pass: {[r.message for r in runner.results]}")
    window.docks["loss"].raise_()
    wait(app, lambda: False, 1.0)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # the doctor's old cards
    wait(app, lambda: False, 0.3)
    window.grab().save(str(out))
    print("wrote", out)
    close(app, window)


TOOLS = {
    "doctor": shoot_doctor,
    "reference": shoot_reference,
    "landscape": shoot_landscape,
    "history": shoot_history,
    "hover": shoot_hover,
    "sweep": shoot_sweep,
    "evaluation": shoot_evaluation,
    "pinned": shoot_pinned,
    "network": shoot_network,
    "lessons": shoot_lessons,
}


def main(argv) -> None:
    from engine.runtime import limit_blas_threads

    limit_blas_threads(1)  # as the program's entry point does (lab_app.app.run)
    app = QApplication.instance() or QApplication(argv[:1])
    for name in argv[1:] or list(TOOLS):
        TOOLS[name](app, HERE / f"tool_{name}.png")


if __name__ == "__main__":
    main(sys.argv)
