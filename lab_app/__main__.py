"""``python -m lab_app`` is the same as the ``logit-lab`` command."""

import sys

from lab_app.cli import main

sys.exit(main())
