"""Make the README's screenshots with the program itself (offscreen).

    python docs/make_screenshots.py            # writes docs/*.png

Each scene loads a dataset from engine.generators into the real window (the layout scenes keep
the opening example), trains with the scene's configuration until it finishes, and grabs the
window at the scene's size: ``window_default_1440x900.png`` is the default layout, and
``window_1024x700.png`` and ``window_1920x1080.png`` the smallest and a large window;
``window_doctor_*`` and ``window_reference_*`` bring the Doctor and Reference optimum docks to the
front at those two sizes (checked for clipping by eye).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from engine import generators
from engine.training import TrainConfig
from lab_app.training.pace import FLAT_OUT
from lab_app.window.main_window import MainWindow

HERE = Path(__file__).resolve().parent
DEFAULT_SIZE = (1440, 900)
_OPENING = TrainConfig(model="logistic", features=("x1", "x2"), lr=0.03, batch_size=32, epochs=300, test_fraction=0.2)
#: name -> (dataset maker, or None for the opening example; configuration; window size[, dock to raise])
SCENES = {
    "moons": (
        lambda: generators.moons(n=300, noise=0.2, seed=1),
        TrainConfig(
            model="mlp",
            hidden=(16, 16),
            activation="tanh",
            features=("x1", "x2"),
            lr=0.01,
            epochs=200,
            test_fraction=0.2,
        ),
        DEFAULT_SIZE,
    ),
    "circles": (
        lambda: generators.circles(n=300, noise=0.08, seed=2),
        TrainConfig(
            model="logistic", features=("x1", "x2", "x1^2", "x2^2", "x1*x2"), lr=0.05, epochs=200, test_fraction=0.2
        ),
        DEFAULT_SIZE,
    ),
    "three_classes": (
        lambda: generators.blobs(n=300, noise=2.4, seed=3, n_classes=3),
        TrainConfig(model="softmax", features=("x1", "x2"), lr=0.05, epochs=150, test_fraction=0.2),
        DEFAULT_SIZE,
    ),
    "default_1440x900": (None, _OPENING, DEFAULT_SIZE),
    "1024x700": (None, _OPENING, (1024, 700)),
    "1920x1080": (None, _OPENING, (1920, 1080)),
    **{
        f"{dock}_{w}x{h}": (None, _OPENING, (w, h), dock)
        for dock in ("doctor", "reference")
        for w, h in ((1024, 700), (1920, 1080))
    },
}


def shoot(app, name, make, config, size, out: Path, dock: str | None = None) -> None:
    settings = QSettings(os.path.join(tempfile.mkdtemp(), "s.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, config=config)
    if make is not None:
        window.document.load_dataset(make())
        window.document.mark_saved()
    window.controller.set_config(config)
    window.controller.set_pace(FLAT_OUT)  # the picture is of the finished run: no need to watch it
    window.controller.reset()
    window.resize(*size)  # before the first show: the default layout is made for this size
    window.show()
    done = {}

    def grab(_snapshot):
        if dock is not None:
            window.raise_dock(dock)

        def later():
            window.grab().save(str(out))
            done["ok"] = True
            window.controller.shutdown()
            window.close()
            app.quit()

        QTimer.singleShot(400, later)

    window.controller.finished.connect(grab)
    QTimer.singleShot(300, window.controller.train)
    QTimer.singleShot(60_000, window, app.quit)  # this scene's time limit, gone with its window
    app.exec()
    if not done:
        raise SystemExit(f"{name}: training did not finish")
    print("wrote", out)


def main(argv):
    from engine.runtime import limit_blas_threads

    limit_blas_threads(1)  # as the program's entry point does (lab_app.app.run)
    app = QApplication.instance() or QApplication(argv[:1])
    names = argv[1:] or list(SCENES)
    for name in names:
        make, config, size, *dock = SCENES[name]
        shoot(app, name, make, config, size, HERE / f"window_{name}.png", *dock)


if __name__ == "__main__":
    main(sys.argv)
