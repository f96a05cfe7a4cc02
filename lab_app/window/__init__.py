"""The main window: docks, menus, actions and the file commands that tie the parts together.

The top layer: it may import every other part of ``lab_app``; nothing below imports it.
"""
