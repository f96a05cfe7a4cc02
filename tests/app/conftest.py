"""Set-up for the window's tests: Qt garbage collected while the app lives, private settings."""

import gc
import os
import tempfile

import pytest

from engine.runtime import limit_blas_threads

# As the program's entry point does (lab_app.app.run): BLAS on one thread, so tests time like the app.
limit_blas_threads(1)
# Test windows autosave; keep their recovery files out of the user's folder.
os.environ.setdefault("LOGIT_LAB_RECOVERY_DIR", tempfile.mkdtemp(prefix="logit-lab-tests-"))


@pytest.fixture(autouse=True)
def _collect_qt_garbage(request):
    """After a Qt test, delete its widgets and collect cycles while the QApplication lives.

    Left to the end of the session, Python's collector frees wrappers of Qt objects in an order
    Qt does not survive (a segmentation fault in pytest's final gc pass, seen here).
    """
    yield
    if not {"qtbot", "qapp"} & set(request.fixturenames):
        return
    from PySide6.QtCore import QCoreApplication, QEvent

    app = QCoreApplication.instance()
    if app is not None:
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        app.processEvents()
    gc.collect()
    gc.freeze()  # what survived is long-lived (modules, the app): later collections skip it


def flat_out_settings(path):
    """Window settings in a private file, so tests never share or keep a layout. Test windows
    train flat out (the pace is a view preference kept in these settings); tests of the pace
    choose their own."""
    from PySide6.QtCore import QSettings

    from lab_app.training.pace import FLAT_OUT
    from lab_app.window.pace import PACE_KEY

    settings = QSettings(str(path), QSettings.Format.IniFormat)
    settings.setValue(PACE_KEY, repr(FLAT_OUT))
    return settings


@pytest.fixture
def settings(tmp_path):
    """Private window settings (:func:`flat_out_settings`)."""
    return flat_out_settings(tmp_path / "settings.ini")


@pytest.fixture
def window(qtbot, settings):
    """The real lab window, shown offscreen; its background work is stopped at teardown."""
    from lab_app.window.main_window import MainWindow

    w = MainWindow(settings=settings)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.layout_settled and not w.controller.starting, timeout=5000)
    yield w
    w.controller.shutdown()
    w.landscape_view.shutdown()


@pytest.fixture
def make_window(qtbot, tmp_path, monkeypatch):
    """make_window(epochs=20, **config) -> a shown MainWindow with Scripted dialogs, training flat out."""
    from lab_app.training.config import DEFAULT_CONFIG
    from lab_app.window.main_window import MainWindow

    from window_helpers import Scripted, quiet

    recovery = tmp_path / "recovery"
    monkeypatch.setenv("LOGIT_LAB_RECOVERY_DIR", str(recovery))
    windows = []

    def make(epochs=20, document=None, **config):
        settings = flat_out_settings(tmp_path / f"settings{len(windows)}.ini")
        w = MainWindow(document, settings=settings, config=DEFAULT_CONFIG.with_(epochs=epochs, **config))
        w.files.dialogs = Scripted()
        # pytest-qt closes widgets before fixture teardown: stop scripting first, or an
        # "unexpected question" would be raised inside closeEvent (C++ calling Python).
        qtbot.addWidget(w, before_close_func=quiet)
        w.resize(1200, 800)
        w.show()
        qtbot.waitExposed(w)
        qtbot.waitUntil(lambda: w.layout_settled and not w.controller.starting, timeout=5000)
        windows.append(w)
        return w

    yield make
    for w in windows:
        quiet(w)
