"""The insight tools: the loss landscape dock, the history scrubber and point forensics.

:func:`install_insight_tools` adds them to a :class:`lab_app.window.main_window.MainWindow`:

* a "Loss landscape" dock (``landscapeDock``, tabbed with the Loss dock, in the View menu)
  holding a :class:`~lab_app.panels.landscape.LandscapeView`;
* a :class:`~lab_app.panels.history.HistoryScrubber` under the decision boundary (time travel,
  onion skin, size by loss), recording every snapshot in one
  :class:`~lab_app.panels.history.ParamHistory` that the landscape's PCA slice reads too;
* hover forensics on the decision boundary (logit, probabilities, loss and gradient of a point).

Call it before the window connects its own slots, so the scrubber releases a pinned boundary
before the window shows a new run in it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QDockWidget

from lab_app.panels.history import HistoryScrubber, ParamHistory
from lab_app.panels.landscape import LandscapeView

__all__ = ["InsightTools", "install_insight_tools"]


class InsightTools:
    """What :func:`install_insight_tools` made (``window.insight_tools``)."""

    def __init__(self, history: ParamHistory, scrubber: HistoryScrubber, landscape: LandscapeView, dock: QDockWidget):
        self.history, self.scrubber, self.landscape, self.landscape_dock = history, scrubber, landscape, dock


def install_insight_tools(window) -> InsightTools:
    """Add the landscape dock, the history scrubber and hover forensics to ``window``.

    Sets ``window.insight_tools``, ``window.landscape_view``, ``window.history_scrubber`` and
    ``window.docks["landscape"]``; the Loss dock stays the visible tab.
    """
    controller = window.controller
    history = ParamHistory()
    scrubber = HistoryScrubber(
        controller, window.boundary_view, window.metrics_view, window.document, window.loss_view, history
    )
    window.boundary_view.layout().addWidget(scrubber)
    window.boundary_view.set_hover_enabled(True)

    landscape = LandscapeView(history, config_source=window.trainer_panel.config)
    loss = window.docks["loss"]
    dock = QDockWidget("Loss landscape", window)
    dock.setObjectName("landscapeDock")
    dock.setWidget(landscape)
    dock.setFeatures(loss.features())
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    window.tabifyDockWidget(loss, dock)
    loss.raise_()
    window.docks["landscape"] = dock
    action = dock.toggleViewAction()
    action.setObjectName("actionToggle_landscape")
    action.setStatusTip("The loss over a plane of parameters, with the optimizer's path")
    menu = window.view_menu
    menu.insertAction(next((a for a in menu.actions() if a.isSeparator()), None), action)

    controller.runStarted.connect(landscape.set_run)
    controller.progress.connect(landscape.add_snapshot)
    controller.dataResnapshotted.connect(lambda _epoch: landscape.data_changed(controller.run_info))
    window.installEventFilter(_CloseWatcher(window, landscape))

    tools = InsightTools(history, scrubber, landscape, dock)
    window.insight_tools, window.landscape_view, window.history_scrubber = tools, landscape, scrubber
    return tools


class _CloseWatcher(QObject):
    """Drops the landscape's background work when the window closes."""

    def __init__(self, window, landscape: LandscapeView):
        super().__init__(window)
        self._landscape = landscape

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.Close:
            self._landscape.shutdown()  # harmless if the close is refused: the next job restarts it
        return False
