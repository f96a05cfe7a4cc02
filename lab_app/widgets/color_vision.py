"""Can a colour-blind viewer tell a palette's colours apart? Simulation and colour difference.

Each colour is simulated for protanopia, deuteranopia and tritanopia with Machado, Oliveira &
Fernandes (2009) at full severity (their matrices act on linear RGB, so sRGB is decoded first and
the result clipped to the gamut), converted to CIELAB (D65) and compared pairwise with CIEDE2000
(Sharma, Wu & Dalal 2005). A palette passes when every pair differs by at least :data:`THRESHOLD`
for normal vision and for each deficiency. 10 is several times the just-noticeable difference
(ΔE₀₀ ≈ 1–2.3), the margin small marks such as 8-px points and 2-px lines need; docs/design.md §9
lists the palettes and their figures. NumPy only: tests and scripts use it without a display.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["MACHADO_2009", "THRESHOLD", "VISIONS", "Closest", "ciede2000", "closest_pairs", "lab", "simulate"]

#: Least CIEDE2000 difference between any two colours of a palette, for every vision.
THRESHOLD = 10.0

#: Machado et al. (2009) simulation matrices, severity 1.0, acting on linear RGB column vectors.
MACHADO_2009 = {
    "protanopia": np.array(
        [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]
    ),
    "deuteranopia": np.array(
        [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]
    ),
    "tritanopia": np.array(
        [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]]
    ),
}
VISIONS = ("normal", *MACHADO_2009)

# Linear sRGB → XYZ (D65), and the white point it maps (1, 1, 1) to.
_RGB_TO_XYZ = np.array(
    [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
)
_WHITE = _RGB_TO_XYZ.sum(axis=1)


class Closest(NamedTuple):
    """The least different pair of a palette under one vision."""

    delta_e: float
    first: str
    second: str


def simulate(hexes, vision: str) -> np.ndarray:
    """(n, 3) linear RGB in [0, 1] of the ``hexes`` ("#RRGGBB") as seen with ``vision`` (a key of :data:`VISIONS`)."""
    rgb = _linear(hexes)
    if vision == "normal":
        return rgb
    return np.clip(rgb @ MACHADO_2009[vision].T, 0.0, 1.0)


def lab(linear_rgb) -> np.ndarray:
    """(n, 3) CIELAB (D65) of (n, 3) linear RGB."""
    xyz = np.asarray(linear_rgb, dtype=np.float64) @ _RGB_TO_XYZ.T / _WHITE
    eps = (6 / 29) ** 3
    f = np.where(xyz > eps, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=-1)


def ciede2000(lab1, lab2) -> np.ndarray:
    """CIEDE2000 colour difference of CIELAB colours (…, 3), broadcast (Sharma et al. 2005, kL = kC = kH = 1)."""
    lab1, lab2 = np.asarray(lab1, dtype=np.float64), np.asarray(lab2, dtype=np.float64)
    L1, a1, b1 = np.moveaxis(lab1, -1, 0)
    L2, a2, b2 = np.moveaxis(lab2, -1, 0)
    c_mean = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_mean**7 / (c_mean**7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    chroma0 = c1p * c2p == 0
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(chroma0, 0.0, dh)
    d_l, d_c = L2 - L1, c2p - c1p
    d_h = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    l_mean, cp_mean = (L1 + L2) / 2, (c1p + c2p) / 2
    h_sum = h1p + h2p
    h_mean = np.where(
        chroma0,
        h_sum,
        np.where(np.abs(h1p - h2p) <= 180, h_sum / 2, np.where(h_sum < 360, (h_sum + 360) / 2, (h_sum - 360) / 2)),
    )
    t = (
        1
        - 0.17 * np.cos(np.radians(h_mean - 30))
        + 0.24 * np.cos(np.radians(2 * h_mean))
        + 0.32 * np.cos(np.radians(3 * h_mean + 6))
        - 0.20 * np.cos(np.radians(4 * h_mean - 63))
    )
    s_l = 1 + 0.015 * (l_mean - 50) ** 2 / np.sqrt(20 + (l_mean - 50) ** 2)
    s_c = 1 + 0.045 * cp_mean
    s_h = 1 + 0.015 * cp_mean * t
    r_t = (
        -np.sin(np.radians(60 * np.exp(-(((h_mean - 275) / 25) ** 2))))
        * 2
        * np.sqrt(cp_mean**7 / (cp_mean**7 + 25.0**7))
    )
    return np.sqrt((d_l / s_l) ** 2 + (d_c / s_c) ** 2 + (d_h / s_h) ** 2 + r_t * (d_c / s_c) * (d_h / s_h))


def closest_pairs(hexes) -> dict[str, Closest]:
    """For each vision, the least different pair of ``hexes`` (at least two colours)."""
    hexes = list(hexes)
    i, j = np.triu_indices(len(hexes), 1)
    result = {}
    for vision in VISIONS:
        colours = lab(simulate(hexes, vision))
        d = ciede2000(colours[i], colours[j])
        k = int(np.argmin(d))
        result[vision] = Closest(float(d[k]), hexes[i[k]], hexes[j[k]])
    return result


def _linear(hexes) -> np.ndarray:
    """(n, 3) linear RGB of "#RRGGBB" strings (the sRGB transfer function undone)."""
    srgb = np.array([[int(h[k : k + 2], 16) for k in (1, 3, 5)] for h in hexes], dtype=np.float64) / 255.0
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
