"""Logit Lab's Qt program: the document, the main window and its panels (DESIGN.md §1)."""
