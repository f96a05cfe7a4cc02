"""The Decision boundary panel: the model's predictions under the data (:class:`BoundaryView`)."""

from lab_app.panels.boundary.heatmap import STRENGTH, binary_lut, tint
from lab_app.panels.boundary.view import GRID_SHAPE, Y_RANGE_1D, BoundaryView

__all__ = ["GRID_SHAPE", "STRENGTH", "Y_RANGE_1D", "BoundaryView", "binary_lut", "tint"]
