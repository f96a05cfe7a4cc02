"""The engine must run without Qt: in a notebook, in the CLI, in CI."""

import ast
import pathlib
import subprocess
import sys

import engine

ENGINE = pathlib.Path(engine.__file__).resolve().parent
QT = ("PySide6", "pyqtgraph", "shiboken6", "PyQt5", "PyQt6")


def test_no_engine_module_imports_qt():
    offenders = []
    paths = sorted(ENGINE.glob("*.py"))
    assert len(paths) > 10, ENGINE  # the real engine, not an empty folder
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in QT]
    assert not offenders


def test_importing_every_engine_module_loads_no_qt():
    modules = [p.stem for p in ENGINE.glob("*.py") if p.stem != "__init__"]
    code = (
        "import sys, importlib\n"
        f"for m in {modules!r}: importlib.import_module('engine.' + m)\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {QT!r}]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
