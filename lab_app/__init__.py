"""Logit Lab's Qt program: the document, the main window and its panels (docs/design.md §1)."""
