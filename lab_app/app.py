"""Start the Qt application and open the lab window."""

from __future__ import annotations

import gc
import sys


def run(path: str | None = None, lesson: str | None = None) -> int:
    """Open the lab (optionally with a session or CSV file, or a lesson file); returns the exit status."""
    from PySide6.QtWidgets import QApplication

    from engine.runtime import limit_blas_threads
    from lab_app.window.main_window import APP_NAME, ORGANIZATION, MainWindow

    limit_blas_threads(1)  # measured: 5–11× faster small GEMMs, and the GUI thread keeps its core
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORGANIZATION)
    # Python's cyclic GC may run in whichever thread allocates — the training thread allocates
    # constantly — and deleting Qt objects there can crash. Collect on a GUI-thread timer instead.
    from pyqtgraph.util.garbage_collector import GarbageCollector

    collector = GarbageCollector(interval=1.0)
    window = MainWindow()
    sys.excepthook = unexpected_error_hook(window)
    window.show()
    # The window, Qt's wrappers and the imported modules are ~170,000 objects a full collection
    # walks: ~90 ms in the GUI thread every time one runs. They live as long as the program, so
    # move them out of the collector's sight (measured: a full collection 90 ms -> under 1 ms).
    gc.freeze()
    window.files.offer_recovery()  # after a crash: restore the autosaved work?
    if path:
        window.open_path(path)
    if lesson:
        window.lessons.open_path(lesson)
    status = app.exec()
    del collector
    return status


def unexpected_error_hook(window):
    """An excepthook for bugs in a Qt slot: the traceback goes to stderr for a bug report, the user
    gets a plain message (nothing is lost: the autosave keeps running), and the window stays usable."""
    import traceback

    from PySide6.QtWidgets import QMessageBox

    def hook(kind, value, tb):
        traceback.print_exception(kind, value, tb, file=sys.stderr)
        # A drag or brush stroke the error cut short would keep its undo step open (and Undo
        # disabled) for ever: close it, so what it did so far can be undone.
        doc = window.document
        while doc.in_gesture:
            doc.end_gesture()
        window._message(
            QMessageBox.Icon.Critical,
            "Something went wrong",
            f"Logit Lab hit an unexpected error in the last action:\n\n"
            f"{kind.__name__}: {value}\n\nThe window keeps working and your points are "
            "autosaved; Edit → Undo takes back an edit that went only half-way. The details "
            "were written to the terminal for a bug report.",
        )

    return hook
