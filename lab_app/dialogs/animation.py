"""The Export animation dialog (File ▸ Export animation…): the run's recorded epochs as a GIF or PNG sequence.

The user chooses the views, the recorded epochs (a range, every k-th, at most N frames), the
picture size, the frame rate and the format; :class:`~lab_app.io.animation.AnimationExport` does the
work with progress and Cancel while the window stays live. The dialog reads the controller's
recorded weights (``ParamHistory``: ``len``, ``epochs()`` and an entry's ``epoch``/``params``) and
never changes the run or the document; the window's boundary view draws the frames and is given
back the frame on show after each one.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from lab_app.io.animation import VIEWS, AnimationExport, AnimationRequest
from lab_app.io.animation_frames import FORMATS, MAX_FRAMES, choose_frames
from lab_app.tasks import Debouncer

__all__ = ["AnimationDialog"]

_SUFFIX = {"gif": ".gif", "png": ".png"}


class AnimationDialog(QDialog):
    """A non-modal dialog that exports the current run's recorded epochs as an animation.

    Parameters
    ----------
    controller : the :class:`~lab_app.training.controller.TrainingController` (``recorded``,
        ``run_info``, ``history``).
    view_state : the :class:`~lab_app.view_state.ViewState` (the frame on show, put back after each frame).
    views : ``{key: widget}`` the window's views (keys of ``VIEWS``) that draw the frames
        (:class:`~lab_app.io.animation.FrameRenderer`); the size starts at the boundary plot's.
    choose_path : ``fn(suggested, fmt) -> str | None`` asks where to write (the window's file chooser).
    suggested : the file name offered first.
    """

    def __init__(self, controller, view_state, views, choose_path, suggested, parent=None):
        super().__init__(parent)
        self.setObjectName("animationDialog")
        self.setWindowTitle("Export animation")
        self.setModal(False)
        self._controller, self._view_state = controller, view_state
        self._choose_path = choose_path
        self._views = views
        self.job = AnimationExport(self)
        self.job.progress.connect(self._on_progress)
        self.job.finished.connect(self._on_finished)
        self.job.failed.connect(lambda message: self._say(f"Cannot export: {message}", error=True))
        self.job.cancelled.connect(lambda: self._say("Cancelled; nothing was written."))
        for signal in (self.job.finished, self.job.failed, self.job.cancelled):
            signal.connect(lambda *_: self._set_busy(False))
        self.written: list[str] = []
        rect = views["boundary"].plot_item.sceneBoundingRect()
        self._build((round(rect.width()), round(rect.height())), suggested)
        controller.runStarted.connect(self.refresh)
        controller.finished.connect(self.refresh)
        self._follow = Debouncer.throttle(500, self.refresh, parent=self)  # the range grows while training
        controller.progress.connect(self._follow.trigger)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self.refresh()

    # ------------------------------------------------------------ public API
    @property
    def busy(self) -> bool:
        return self.job.busy

    def refresh(self, *_args) -> None:
        """Offer the recorded epochs of the run now on show (the range keeps the user's choice where it fits)."""
        rec = self._controller.recorded
        epochs = rec.epochs() if len(rec) else None
        lo, hi = (int(epochs[0]), int(epochs[-1])) if epochs is not None else (0, 0)
        whole = self.first.value() == self.first.minimum() and self.last.value() == self.last.maximum()
        for box in (self.first, self.last):
            box.setRange(lo, hi)
        if whole or self.last.value() < self.first.value():
            self.first.setValue(lo)
            self.last.setValue(hi)
        self._update_count()

    def chosen_indices(self):
        """Indices into the recorded weights of the frames the controls choose."""
        rec = self._controller.recorded
        if not len(rec):
            return []
        return choose_frames(
            rec.epochs(), self.first.value(), self.last.value(), self.every.value(), self.max_frames.value()
        )

    def request(self) -> AnimationRequest:
        """The export the controls describe; ValueError says what is missing."""
        views = tuple(key for key, box in self.view_boxes.items() if box.isChecked())
        fmt = self.format_combo.currentData()
        path = self.path_edit.text().strip()
        if not path:
            raise ValueError("choose a file name")
        path = _with_suffix(path, fmt)
        folder = Path(path).parent
        if not folder.is_dir():
            raise ValueError(f"the folder {folder} does not exist")
        return AnimationRequest(
            path=path,
            fmt=fmt,
            views=views,
            size=(self.width_box.value(), self.height_box.value()),
            fps=self.fps.value(),
            caption=self.caption_box.isChecked(),
        )

    def export(self) -> bool:
        """Start the export the controls describe (False, with the reason on show, if it cannot start)."""
        info, rec = self._controller.run_info, self._controller.recorded
        if info is None or not len(rec):
            self._say("Nothing is recorded yet: press Train first.", error=True)
            return False
        indices = self.chosen_indices()
        if not len(indices):
            self._say(f"No recorded epoch lies between {self.first.value()} and {self.last.value()}.", error=True)
            return False
        try:
            request = self.request()
        except ValueError as exc:
            self._say(f"Cannot export: {exc}.", error=True)
            return False
        entries = [(rec[i].epoch, rec[i].params) for i in indices]
        self.path_edit.setText(request.path)
        view_state = self._view_state
        try:
            self.job.start(request, self._views, lambda: view_state.frame, info, entries, self._controller.history)
        except ValueError as exc:
            self._say(f"Cannot export: {exc}.", error=True)
            return False
        self.written = []
        self._set_busy(True)
        self._say(f"Exporting {len(entries)} frames…")
        return True

    def cancel(self) -> None:
        self.job.cancel()

    def shutdown(self) -> None:
        """Cancel and join the export (the window calls it when closing)."""
        self.job.shutdown()

    # ------------------------------------------------------------ building
    def _build(self, frame_size, suggested) -> None:
        self.view_boxes = {}
        views_row = QHBoxLayout()
        for key, text in VIEWS.items():
            box = QCheckBox(text, objectName=f"animView_{key}")
            box.setChecked(key == "boundary")
            self.view_boxes[key] = box
            views_row.addWidget(box)
        views_row.addStretch(1)
        self.first = _spin("animFirst", 0, 0)
        self.last = _spin("animLast", 0, 0)
        self.every = _spin("animEvery", 1, 10_000, tip="Take every k-th recorded epoch")
        self.max_frames = _spin("animMaxFrames", 2, MAX_FRAMES, 100, "Thin evenly to at most this many frames")
        range_row = QHBoxLayout()
        for label, box in (
            ("from", self.first),
            ("to", self.last),
            ("every", self.every),
            ("at most", self.max_frames),
        ):
            range_row.addWidget(QLabel(label))
            range_row.addWidget(box)
        self.count_label = QLabel(objectName="animCount")
        for box in (self.first, self.last, self.every, self.max_frames):
            box.valueChanged.connect(self._update_count)
        self.width_box = _spin("animWidth", 32, 4000, int(frame_size[0]))
        self.height_box = _spin("animHeight", 32, 4000, int(frame_size[1]))
        size_row = QHBoxLayout()
        size_row.addWidget(self.width_box)
        size_row.addWidget(QLabel("×"))
        size_row.addWidget(self.height_box)
        size_row.addWidget(QLabel("pixels per view"))
        size_row.addStretch(1)
        self.fps = QDoubleSpinBox(objectName="animFps", decimals=1, minimum=0.5, maximum=50.0, value=10.0)
        self.format_combo = QComboBox(objectName="animFormat")
        for key, text in FORMATS.items():
            self.format_combo.addItem(text, key)
        self.format_combo.currentIndexChanged.connect(self._follow_format)
        self.caption_box = QCheckBox("Write the epoch on each frame", objectName="animCaption")
        self.caption_box.setChecked(True)
        self.path_edit = QLineEdit(suggested, objectName="animPath")
        choose = QPushButton("Choose…", objectName="animChoose")
        choose.clicked.connect(self._choose)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(choose)

        form = QFormLayout()
        form.addRow("Views:", _wrap(views_row))
        form.addRow("Recorded epochs:", _wrap(range_row))
        form.addRow("", self.count_label)
        form.addRow("Size:", _wrap(size_row))
        form.addRow("Frames per second:", self.fps)
        form.addRow("Format:", self.format_combo)
        form.addRow("", self.caption_box)
        form.addRow("File:", _wrap(path_row))

        self.progress_bar = QProgressBar(objectName="animProgress")
        self.progress_bar.setRange(0, 100)
        self.status = QLabel("", objectName="animStatus")
        self.status.setWordWrap(True)
        self.export_button = QPushButton("Export", objectName="animExport")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.export)
        self.cancel_button = QPushButton("Cancel", objectName="animCancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        close = QPushButton("Close", objectName="animClose")
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.progress_bar, 1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

    # ------------------------------------------------------------ reacting
    def _update_count(self, *_args) -> None:
        indices = self.chosen_indices()
        if not len(indices):
            self.count_label.setText("No recorded epochs chosen (train first).")
            return
        epochs = self._controller.recorded.epochs()[indices]
        self.count_label.setText(f"{len(indices)} frames: epochs {epochs[0]} … {epochs[-1]}")

    def _follow_format(self) -> None:
        text = self.path_edit.text().strip()
        if text:
            self.path_edit.setText(_with_suffix(text, self.format_combo.currentData()))

    def _choose(self) -> None:
        fmt = self.format_combo.currentData()
        path = self._choose_path(os.path.basename(self.path_edit.text()) or "animation" + _SUFFIX[fmt], fmt)
        if path:
            self.path_edit.setText(_with_suffix(path, fmt))

    def _on_progress(self, percent: int) -> None:
        self.progress_bar.setValue(percent)

    def _on_finished(self, paths: list) -> None:
        self.written = list(paths)
        where = paths[0] if len(paths) == 1 else f"{len(paths)} PNG files ({paths[0]} …)"
        self._say(f"Wrote {where}.")

    def _set_busy(self, busy: bool) -> None:
        self.export_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        if not busy and self.progress_bar.value() < 100:
            self.progress_bar.setValue(0)

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setProperty("error", error)
        self.status.setStyleSheet("color: #B00020;" if error else "")

    def closeEvent(self, event) -> None:
        self.job.cancel()
        super().closeEvent(event)


def _with_suffix(path: str, fmt: str) -> str:
    """``path`` ending in the format's suffix (a GIF's ``.gif`` replaced by ``.png`` and back)."""
    root, ext = os.path.splitext(path)
    if ext.lower() in _SUFFIX.values():
        return root + _SUFFIX[fmt]
    return path + _SUFFIX[fmt]


def _spin(name: str, low: int, high: int, value: int | None = None, tip: str = "") -> QSpinBox:
    box = QSpinBox(objectName=name)
    box.setRange(low, high)
    box.setValue(low if value is None else value)
    if tip:
        box.setToolTip(tip)
    return box


def _wrap(layout) -> QWidget:
    widget = QWidget()
    layout.setContentsMargins(0, 0, 0, 0)
    widget.setLayout(layout)
    return widget
