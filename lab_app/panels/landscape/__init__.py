"""The loss landscape: the objective over a plane of parameters, with the optimizer's path on it.

* Models with two free parameters (1-D logistic regression: w and b; two features: w1 and w2
  with the bias held): a map of :meth:`engine.landscape.LossLandscape.grid`, the running model's
  path drawn live (one point per snapshot, in the coordinates the optimizer sees: standardized if
  the run standardizes), a click on the map chooses a start, and "Compare optimizers" runs SGD,
  momentum and Adam from it (:meth:`~engine.landscape.LossLandscape.compare_paths`) with the
  trainer panel's learning rate, batch size and epochs (capped, so the answer comes quickly).
* Larger models: "Compute slice" draws the loss on the plane of the first two principal directions
  of the recorded weights (:class:`engine.landscape.PCASlice`, on at most ``SLICE_ROWS`` training
  rows and a grid as fine as ``SLICE_BUDGET`` allows) with the path projected onto it.

Modules: ``compute`` (the plain functions run in the background, no Qt) and ``view`` (the widget).
"""

from lab_app.panels.landscape.compute import COMPARE_STEPS, OPTIMIZER_COLORS, SLICE_ROWS
from lab_app.panels.landscape.view import LandscapeView

__all__ = ["COMPARE_STEPS", "OPTIMIZER_COLORS", "SLICE_ROWS", "LandscapeView"]
