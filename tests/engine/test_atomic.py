"""Atomic writes: through a symbolic link to its target, and a crash's leftovers cleaned up."""

import os
import time

import pytest

from engine.atomic import STALE_TEMP_SECONDS, atomic_write

pytestmark = pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links here")


def test_writing_over_a_link_writes_its_target_and_keeps_the_link(tmp_path):
    target = tmp_path / "real" / "session.json"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    atomic_write(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "new" and link.read_text() == "new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["session.json"]  # no temp left


def test_a_stale_temp_from_a_crash_goes_a_fresh_one_stays(tmp_path):
    path = tmp_path / "data[1].csv"  # glob characters in the name
    stale = tmp_path / ".data[1].csv.0123456789ab.tmp"
    fresh = tmp_path / ".data[1].csv.ba9876543210.tmp"  # another writer's, still at work
    other = tmp_path / ".other.csv.0123456789ab.tmp"
    for p in (stale, fresh, other):
        p.write_text("partial")
    old = time.time() - STALE_TEMP_SECONDS - 10
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    atomic_write(path, "x1,label\n1,0\n")
    assert not stale.exists() and fresh.exists() and other.exists()
    assert path.read_text() == "x1,label\n1,0\n"
