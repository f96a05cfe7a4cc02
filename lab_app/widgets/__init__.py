"""Small reusable Qt pieces with no knowledge of the lab: plot set-up and the colour palette.

The bottom layer: imports only Qt, pyqtgraph and NumPy.
"""
