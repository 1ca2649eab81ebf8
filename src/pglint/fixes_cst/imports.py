"""Adding an import where a module keeps its imports, merged into an existing
`from module import ...` when there is one."""

from __future__ import annotations

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor

from pglint.diagnostics import Edit
from pglint.fixes_cst._region import line_edits
from pglint.source import line_starts

# (module, name or None for `import module`, the last row of the module's head: its
# docstring, `__future__` imports and the imports that lead it; 0 when it has none)
ImportSpec = tuple[str, str | None, int]


def add_import(text: str, module: str, name: str | None, head_last_row: int) -> tuple[Edit, ...]:
    starts = line_starts(text)
    head_last_row = min(head_last_row, len(starts) - 1)
    head = text[: starts[head_last_row]]
    parsed = cst.parse_module(head)
    context = CodemodContext()
    AddImportsVisitor.add_needed_import(context, module, name)
    new = AddImportsVisitor(context).transform_module(parsed).code
    if head_last_row == 0 and new.strip():
        new += "\n"  # a blank line between the new import and the code
    return line_edits(head, new)


def import_edits(text: str, spec: ImportSpec | None) -> tuple[Edit, ...]:
    return () if spec is None else add_import(text, *spec)


def drop_import(text: str, module: str, name: str, head_last_row: int) -> tuple[Edit, ...]:
    """Remove `from module import name` from the module's head (the caller has seen that
    nothing else uses it)."""
    starts = line_starts(text)
    head_last_row = min(head_last_row, len(starts) - 1)
    head = text[: starts[head_last_row]]
    context = CodemodContext()
    RemoveImportsVisitor.remove_unused_import(context, module, name)
    new = RemoveImportsVisitor(context).transform_module(cst.parse_module(head)).code
    return line_edits(head, new)
