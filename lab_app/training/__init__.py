"""Training in the background: the controller (GUI thread), its worker thread and the probes.

Owns: the training configuration and the current run (config, snapshots, history).
May import: ``engine`` and ``lab_app.tasks``. Never the document's internals, panels or the window.
"""
