"""The document package imports one way: the commands and the document meet only in the shared types.

``lab_app.document.commands`` once imported ``LabDocument`` (for type hints) while ``lab_document``
imported the commands.  The import graph (static: it sees ``TYPE_CHECKING`` and function-level imports
too) shows whether any such circle comes back, directly, through another module or through the
package's ``__init__``.  pyproject.toml's ``acyclic_siblings`` contract says the same for ``lint-imports``.
"""

import grimp

PACKAGE = "lab_app.document"


def test_no_document_module_reaches_itself_through_another():
    graph = grimp.build_graph("lab_app", cache_dir=None)  # counts TYPE_CHECKING imports too
    modules = sorted(graph.find_children(PACKAGE))
    assert {f"{PACKAGE}.commands", f"{PACKAGE}.lab_document", f"{PACKAGE}.types"} <= set(modules)
    circles = [
        (a, b)
        for i, a in enumerate(modules)
        for b in modules[i + 1 :]
        if graph.find_shortest_chain(a, b) and graph.find_shortest_chain(b, a)
    ]
    assert circles == []
    assert graph.find_shortest_chain(f"{PACKAGE}.commands", f"{PACKAGE}.lab_document") is None
