"""Every palette the lab uses stays distinguishable for colour-blind viewers (issue 12).

Each palette is a set of colours that must be told apart in one view; each is checked for normal
vision, protanopia, deuteranopia and tritanopia (Machado et al. 2009) with CIEDE2000 ≥ THRESHOLD
(lab_app.widgets.color_vision; docs/design.md §9). A guard makes sure a colour added to the code
lands in a checked palette or in the list of colours that tell nothing apart.
"""

import re
from pathlib import Path

import numpy as np
import pytest

from lab_app.panels.boundary.heatmap import binary_lut, tint
from lab_app.panels.boundary.overlays import ReferenceContour
from lab_app.panels.evaluation.curves import _MARK_COLORS
from lab_app.panels.landscape import OPTIMIZER_COLORS
from lab_app.panels.landscape.view import MAP_COLORS, START_COLOR
from lab_app.panels.lessons.scratch import BUGGY_PEN, CORRECT_PEN
from lab_app.panels.loss import BEST_COLOR, SHOWN_COLOR, TRAIN_COLOR, VAL_COLOR
from lab_app.widgets import palette
from lab_app.widgets.color_vision import THRESHOLD, VISIONS, ciede2000, closest_pairs, lab, simulate


def _hex(rgb) -> str:
    return "#{:02X}{:02X}{:02X}".format(*(int(round(v)) for v in rgb[:3]))


_LUT = binary_lut(palette.rgb(0), palette.rgb(1))

#: Colours that must be told apart in one view: name → colours.
PALETTES = {
    "class colours (points, key)": palette.OKABE_ITO,
    "binary heatmap's two ends": (_hex(_LUT[0]), _hex(_LUT[-1])),
    "loss curves and pinned runs": (TRAIN_COLOR, VAL_COLOR, *palette.PIN_COLORS),
    "loss curves and their marks": (TRAIN_COLOR, VAL_COLOR, BEST_COLOR, SHOWN_COLOR),
    "boundary lines (contour, optimum, pinned)": (palette.INK, ReferenceContour.PEN[0], *palette.PIN_COLORS),
    "landscape paths and start": (*OPTIMIZER_COLORS.values(), START_COLOR),
    "evaluation operating points": _MARK_COLORS,
    "weight and activation signs": (palette.POSITIVE, palette.NEGATIVE),
    "lesson 4: correct and chosen update": (CORRECT_PEN.color().name(), BUGGY_PEN.color().name()),
}

#: Colours in the code that distinguish nothing from each other, and why.
UI_COLOURS = {
    "#000000": "black: projector ink, the last class colour, text",
    "#FFFFFF": "white backgrounds",
    "#1A1A1A": "palette.INK (marks, the contour) and text",
    "#333333": "plot text",
    "#444444": "description text",
    "#555555": "the brush cursor; the loss view's shown-epoch mark (checked above)",
    "#6B6B6B": "axis lines",
    "#777777": "test-point key outline, reference-line label",
    "#888888": "network edges at rest",
    "#999999": "the loss view's reference line",
    "#9A9A9A": "hover card border",
    "#AAAAAA": "the evaluation diagonal",
    "#C8C8C8": "legend borders",
    "#5A5A5A": "the optimum's dashed grey (checked above), the landscape's minimum",
    "#B00020": "error text",
    "#0033AA": "projector mode's selection highlight",
    "#8A5A00": "warning text",
    "#FFF4E0": "banner background",
    "#FFF4D6": "banner background",
    "#E0A040": "banner border",
    "#E0B84C": "banner border",
    "#E8F5EE": "info banner background",
    "#4CAF7D": "info banner border",
    "#E8F1FA": "CSV preview: feature column tint",
    "#FDF0D5": "CSV preview: label column tint",
    "#F9D6D5": "CSV preview: problem cell tint",
    **{c.upper(): "the landscape's sequential map (lightness ramp, not categories)" for c in MAP_COLORS},
}


@pytest.mark.parametrize("name", list(PALETTES))
def test_every_palette_is_distinguishable_for_every_vision(name):
    closest = closest_pairs(PALETTES[name])
    too_close = {v: c for v, c in closest.items() if c.delta_e < THRESHOLD}
    assert not too_close, f"{name}: {too_close}"


def test_the_binary_heatmap_ends_are_the_tinted_class_colours():
    assert PALETTES["binary heatmap's two ends"] == tuple(_hex(tint(palette.rgb(i))) for i in (0, 1))


def test_ciede2000_matches_sharma_wu_dalal():
    """Pairs 1, 2, 7, 17 and 25 of the paper's table (kL = kC = kH = 1)."""
    pairs = [
        ((50, 2.6772, -79.7751), (50, 0, -82.7485), 2.0425),
        ((50, 3.1571, -77.2803), (50, 0, -82.7485), 2.8615),
        ((50, 0, 0), (50, -1, 2), 2.3669),
        ((50, 2.5, 0), (73, 25, -18), 27.1492),
        ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ]
    got = ciede2000(np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs]))
    np.testing.assert_allclose(got, [p[2] for p in pairs], atol=5e-5)


def test_simulation_keeps_greys_and_merges_what_dichromats_confuse():
    greys = ["#000000", "#777777", "#FFFFFF"]
    for vision in VISIONS:
        np.testing.assert_allclose(simulate(greys, vision), simulate(greys, "normal"), atol=2e-3)
    # Red and green (deuteranopia) and blue and green (tritanopia): far apart normally, close for the deficient eye.
    for pair, vision in ((["#D62728", "#2CA02C"], "deuteranopia"), (["#1F77B4", "#2CA02C"], "tritanopia")):
        normal, deficient = (lab(simulate(pair, v)) for v in ("normal", vision))
        assert ciede2000(*normal) > 3 * ciede2000(*deficient)
    assert closest_pairs(["#D62728", "#2CA02C", "#1F77B4"])["deuteranopia"].delta_e < THRESHOLD


def test_every_colour_in_the_code_is_checked_or_distinguishes_nothing():
    root = Path(__file__).resolve().parents[2] / "lab_app"
    found = {m.upper() for f in root.rglob("*.py") for m in re.findall(r"#[0-9A-Fa-f]{6}\b", f.read_text("utf-8"))}
    checked = {c.upper() for colours in PALETTES.values() for c in colours}
    assert found - checked - set(UI_COLOURS) == set()
