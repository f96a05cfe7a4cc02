"""The Lessons dock: a lesson's steps, progress, the current step's text, and its buttons.

A view only: it shows what the window's lesson runner (:mod:`lab_app.window.lessons`) tells it
and announces the buttons as signals; it never changes the document or the training itself.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from .scratch import ScratchBox

__all__ = ["LessonsView"]

_PASSED, _CURRENT = "✓", "▶"


class LessonsView(QWidget):
    """Lesson chooser, step list with progress, the step's text and Back / Show me / Next.

    Signals
    -------
    lessonChosen(str) : a built-in lesson's name was picked in the chooser.
    openFileRequested() : "Open file…" (a teacher's lesson file).
    stepChosen(int) : a step was clicked in the list.
    backRequested(), nextRequested(), showMeRequested(), checkRequested()
    scratchRequested(str) : the From scratch box's "Run update" with the chosen bug's key.
    """

    lessonChosen = Signal(str)
    openFileRequested = Signal()
    stepChosen = Signal(int)
    backRequested = Signal()
    nextRequested = Signal()
    showMeRequested = Signal()
    checkRequested = Signal()
    scratchRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("lessonsView")
        self.chooser = QComboBox(objectName="lessonChooser")
        self.chooser.setToolTip("The lessons that come with Logit Lab")
        self.chooser.activated.connect(self._on_chosen)
        self.open_button = QPushButton("Open file…", objectName="lessonOpenFile")
        self.open_button.setToolTip("Open a lesson file (.json) written by a teacher (docs/lessons.md)")
        self.open_button.clicked.connect(self.openFileRequested)
        top = QHBoxLayout()
        top.addWidget(self.chooser, 1)
        top.addWidget(self.open_button)

        self.title = QLabel(objectName="lessonTitle", wordWrap=True)
        self.title.setStyleSheet("font-weight: bold; font-size: 11pt;")
        self.progress = QProgressBar(objectName="lessonProgress")
        self.progress.setFormat("%v of %m steps done")
        self.steps = QListWidget(objectName="lessonSteps")
        self.steps.currentRowChanged.connect(self._on_row)
        self.text = QTextBrowser(objectName="lessonText")
        self.text.setOpenExternalLinks(False)
        split = QSplitter(Qt.Orientation.Vertical, objectName="lessonSplitter")
        split.addWidget(self.steps)
        split.addWidget(self.text)
        split.setStretchFactor(1, 3)
        self.scratch = ScratchBox()
        self.scratch.runRequested.connect(self.scratchRequested)
        self.scratch.hide()  # only for steps that run an update from scratch (lesson 4)
        split.addWidget(self.scratch)
        split.setSizes([110, 400, 300])  # the list is short; the step's text and numbers need the room

        self.back_button = QPushButton("◀ Back", objectName="lessonBack")
        self.show_button = QPushButton("Show me", objectName="lessonShowMe")
        self.show_button.setToolTip("Do this step in the window for me, as I would")
        self.check_button = QPushButton("Check", objectName="lessonCheck")
        self.check_button.setToolTip("Check the step against what the window shows now")
        self.next_button = QPushButton("Next ▶", objectName="lessonNext")
        self.back_button.clicked.connect(self.backRequested)
        self.show_button.clicked.connect(self.showMeRequested)
        self.check_button.clicked.connect(self.checkRequested)
        self.next_button.clicked.connect(self.nextRequested)
        buttons = QHBoxLayout()
        for b in (self.back_button, self.show_button, self.check_button, self.next_button):
            buttons.addWidget(b)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.title)
        layout.addWidget(self.progress)
        layout.addWidget(split, 1)
        layout.addLayout(buttons)
        self._filling = False
        self.show_lesson(None, [], "Choose a lesson above, or open a lesson file.")

    # ------------------------------------------------------------ public API
    def set_catalog(self, entries) -> None:
        """``entries``: (name, title) of the built-in lessons, in the chooser's order."""
        self._filling = True
        self.chooser.clear()
        self.chooser.addItem("Choose a lesson…", "")
        for name, title in entries:
            self.chooser.addItem(title, name)
        self._filling = False

    def show_lesson(self, name: str | None, step_titles, summary: str, title: str = "") -> None:
        """A new lesson (or none): its title, summary and step list."""
        self._filling = True
        index = self.chooser.findData(name) if name else 0
        self.chooser.setCurrentIndex(max(index, 0))
        self.title.setText(title or "Lessons")
        self.steps.clear()
        for i, t in enumerate(step_titles, start=1):
            self.steps.addItem(QListWidgetItem(f"   {i}. {t}"))
        self.progress.setRange(0, max(len(step_titles), 1))
        self.progress.setValue(0)
        self.text.setHtml(f"<p>{html.escape(summary)}</p>")
        self._filling = False
        for b in (self.back_button, self.show_button, self.check_button, self.next_button):
            b.setEnabled(bool(step_titles))

    def show_step(self, index: int, passed, body_html: str, can_show: bool, scratch: bool = False) -> None:
        """Step ``index`` (0-based) is current; ``passed`` the done steps' indices; the text as HTML."""
        self._filling = True
        for i in range(self.steps.count()):
            item = self.steps.item(i)
            mark = _PASSED if i in passed else (_CURRENT if i == index else " ")
            item.setText(f"{mark} {item.text()[2:]}")
        self.steps.setCurrentRow(index)
        self.progress.setValue(len(passed))
        self.text.setHtml(body_html)
        self._filling = False
        self.back_button.setEnabled(index > 0)
        self.next_button.setEnabled(index < self.steps.count() - 1)
        self.show_button.setEnabled(can_show)
        self.scratch.setVisible(scratch)

    def body_text(self) -> str:
        """The step's text as plain text (tests, screen readers)."""
        return self.text.toPlainText()

    # ------------------------------------------------------------ reactions
    def _on_chosen(self, index: int) -> None:
        name = self.chooser.itemData(index)
        if name and not self._filling:
            self.lessonChosen.emit(name)

    def _on_row(self, row: int) -> None:
        if row >= 0 and not self._filling:
            self.stepChosen.emit(row)
