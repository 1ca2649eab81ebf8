"""Structural fixes, worked out with libcst when a fix is applied or shown.

A rule whose fix restructures code (wraps a block in `try`/`finally`, turns it into an
`async with`, moves a statement to module level, adds an import) describes the change as
a ``Plan`` of plain data (pglint.diagnostics). This package turns a plan into text edits
against the file's text, and only then: a run that only reports never imports it, nor
libcst (which takes longer to import than a bare interpreter takes to start).

libcst keeps every comment, blank line and string as written, and re-indents a block it
moves. It parses only the region a plan names — the top-level statement the change is
in, or the module's leading imports — never the whole file. libcst rejects some code
CPython accepts and can recurse deeply: a plan it cannot carry out yields no edits, the
finding stays, and the run goes on. Whatever the edits, ``pglint.fixes`` applies them
only when the result still parses.
"""

from __future__ import annotations

from collections.abc import Callable

from pglint import budget
from pglint.diagnostics import Edit, Plan

# Edits already worked out for the text being fixed: one round of `--fix` asks for a
# plan's edits more than once (applying the round, then retrying fix by fix).
_built: dict[Plan, tuple[Edit, ...] | None] = {}
_built_for: list[str] = [""]


def build(plan: Plan, text: str) -> tuple[Edit, ...] | None:
    """The edits ``plan`` makes to ``text``; None when it cannot be carried out."""
    if _built_for[0] is not text and _built_for[0] != text:
        _built.clear()
        _built_for[0] = text
    if plan not in _built:
        budget.check()  # the file's budget covers its fixes (OutOfTime goes up)
        _built[plan] = _carry_out(plan, text)
    return _built[plan]


def _carry_out(plan: Plan, text: str) -> tuple[Edit, ...] | None:
    builder = _builders().get(plan.kind)
    if builder is None:
        return None
    try:
        return tuple(builder(text, *plan.args))
    except RecursionError:
        return None
    except Exception:  # libcst cannot parse the region, or the code is not as planned
        return None


def _builders() -> dict[str, Callable[..., tuple[Edit, ...]]]:
    from pglint.fixes_cst import hoist, imports, lifecycle, strings

    return {
        "steps": _steps,
        "import": imports.add_import,
        "drop_import": imports.drop_import,
        "try_finally": lifecycle.try_finally,
        "borrow": lifecycle.borrow_from_pool,
        "hoist": hoist.to_module_scope,
        "sql_text": strings.rewrite_sql_text,
    }


def _steps(text: str, *steps: tuple[str, tuple]) -> tuple[Edit, ...]:
    """Several plans, as (kind, args), carried out on the same text: all or nothing."""
    edits: list[Edit] = []
    for kind, args in steps:
        built = build(Plan(kind, args), text)
        if built is None:
            raise ValueError(f"step {kind} cannot be carried out")
        edits += built
    return tuple(edits)
