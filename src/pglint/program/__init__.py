"""Whole-program facts: what a module's functions are to the rest of the tree.

A run has four phases, each visible in ``pglint.checking``:

1. index: every file is read, parsed once and walked; its facts give its rules'
   findings *and* its module entry (``entries``): functions, roles, calls and what they
   pass. A file is linted in this phase with what its own module says of its functions
   (as if it were the whole program).
2. summarize: the entries of the whole tree make the call graph (``graph``): which route
   reaches each function per request and through which calls, which functions a
   `Depends(...)` names, which only run once, what callers pass.
3. lint: a file whose functions the program sees differently from its own module (a
   helper in `db.py` a router reaches) is linted again with the program's facts; the
   others keep their findings from phase 1. Most files are parsed once.
4. report.

Forward facts — what a called function returns or yields, closes, or gives as SQL text —
come from the summaries of the modules a file imports (``pglint.project``), computed
when the file is linted; the facts here are the backward ones, which only the callers
can tell.
"""

from __future__ import annotations

from pglint.facts.model import ModuleFacts
from pglint.program.entries import ModuleEntry, build_entry
from pglint.program.graph import FunctionFacts, Program, Reached, ReverseFacts
from pglint.program.view import ReverseView, agrees

__all__ = [
    "FunctionFacts",
    "ModuleEntry",
    "Program",
    "Reached",
    "ReverseFacts",
    "ReverseView",
    "agrees",
    "apply_reverse",
    "build_entry",
    "local_program",
]


def local_program(path: str, entry: ModuleEntry) -> Program:
    """The module as if it were the whole program: what it says of its own functions."""
    return Program({path: entry})


def apply_reverse(facts: ModuleFacts, program: Program, path: str) -> None:
    """Give the module's functions what the program says of them, read on demand."""
    view = ReverseView(program, path)
    facts.reverse = view
    if facts.roles is not None:
        for info in facts.roles.functions.values():
            info.view = view
