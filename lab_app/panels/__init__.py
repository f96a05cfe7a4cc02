"""Dock panels, one module or subpackage each; a panel takes the document and only subscribes to its
signals, and panels never import each other."""
