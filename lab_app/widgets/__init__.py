"""Small reusable Qt pieces: plot set-up, the colour palette, whether an edit kept the rows (so
per-row marks still apply), a splitter that stacks its panes when narrow, and the drawing tools
and gestures both canvases share (:mod:`.drawing`, which knows the document only by the methods
it calls).

The bottom layer: imports only Qt, pyqtgraph and NumPy.
"""
