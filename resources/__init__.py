"""Data files shipped with Logit Lab: example datasets (CSV), presets and lessons (JSON)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent
EXAMPLES = ROOT / "examples"
PRESETS = ROOT / "presets"
LESSONS = ROOT / "lessons"


def example(name: str) -> Path:
    """Path of a shipped example CSV, e.g. ``example("glm6.csv")``."""
    return EXAMPLES / name
