"""A linear model's learned equation in the original units of its features, as text and as LaTeX.

One equation per logit: a binary model has one, ``logit P(last class) = b + Σ wⱼ·φⱼ(x)``; softmax
has one score per class, ``z[k] = …``, and P(k) = softmax(z)ₖ. The numbers are
:meth:`engine.model.Model.coef_intercept`'s, so they compare with R's ``glm`` directly.
"""

from __future__ import annotations

import math
import re

__all__ = ["equation_latex", "equation_text"]


def equation_text(model, digits: int = 6) -> str:
    """The learned equation(s) as plain text, one line per logit; ValueError for a model with hidden layers."""
    return "\n".join(model.equation(digits))


def equation_latex(model, digits: int = 6) -> str:
    """The learned equation(s) as LaTeX (math mode, without delimiters); several logits are the
    rows of an ``aligned`` environment. ValueError for a model with hidden layers."""
    coef, intercept = model.coef_intercept()
    terms = [_latex_term(kind, arg, model.input_names) for kind, arg in model.feature_map.terms]
    rows = []
    for k in range(coef.shape[0]):
        if coef.shape[0] == 1:
            label = rf"\operatorname{{logit}} P(\text{{{_escape(model.classes[-1])}}})"
        else:
            label = rf"z_{{\text{{{_escape(model.classes[k])}}}}}"
        parts = [_latex_number(intercept[k], digits)]
        for w, term in zip(coef[k], terms):
            sign = "-" if w < 0 else "+"
            parts.append(rf"{sign} {_latex_number(abs(w), digits)}\,{term}")
        rows.append((label, " ".join(parts)))
    if len(rows) == 1:
        return f"{rows[0][0]} = {rows[0][1]}"
    body = " \\\\\n".join(f"{label} &= {rhs}" for label, rhs in rows)
    return "\\begin{aligned}\n" + body + "\n\\end{aligned}"


def _latex_term(kind: str, arg, input_names) -> str:
    names = [_latex_name(n) for n in input_names]
    if kind in ("sin", "cos"):
        return rf"\{kind}({names[arg]})"
    factors = [names[i] + ("" if p == 1 else f"^{{{p}}}") for i, p in enumerate(arg) if p]
    return r" \cdot ".join(factors) if len(factors) > 1 else factors[0]


def _latex_name(name: str) -> str:
    """``x1`` → ``x_{1}``; ``x`` → ``x``; any other name upright and escaped."""
    match = re.fullmatch(r"([A-Za-z])_?(\d+)", name)
    if match:
        return f"{match.group(1)}_{{{match.group(2)}}}"
    if re.fullmatch(r"[A-Za-z]", name):
        return name
    return rf"\mathrm{{{_escape(name)}}}"


def _latex_number(value: float, digits: int) -> str:
    text = f"{float(value):.{digits}g}"
    if not math.isfinite(value) or "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    return rf"{mantissa} \times 10^{{{int(exponent)}}}"


_SPECIAL = {c: "\\" + c for c in "#$%&_{}"}
_SPECIAL.update({"\\": r"\textbackslash{}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"})


def _escape(text) -> str:
    return "".join(_SPECIAL.get(c, c) for c in str(text))
