"""The Help menu's texts."""

from __future__ import annotations

__all__ = ["HOW_TO", "about_text"]

HOW_TO = """<h3>How to use Logit Lab</h3>
<ol>
<li><b>Draw data</b> in the Data designer: click to place a point of the current class
(choose it with the coloured buttons or the keys 1–9); right-click erases; drag moves;
B is a brush that sprays points; S selects (then Delete or relabel).</li>
<li><b>Pick a model</b> in the Trainer panel: logistic or softmax regression, or a neural network
with up to 4 hidden layers; choose input features, optimizer, learning rate, batch size.</li>
<li><b>Press Train</b> (Space). The Loss and Decision boundary views update live, and the run
stops by itself once converged (the Epochs row also offers "until stopped" and a fixed count);
Space again pauses, Step (Ctrl+E) runs one epoch, Step one minibatch (Ctrl+Alt+E) one minibatch,
Reset (Ctrl+R) draws new initial weights. The <b>Pace</b> slider (Ctrl+[ slower, Ctrl+] faster)
goes from slow motion, every minibatch on show, to flat out; it never changes the numbers.</li>
<li>Test points (the test fraction) are hollow; misclassified points are ringed.
View ▸ Show test points (Ctrl+Shift+T) hides them; View ▸ Discretize output (Ctrl+Shift+D)
shows hard class regions instead of probabilities.</li>
<li>The <b>History</b> bar under the boundary goes back to any recorded epoch; every view then
shows that epoch until you press Live.</li>
</ol>
<p><b>Lessons</b> (Help ▸ Lessons…) walk through the classic questions step by step in this
window; <i>Show me</i> does a step for you.</p>
<p>If training diverges, the lab keeps the last good model and tells you why
(usually: learning rate too high, or inputs not standardized).</p>"""


def about_text() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        v = version("logit-lab")
    except PackageNotFoundError:
        v = "development"
    return (
        f"<b>Logit Lab</b> {v}<p>Draw data, train logistic, softmax and small neural "
        "networks, and watch them learn — with exact numbers beside the pictures.</p>"
    )
