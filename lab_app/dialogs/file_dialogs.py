"""Every question the file actions ask the user, behind one small object tests can replace.

:class:`Dialogs` is the only place in :mod:`lab_app.window.files` that opens a modal window: a yes/no/
cancel question, a file chooser, a message, the export options. A test gives ``FileActions`` a
scripted stand-in (any object with the same methods) and nothing blocks. Where nobody can answer
— the ``offscreen`` and ``minimal`` Qt platforms, i.e. tests, CI and scripted runs — the real
:class:`Dialogs` does not open anything either: a question takes its ``headless`` answer, a file
chooser returns None and a message is only logged (and kept in :attr:`Dialogs.messages`).

File choosers are Qt's own widgets (``DontUseNativeDialog``): they look the same everywhere and
can be driven by tests, unlike the platform's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QWidget,
)

__all__ = ["EXPORT_TARGETS", "SCALES", "SCRIPT_FLAVOURS", "Dialogs", "ExportChoice", "ExportOptionsDialog", "headless"]

log = logging.getLogger(__name__)

#: What File ▸ Export PNG/SVG can draw: key → menu text.
EXPORT_TARGETS = {
    "boundary": "Decision boundary",
    "loss": "Loss curves",
    "accuracy": "Accuracy curves",
    "designer": "Data designer",
    "window": "Whole window",
}
#: What File ▸ Export as script can write: flavour → menu text.
SCRIPT_FLAVOURS = {
    "numpy": "NumPy (reproduces the lab's numbers)",
    "sklearn": "scikit-learn",
    "pytorch": "PyTorch",
    "keras": "Keras",
}
#: Resolutions offered: scale factor → text.
SCALES = {1.0: "1× (screen)", 2.0: "2× (slides)", 3.0: "3×", 4.0: "4× (print)"}


def headless() -> bool:
    """True when no one can answer a dialog (the offscreen/minimal platforms of tests and CI)."""
    return QGuiApplication.platformName() in ("offscreen", "minimal")


@dataclass(frozen=True)
class ExportChoice:
    target: str  # a key of EXPORT_TARGETS
    scale: float  # a key of SCALES


class Dialogs:
    """Modal questions, file choosers and messages for :class:`lab_app.window.files.FileActions`."""

    def __init__(self):
        self.messages: list[tuple[str, str, str]] = []  # (kind, title, text) of every message

    def ask(
        self,
        parent: QWidget,
        title: str,
        text: str,
        buttons: dict[str, str],
        default: str,
        headless_answer: str | None = None,
        detail: str = "",
    ) -> str:
        """Ask a question; ``buttons`` maps answer keys to button texts (the first is the
        affirmative one; a key "cancel" is the Escape answer). Returns the chosen key."""
        if headless():
            answer = headless_answer or default
            log.info("%s: %s → %s (no one can answer here)", title, text, answer)
            self.messages.append(("question", title, text))
            return answer
        box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
        box.setObjectName("fileQuestion")
        if detail:
            box.setInformativeText(detail)
        roles = [
            QMessageBox.ButtonRole.AcceptRole,
            QMessageBox.ButtonRole.DestructiveRole,
            QMessageBox.ButtonRole.ActionRole,
        ]
        made = {}
        for i, (key, label) in enumerate(buttons.items()):
            role = QMessageBox.ButtonRole.RejectRole if key == "cancel" else roles[min(i, 2)]
            made[key] = box.addButton(label, role)
        box.setDefaultButton(made[default])
        if "cancel" in made:
            box.setEscapeButton(made["cancel"])
        box.exec()
        clicked = box.clickedButton()
        return next((k for k, b in made.items() if b is clicked), "cancel" if "cancel" in made else default)

    def open_file_name(self, parent: QWidget, caption: str, folder: str, filters: str) -> str | None:
        if headless():
            return None
        path, _ = QFileDialog.getOpenFileName(
            parent, caption, folder, filters, options=QFileDialog.Option.DontUseNativeDialog
        )
        return path or None

    def save_file_name(self, parent: QWidget, caption: str, suggested: str, filters: str) -> str | None:
        """A path to write; Qt's dialog already asked whether to replace an existing file."""
        if headless():
            return None
        path, _ = QFileDialog.getSaveFileName(
            parent, caption, suggested, filters, options=QFileDialog.Option.DontUseNativeDialog
        )
        return path or None

    def export_options(self, parent: QWidget, available: list[str]) -> ExportChoice | None:
        if headless():
            return None
        dialog = ExportOptionsDialog(available, parent)
        return dialog.choice() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def script_flavour(self, parent: QWidget, flavours: dict[str, str]) -> str | None:
        """Which library the exported script uses: a key of ``flavours`` (key → text), None if cancelled."""
        if headless():
            return None
        texts = list(flavours.values())
        text, ok = QInputDialog.getItem(parent, "Export as script", "Train with:", texts, 0, False)
        return next((k for k, v in flavours.items() if v == text), None) if ok else None

    def error(self, parent: QWidget, title: str, text: str) -> None:
        self._message(QMessageBox.Icon.Warning, parent, title, text)

    def info(self, parent: QWidget, title: str, text: str) -> None:
        self._message(QMessageBox.Icon.Information, parent, title, text)

    def _message(self, icon, parent, title, text) -> None:
        kind = "error" if icon == QMessageBox.Icon.Warning else "info"
        self.messages.append((kind, title, text))
        if headless():
            (log.warning if kind == "error" else log.info)("%s: %s", title, text)
            return
        # Not modal: the window (and training) go on while the message is read.
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
        box.setObjectName("fileMessage")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()


class ExportOptionsDialog(QDialog):
    """Which picture to export and at what resolution; the file name (PNG or SVG) comes next."""

    def __init__(
        self, available: list[str], parent: QWidget | None = None, target: str | None = None, scale: float = 2.0
    ):
        super().__init__(parent)
        self.setObjectName("exportOptionsDialog")
        self.setWindowTitle("Export picture")
        self.target_combo = QComboBox(objectName="exportTarget")
        for key in available:
            self.target_combo.addItem(EXPORT_TARGETS[key], key)
        if target in available:
            self.target_combo.setCurrentIndex(available.index(target))
        self.scale_combo = QComboBox(objectName="exportScale")
        for value, text in SCALES.items():
            self.scale_combo.addItem(text, value)
        self.scale_combo.setCurrentIndex(max(0, list(SCALES).index(scale) if scale in SCALES else 1))
        note = QLabel(
            "PNG or SVG: choose by the file name's ending. SVG is vector graphics "
            "(any size); the resolution applies to PNG."
        )
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Choose file…")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Picture:", self.target_combo)
        form.addRow("Resolution:", self.scale_combo)
        form.addRow(note)
        form.addRow(buttons)

    def choice(self) -> ExportChoice:
        return ExportChoice(self.target_combo.currentData(), float(self.scale_combo.currentData()))
