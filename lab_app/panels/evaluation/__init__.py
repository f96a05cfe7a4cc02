"""The Evaluation panel: ROC, precision–recall and reliability curves, and the scores at a
decision threshold (:class:`EvaluationView`)."""

from lab_app.panels.evaluation.view import LIVE_RATE, EvaluationView

__all__ = ["LIVE_RATE", "EvaluationView"]
