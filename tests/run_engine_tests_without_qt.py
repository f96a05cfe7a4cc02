"""Run tests/engine with Qt made unimportable, as on a machine without PySide6 installed.

The engine must work in a notebook or on a server with no Qt at all; this proves its tests do
too. A finder at the front of ``sys.meta_path`` refuses every Qt binding, and pytest-qt is not
loaded. Usage: ``python tests/run_engine_tests_without_qt.py [pytest options]``.
"""

import importlib.abc
import sys
from pathlib import Path

import pytest

BLOCKED = ("PySide6", "shiboken6", "pyqtgraph", "PyQt5", "PyQt6", "pytestqt")


class NoQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (blocked: engine tests run without Qt)", name=name)
        return None


if __name__ == "__main__":
    sys.meta_path.insert(0, NoQt())
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]  # tests/engine is not `engine`
    # This checkout's engine, as `python -m pytest` from its root tests, not whichever one is
    # installed (an editable install of another worktree would otherwise be tested instead).
    sys.path.insert(0, str(here.parent))
    sys.exit(pytest.main([str(here / "engine"), "-p", "no:pytest-qt", *sys.argv[1:]]))
