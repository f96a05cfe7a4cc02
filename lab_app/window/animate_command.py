"""``logit-lab animate SESSION.json OUT.gif``: File ▸ Export animation… without a visible window.

The session opens in an off-screen lab window, exactly as File ▸ Open would show it, and the
window's own export (:class:`lab_app.io.animation.AnimationExport`) draws and writes the frames, so
the command's frames are the dialog's. Nothing of the user's is touched: the window's settings and
recovery files live in a temporary folder for the command's lifetime.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager

__all__ = ["AnimateError", "animate_session"]


class AnimateError(Exception):
    """The session cannot be animated; the message says why (the command prints it as ``error:``)."""


def animate_session(
    session,
    out,
    *,
    fmt: str | None = None,
    every: int = 1,
    max_frames: int = 100,
    fps: float = 10.0,
    size: tuple[int, int] | None = None,
    loss: bool = False,
    network: bool = False,
    caption: bool = True,
) -> list[str]:
    """Write the animation of ``session``'s recorded epochs to ``out`` (GIF, or a PNG sequence when
    ``fmt`` is "png" or ``out`` ends in .png); returns the paths written."""
    from PySide6.QtCore import QEventLoop, QSettings, Qt

    from lab_app.document import LabDocument
    from lab_app.io.animation import AnimationExport, AnimationRequest
    from lab_app.io.animation_frames import choose_frames
    from lab_app.io.autosave import RECOVERY_ENV
    from lab_app.io.export import ensure_app, settle
    from lab_app.window.main_window import MainWindow

    fmt = fmt or ("png" if str(out).lower().endswith(".png") else "gif")
    app = ensure_app()
    with tempfile.TemporaryDirectory(prefix="logit-lab-animate-") as tmp, _env(RECOVERY_ENV, tmp):
        settings = QSettings(os.path.join(tmp, "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(LabDocument(), settings=settings)  # empty: not the default example's run
        try:
            window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
            window.show()
            if not window.files.open_session(str(session), ask=False):
                raise AnimateError(_last_error(window) or f"cannot open {session}")
            _wait_for_run(window.controller)
            recorded, info = window.controller.recorded, window.controller.run_info
            if info is None or not len(recorded):
                raise AnimateError(f"{session} holds no recorded epochs to animate; train and save it again")
            for _ in range(2):
                settle(window, app)
            indices = choose_frames(recorded.epochs(), 0, int(recorded.epochs()[-1]), every, max_frames)
            entries = [(recorded[i].epoch, recorded[i].params) for i in indices]
            rect = window.boundary_view.plot_item.sceneBoundingRect()
            request = AnimationRequest(
                path=str(out),
                fmt=fmt,
                views=("boundary", *(("loss",) if loss else ()), *(("network",) if network else ())),
                size=size or (round(rect.width()), round(rect.height())),
                fps=fps,
                caption=caption,
            )
            outcome: dict = {}
            job = AnimationExport(window)
            loop = QEventLoop()
            job.finished.connect(lambda paths: outcome.setdefault("paths", paths))
            job.failed.connect(lambda message: outcome.setdefault("error", message))
            for signal in (job.finished, job.failed, job.cancelled):
                signal.connect(loop.quit)
            views = {"boundary": window.boundary_view, "loss": window.loss_view, "network": window.network_view}
            view_state = window.view_state
            job.start(request, views, lambda: view_state.frame, info, entries, window.controller.history)
            loop.exec()
            if "error" in outcome:
                raise AnimateError(outcome["error"])
            return outcome["paths"]
        finally:
            window.files.dialogs.ask = lambda *args, **kwargs: "discard"  # nothing to save: it is a copy
            window.close()
            window.deleteLater()


@contextmanager
def _env(name: str, value: str):
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


def _wait_for_run(controller) -> None:
    """The opened session's run is built in the training thread: wait for it (or for its error)."""
    from PySide6.QtCore import QEventLoop

    if not controller.starting:
        return
    loop = QEventLoop()
    controller.runStarted.connect(loop.quit)
    controller.error.connect(loop.quit)
    loop.exec()


def _last_error(window) -> str | None:
    errors = [text for kind, _title, text in window.files.dialogs.messages if kind == "error"]
    return errors[-1].split("\n\n")[0] if errors else None
