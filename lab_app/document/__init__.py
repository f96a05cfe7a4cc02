"""The document: the user's points and classes, the undo commands that change them.

Owns: points, labels, classes, 1-D/2-D mode, feature names and the pair on the axes.
May import: ``engine`` and ``lab_app.widgets`` (colours). Never panels, training or the window.
"""
