"""The status bar's permanent fields: epoch, loss, accuracy, speed, state, and a progress bar.

They show the controller's newest report (the same ``EpochReport`` the Loss view plots), so the
two can never disagree; :meth:`StatusFields.clear` empties them when no run is left on show.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar

__all__ = ["StatusFields"]

KEYS = ("epoch", "loss", "accuracy", "speed", "state")


class StatusFields:
    """Labels ``status_<key>`` and the progress bar ``epochProgress`` in ``bar``."""

    def __init__(self, bar: QStatusBar):
        self.labels: dict[str, QLabel] = {}
        for key in KEYS:
            label = QLabel("")
            label.setObjectName(f"status_{key}")
            label.setMinimumWidth(90)
            bar.addPermanentWidget(label)
            self.labels[key] = label
        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("epochProgress")
        self.progress_bar.setMaximumWidth(180)
        self.progress_bar.hide()
        bar.addPermanentWidget(self.progress_bar)
        self.set_state("idle")

    def start_run(self, info) -> None:
        """A new run: the progress bar counts to its epochs (hidden for "until stopped")."""
        epochs = info.config.epochs
        self.progress_bar.setVisible(epochs > 0)
        self.progress_bar.setRange(0, max(epochs, 1))
        self.progress_bar.setValue(0)

    def show_snapshot(self, snapshot) -> None:
        report, s = snapshot.latest, self.labels
        epoch = f"epoch {snapshot.epoch:,}"
        if snapshot.minibatch is not None:  # part-way through the next epoch (slow pace, a minibatch step)
            epoch += " + minibatch {}/{}".format(*snapshot.minibatch)
        s["epoch"].setText(epoch)
        if report is not None:
            s["loss"].setText("loss " + _pair(report.train_loss, report.val_loss, "{:.4f}"))
            s["accuracy"].setText("acc " + _pair(report.train_accuracy, report.val_accuracy, "{:.1%}"))
        rate = snapshot.samples_per_second
        s["speed"].setText(f"{rate:,.0f} samples/s" if rate else "")
        if self.progress_bar.isVisible():
            self.progress_bar.setValue(min(snapshot.epoch, self.progress_bar.maximum()))

    def set_state(self, state: str) -> None:
        self.labels["state"].setText(state)

    def clear(self) -> None:
        """No run on show: empty every field but the state."""
        for key in ("epoch", "loss", "accuracy", "speed"):
            self.labels[key].setText("")
        self.progress_bar.hide()


def _pair(train, test, fmt: str) -> str:
    """ "train / test", either part "–" when missing (a saved history may lack a value)."""
    parts = [fmt.format(train) if train is not None else "–"]
    if test is not None:
        parts.append(fmt.format(test))
    return " / ".join(parts)
