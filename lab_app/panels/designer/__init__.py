"""The Data designer panel: draw, move, erase and select labelled points (:class:`DataDesigner`)."""

from lab_app.panels.designer.widget import TOOLS, DataDesigner

__all__ = ["TOOLS", "DataDesigner"]
