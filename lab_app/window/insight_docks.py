"""The insight docks: the convergence doctor and the reference optimum, beside the metrics.

:func:`install_insight_docks` adds both to a :class:`lab_app.window.main_window.MainWindow` (tabbed with
the Metrics dock, toggled from the View menu) and wires them to each other: the reference view's
separation check informs the doctor, the separation banner's fix goes through the doctor's
one-click fix, and the doctor's "show the confusion matrix" raises the Metrics dock.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QDockWidget

from lab_app.panels.doctor import DoctorView
from lab_app.panels.reference import ReferenceView

__all__ = ["install_insight_docks"]


def install_insight_docks(window) -> tuple[DoctorView, ReferenceView]:
    """Create the "Doctor" (``doctorDock``) and "Reference optimum" (``referenceDock``) docks.

    Call it before the window saves its default layout and restores the saved one (both docks
    then take part in layouts). Sets ``window.doctor_view``, ``window.reference_view`` and
    ``window.docks["doctor"]``/``["reference"]``; the Metrics dock stays the visible tab.
    """
    doctor = DoctorView(window.controller)
    reference = ReferenceView(window.controller, boundary_view=window.boundary_view, loss_view=window.loss_view)
    metrics = window.docks["metrics"]
    actions = []
    for key, title, widget, tip in (
        ("doctor", "Doctor", doctor, "Convergence doctor: live signals and verdicts with fixes"),
        ("reference", "Reference optimum", reference, "The exact optimum of linear models, as R's glm would give it"),
    ):
        dock = QDockWidget(title, window)
        dock.setObjectName(f"{key}Dock")
        dock.setWidget(widget)
        dock.setFeatures(metrics.features())
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        window.tabifyDockWidget(metrics, dock)
        window.docks[key] = dock
        dock.visibilityChanged.connect(widget.set_shown)  # tab switches give no showEvent
        action = dock.toggleViewAction()
        action.setObjectName(f"actionToggle_{key}")
        action.setStatusTip(tip)
        actions.append(action)
    metrics.raise_()
    menu = window.view_menu
    first_separator = next((a for a in menu.actions() if a.isSeparator()), None)
    menu.insertActions(first_separator, actions)

    reference.resultReady.connect(lambda r: doctor.set_separation(r.run_id, r.separation))
    reference.fixRequested.connect(window.controller.apply_fix)
    doctor.showRequested.connect(lambda name: _raise_dock(window, name))
    doctor.verdictsChanged.connect(lambda verdicts: _badge(window.docks["doctor"], verdicts))
    # Wait for a running fit before the window (and the views) go away.
    window.installEventFilter(_CloseWatcher(window, reference))
    window.doctor_view, window.reference_view = doctor, reference
    return doctor, reference


def _raise_dock(window, name: str) -> None:
    dock = window.docks.get(name)
    if dock is not None:
        dock.show()
        dock.raise_()


def _badge(dock: QDockWidget, verdicts) -> None:
    """The dock's title (its tab) counts the warnings, so they are seen behind another tab."""
    warnings = sum(v.severity == "warning" for v in verdicts)
    dock.setWindowTitle(f"Doctor ({warnings})" if warnings else "Doctor")


class _CloseWatcher(QObject):
    def __init__(self, window, reference: ReferenceView):
        super().__init__(window)
        self._reference = reference

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.Close:
            self._reference.shutdown()
        return False
