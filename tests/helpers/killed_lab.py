"""A lab in a child process, to be killed with SIGKILL: the crash-recovery tests' common part."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys

CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # its lab_app


def start_lab(script: str, tmp_path) -> subprocess.Popen:
    """Run ``script`` (Python source; argv[1] is a settings file) offscreen, autosaving into
    ``tmp_path / "recovery"``."""
    env = {**os.environ, "LOGIT_LAB_RECOVERY_DIR": str(tmp_path / "recovery"), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path / "child.ini")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=CHECKOUT,
    )


def first_report(child: subprocess.Popen, timeout: float = 90) -> dict:
    """The JSON line the child prints once it is ready to be killed."""
    ready, _, _ = select.select([child.stdout], [], [], timeout)
    assert ready, "the child never reported"
    line = child.stdout.readline()
    assert line, child.stderr.read()
    return json.loads(line)


def kill_9(child: subprocess.Popen) -> None:
    """SIGKILL, as a crash or the OOM killer would: no clean exit, no chance to tidy up."""
    child.send_signal(signal.SIGKILL)
    child.wait(30)
    child.stdout.close()
    child.stderr.close()
