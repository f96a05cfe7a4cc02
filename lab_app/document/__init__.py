"""The document: the user's points and classes, the undo commands that change them.

Owns: points, labels, classes, 1-D/2-D mode, feature names and the pair on the axes.
May import: ``engine`` and ``lab_app.widgets`` (colours). Never panels, training or the window.

Modules, each importing only those above it (an ``acyclic_siblings`` contract in pyproject.toml
keeps it so): :mod:`~lab_app.document.types` (value types and limits),
:mod:`~lab_app.document.state` (the rules: building and checking values),
:mod:`~lab_app.document.snapshot` (the points handed to training as O(1) read-only views),
:mod:`~lab_app.document.gestures` (one drag, one undo step), :mod:`~lab_app.document.commands`
(the undo commands and :class:`~lab_app.document.commands.CommandTarget`, all they may use of the
document) and :mod:`~lab_app.document.lab_document` (:class:`LabDocument`, the Qt model).
Callers import from here: ``from lab_app.document import LabDocument``.
"""

from lab_app.document.lab_document import LabDocument
from lab_app.document.snapshot import DataSnapshot
from lab_app.document.types import MAX_CLASSES, MAX_FEATURES, MIN_CLASSES, MODES, ClassInfo, State

__all__ = ["MAX_CLASSES", "MAX_FEATURES", "MIN_CLASSES", "MODES", "ClassInfo", "DataSnapshot", "LabDocument", "State"]
