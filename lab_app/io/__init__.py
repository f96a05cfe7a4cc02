"""Files without dialogs: sessions to and from the window state, autosave, CSV loading, export.

May import: ``engine``, ``lab_app.document``, ``lab_app.training``, ``lab_app.panels`` (export
renders views); never ``lab_app.dialogs`` or ``lab_app.window``.
"""
