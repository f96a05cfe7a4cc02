"""Modal and modeless dialogs: CSV import, dataset generators, file choosers.

May import: ``engine``, ``lab_app.io``, ``lab_app.widgets``; never ``lab_app.window``.
"""
