"""Dock panels, one module or subpackage each (panels never import each other); a panel takes the document and only subscribes to its signals."""
