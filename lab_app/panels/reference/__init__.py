"""What ``glm`` would say: the exact optimum of a linear model beside what the learner found.

On every new run of a model without hidden layers, :func:`compute_reference` fits the engine's
objective (mean cross-entropy + ``l2·Σw²`` on the standardized weights) exactly with scikit-learn
(:func:`engine.reference.fit_reference`) as a background task (:class:`lab_app.tasks.TaskRunner`;
Orange's rule: one task at a time, a new run supersedes the fit under way and its answer is
dropped). The view then shows a coefficient table, learned against optimum, in
original or standardized units; log-likelihood, deviance and AIC of both; for unpenalised binary
models ``glm``'s standard errors and z values; and a banner when the classes are separable, where
the unpenalised optimum does not exist. It also hands the optimum to the boundary view (a dashed
contour) and the optimum's objective to the loss view (the ``L − L*`` tab).

Modules: ``compute`` (the fit, no Qt), ``view`` (the dock's widget), ``format`` (numbers and tables).
"""

from lab_app.panels.reference.compute import ReferenceResult, compute_reference
from lab_app.panels.reference.view import SEPARATION_WINDOW, ReferenceView

__all__ = ["SEPARATION_WINDOW", "ReferenceResult", "ReferenceView", "compute_reference"]
