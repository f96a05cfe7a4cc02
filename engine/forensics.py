"""Point forensics: what one training point says to the model and what it asks of it.

For one point and one set of weights: its logit(s), class probabilities, loss
``−log P(true class)`` and the norm of its own gradient ``‖∇θ ℓᵢ‖`` in the parameter space the
optimizer sees (the mean gradient of a minibatch is the mean of these vectors). Linear models
use the closed form ``∇ℓᵢ = (p − t) ⊗ φ̃`` with ``φ̃ = [φ(x), 1]`` the standardized mapped
features plus the bias input, so ``‖∇ℓᵢ‖ = ‖p − t‖·‖φ̃‖``; networks with hidden layers use
:meth:`engine.network.Network.loss_and_grad` on the single row (the trainer's own backward pass).

No Qt here: the boundary view calls these and draws the answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .losses import sample_losses

#: The per-point loss is :func:`engine.losses.sample_losses`; this name stays for the boundary view,
#: which imports it from here (lab_app/panels/boundary.py is being split; rename it there afterwards).
losses_from_logits = sample_losses

__all__ = ["PointInfo", "loss_sizes", "losses_from_logits", "point_info"]

#: Point sizes (pixels) for "size points by loss": a sure right answer is small, a sure wrong one big.
SIZE_MIN, SIZE_MAX = 6.0, 20.0
#: The loss at which a point reaches SIZE_MAX (P(true class) ≈ 0.05).
SIZE_LOSS_CAP = 3.0
_MINUS = "\u2212"


@dataclass(frozen=True, eq=False)
class PointInfo:
    """Forensics of one point under one set of weights.

    Attributes
    ----------
    index : the point's row in the run's dataset.
    x : (n_inputs,) raw inputs.
    label : the point's class code.
    logits : (n_outputs,) the network's output (one logit for binary models).
    proba : (n_classes,) class probabilities.
    loss : ``−log proba[label]`` (computed from the logits, so it stays finite when P rounds to 0).
    grad_norm : ``‖∇θ ℓᵢ‖``, the norm of this point's gradient over every parameter.
    """

    index: int
    x: np.ndarray
    label: int
    logits: np.ndarray
    proba: np.ndarray
    loss: float
    grad_norm: float

    def html(self, class_names, input_names, split: str = "") -> str:
        """A few lines for the hover label."""

        def num(v, digits=4):
            return f"{v:.{digits}g}".replace("-", _MINUS)

        true = class_names[self.label]
        xs = ", ".join(f"{n} = {num(v)}" for n, v in zip(input_names, self.x))
        head = f"<b>point {self.index}</b> · class <b>{true}</b>" + (f" ({split})" if split else "")
        if len(self.logits) == 1:
            logit = f"logit z = {num(self.logits[0])}"
        else:
            logit = "logits z = (" + ", ".join(num(z) for z in self.logits) + ")"
        proba = "  ".join(f"P({n}) = {p:.3f}" for n, p in zip(class_names, self.proba))
        loss = f"loss {_MINUS}log P({true}) = {num(self.loss)}"
        grad = f"gradient ‖∇ℓ‖ = {num(self.grad_norm)}"
        return "<br>".join([head, xs, logit, proba, loss, grad])


def point_info(model, params, x_raw, label: int, index: int = -1) -> PointInfo:
    """Forensics of one point.

    Parameters
    ----------
    model : an ``engine.model.Model`` (its feature map, standardizer and network shape; its own
        weights are not used or changed).
    params : (n_params,) the weights to judge the point by.
    x_raw : (n_inputs,) the point's raw inputs.
    label : its class code.
    """
    x_raw = np.asarray(x_raw, dtype=np.float64).reshape(1, -1)
    net = model.network.copy()  # the model's dtype: the numbers the trainer computes
    net.set_params(np.asarray(params))
    phi = model.features(x_raw)  # (1, n_features) standardized
    y = np.array([int(label)])
    logits = net.logits(phi)[0].astype(np.float64)
    proba = net.predict_proba(phi)[0].astype(np.float64)
    loss = float(sample_losses(logits[None], y)[0])
    if net.is_linear:
        t = np.zeros(net.n_classes)
        t[int(label)] = 1.0
        residual = proba[1] - t[1] if net.n_outputs == 1 else proba - t  # p − y per logit
        grad_norm = float(np.linalg.norm(residual) * np.sqrt(float(phi[0] @ phi[0]) + 1.0))
    else:
        _, grad = net.loss_and_grad(phi, y)  # no penalty: the point's own
        grad_norm = float(np.linalg.norm(grad.astype(np.float64)))
    return PointInfo(int(index), x_raw[0].copy(), int(label), logits, proba, loss, grad_norm)


def loss_sizes(loss: np.ndarray) -> np.ndarray:
    """Point sizes in pixels growing with the loss: SIZE_MIN at 0, SIZE_MAX from SIZE_LOSS_CAP on.

    The square root makes a marker's *area* grow linearly with the loss.
    """
    share = np.clip(np.nan_to_num(np.asarray(loss, dtype=np.float64), nan=SIZE_LOSS_CAP) / SIZE_LOSS_CAP, 0.0, 1.0)
    return SIZE_MIN + (SIZE_MAX - SIZE_MIN) * np.sqrt(share)
