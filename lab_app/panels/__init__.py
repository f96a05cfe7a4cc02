"""Dock panels, one module each; a panel takes the document and only subscribes to its signals."""
