"""Shared test set-up: Qt runs offscreen, before anything imports it."""
import gc
import os
import tempfile

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
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


@pytest.fixture
def settings(tmp_path):
    """Window settings in a private file, so tests never share or keep a layout."""
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, settings):
    """The real lab window, shown offscreen; its background work is stopped at teardown."""
    from lab_app.main_window import MainWindow

    w = MainWindow(settings=settings)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.controller.shutdown()
    w.landscape_view.shutdown()
