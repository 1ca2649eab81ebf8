"""`pglint server`: pglint as a Language Server, for editors.

pygls and lsprotocol are imported only by this command (``pip install 'pglint[server]'``):
nothing else pglint does pays for them.
"""

from __future__ import annotations


def serve() -> None:
    from pglint.server.lsp import serve as run

    run()
