"""Big CSV files in the import dialog: read a chunk at a time, so the first bad cell is reported
when its chunk is reached (the rest is never parsed) and Stop acts mid-file, quoted files too.
Tiny chunks stand in for the ~1 MB ones, so the files stay small and the tests fast."""

from __future__ import annotations

import time

import pytest

import engine.csv_chunks as csv_chunks
import engine.csv_parser as csv_parser
from lab_app.dialogs.import_csv import ImportDialog


@pytest.fixture
def parsed(monkeypatch):
    """Tiny chunks; records the length of every text the general parser is given."""
    monkeypatch.setattr(csv_chunks, "CHUNK_CHARS", 512)
    lengths = []
    real = csv_parser.Table.parse.__func__

    def spy(cls, text, *args, **kwargs):
        lengths.append(len(text))
        return real(cls, text, *args, **kwargs)

    monkeypatch.setattr(csv_parser.Table, "parse", classmethod(spy))
    return lengths


def write(path, rows, bad_row=None, quoted=False):
    labels = ['"a b"'] * 2 if quoted else ["a", "b"]
    lines = [f"{i * 0.25!r},{i % 9},{labels[i % 2]}\n" for i in range(rows)]
    if bad_row is not None:
        lines[bad_row] = "7.5,oops,a\n"
    path.write_text("x1,x2,label\n" + "".join(lines))


def test_a_bad_cell_late_in_the_file_is_reported_from_its_chunk_alone(qtbot, tmp_path, parsed):
    """Defect: one bad cell on the last line sent the whole file through the general parser
    (and a 294 MB file took 103 s to say so)."""
    path = tmp_path / "late.csv"
    write(path, 6000, bad_row=5000)
    dialog = ImportDialog(path)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.ready, timeout=20000):
        dialog.show()
    assert dialog.problems[0].startswith("line 5002, column 2 'x2': 'oops' is not a number.")
    assert not dialog.import_button.isEnabled()
    # The header and its first 200 rows, then the bad chunk: never the whole text.
    assert len(parsed) == 2 and max(parsed) < path.stat().st_size / 20


def test_stop_acts_mid_file_on_a_quoted_file(qtbot, tmp_path, parsed, monkeypatch):
    """Defect: a file the fast path could not take (quote marks) was parsed in one piece, with no
    progress and no way to stop until it was done (Stop took ~15 s on a big file)."""
    from lab_app.io import csv_loader

    real = csv_loader.read_csv

    def crawling(path, x=None, label=None, *, progress=None):
        def step(fraction):
            time.sleep(0.005)
            progress(fraction)

        return real(path, x, label, progress=step)

    monkeypatch.setattr(csv_loader, "read_csv", crawling)
    path = tmp_path / "quoted.csv"
    write(path, 6000, quoted=True)
    dialog = ImportDialog(path)
    qtbot.addWidget(dialog)
    seen = []
    dialog.loader.progress.connect(seen.append)
    with qtbot.waitSignal(dialog.loader.progress, timeout=20000, check_params_cb=lambda p: 10 <= p < 50):
        dialog.show()
    chunks_before = len(parsed)
    with qtbot.waitSignal(dialog.ready, timeout=20000):
        dialog.cancel_load_button.click()
    assert "stopped" in dialog.status_label.text() and dialog.dataset is None
    assert len(parsed) <= chunks_before + 1  # at most the chunk under way when Stop came
    assert max(seen) < 60
