"""Small reusable Qt pieces with no knowledge of the lab: plot set-up, the colour palette, and whether
an edit kept the rows (so per-row marks still apply).

The bottom layer: imports only Qt, pyqtgraph and NumPy.
"""
