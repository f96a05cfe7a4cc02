"""Set-up for every test: Qt offscreen, shared helpers importable, nothing written into the checkout."""

import os
import sys
import tempfile
from pathlib import Path

from hypothesis import settings
from hypothesis.database import DirectoryBasedExampleDatabase

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt
sys.path.insert(0, str(Path(__file__).parent / "helpers"))

# Hypothesis keeps its example database in a temp folder, not in .hypothesis/ of the checkout.
settings.register_profile(
    "logit-lab", database=DirectoryBasedExampleDatabase(tempfile.mkdtemp(prefix="logit-lab-hypothesis-"))
)
settings.load_profile("logit-lab")
