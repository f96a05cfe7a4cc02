"""The one-line caption under a panel's numbers, and its training/test/all points chooser."""

from __future__ import annotations

__all__ = ["offer_test_split", "run_caption"]


def run_caption(model_name: str, epoch: int | None, n_train: int, n_test: int) -> str:
    """ "mlp · epoch 40 · 96 training, 24 test points" (parts that are missing left out)."""
    caption = model_name or ""
    if epoch is not None:
        caption += f"   ·   epoch {epoch}"
    caption += f"   ·   {n_train} training, {n_test} test points"
    return caption.strip(" ·")


def offer_test_split(combo, available: bool) -> None:
    """Enable the "test" entry (index 1) of a points chooser only when there are test points;
    fall back to "training" when it was chosen and is gone (the combo's signal refills)."""
    combo.model().item(1).setEnabled(available)
    if not available and combo.currentIndex() == 1:
        combo.setCurrentIndex(0)
