"""What rules need to describe a structural fix (a ``Plan``, worked out by
pglint.fixes_cst only when the fix is wanted): where things are, in the plain terms a
plan carries, and what the module already imports. Nothing here imports libcst."""

from __future__ import annotations

import ast
import bisect

from pglint.diagnostics import Plan
from pglint.facts.model import ModuleFacts, Scope

Position = tuple[int, int]  # (row, column): 1-based row, 0-based character column


def position(facts: ModuleFacts, node: ast.AST) -> Position:
    location = facts.source.start(node)
    return location.row, location.column - 1


def top_level(facts: ModuleFacts, node: ast.AST) -> ast.stmt | None:
    """The module-level statement that holds ``node``."""
    body = facts.tree.body
    rows = [_first_row(stmt) for stmt in body]
    at = bisect.bisect_right(rows, node.lineno) - 1  # type: ignore[attr-defined]
    if at < 0:
        return None
    statement = body[at]
    if statement.end_lineno is None or statement.end_lineno < node.lineno:  # type: ignore[attr-defined]
        return None
    return statement


def region(facts: ModuleFacts, node: ast.AST) -> tuple[int, int] | None:
    """The rows of the module-level statement that holds ``node``, decorators included;
    None when that statement shares a row with another one (libcst parses these rows on
    their own)."""
    statement = top_level(facts, node)
    if statement is None or statement.end_lineno is None:
        return None
    first, last = _first_row(statement), statement.end_lineno
    source = facts.source
    before = source.line(first)[: source.char_col(first, _first_col(statement))]
    after = source.line(last)[source.char_col(last, statement.end_col_offset or 0) :]
    if before.strip() or (after.strip() and not after.strip().startswith("#")):
        return None
    return first, last


def _first_row(statement: ast.stmt) -> int:
    decorators = getattr(statement, "decorator_list", None)
    return decorators[0].lineno if decorators else statement.lineno


def _first_col(statement: ast.stmt) -> int:
    decorators = getattr(statement, "decorator_list", None)
    return 0 if decorators else statement.col_offset


def head_last_row(facts: ModuleFacts) -> int:
    """The last row of the module's head: its docstring and the imports that lead it
    (`__future__` ones included); 0 when the module starts with other code."""
    last = 0
    for index, statement in enumerate(facts.tree.body):
        docstring = (
            index == 0
            and isinstance(statement, ast.Expr)
            and isinstance(statement.value, ast.Constant)
            and isinstance(statement.value.value, str)
        )
        if not (docstring or isinstance(statement, ast.Import | ast.ImportFrom)):
            break
        last = statement.end_lineno or statement.lineno
    return last


def bound_at_module(facts: ModuleFacts, name: str) -> bool:
    return name in facts.module.bindings


def import_plan(facts: ModuleFacts, module: str, name: str | None) -> Plan | bool | None:
    """How to have ``name`` from ``module`` (``import module`` when name is None): True
    when the module already imports it as that name, a plan that adds the import, or
    False when the name is taken by something else."""
    local = name or module
    qualified = f"{module}.{name}" if name else module
    if facts.imports.get(local) == qualified:
        return True
    if bound_at_module(facts, local) or any(
        local in scope.bindings for scope in facts.scopes if scope is not facts.module
    ):
        return False
    return Plan("import", (module, name, head_last_row(facts)))


def statement_list(
    facts: ModuleFacts, function: Scope, block: tuple[int, ...]
) -> list[ast.stmt] | None:
    """The statements of the innermost body ``block`` names (a function's own body for
    ``()``)."""
    if not block:
        return getattr(function.node, "body", None)
    owner, field = facts.blocks.get(block[-1], (None, ""))
    body = getattr(owner, field, None)
    return body if isinstance(body, list) else None


def statement_holding(body: list[ast.stmt], node: ast.AST) -> ast.stmt | None:
    """The statement of ``body`` that holds ``node``."""
    row, col = node.lineno, node.col_offset  # type: ignore[attr-defined]
    for statement in body:
        start = (statement.lineno, statement.col_offset)
        end = (statement.end_lineno or 0, statement.end_col_offset or 0)
        if start <= (row, col) < end:
            return statement
    return None


def alone_on_its_rows(facts: ModuleFacts, body: list[ast.stmt], statement: ast.stmt) -> bool:
    """No other statement of ``body`` shares a row with ``statement`` (`a = 1; b = 2`)."""
    index = body.index(statement)
    before = body[index - 1] if index else None
    after = body[index + 1] if index + 1 < len(body) else None
    if before is not None and (before.end_lineno or 0) >= statement.lineno:
        return False
    return not (after is not None and after.lineno <= (statement.end_lineno or 0))


def reads_after(function: ast.AST, name: str, row: int) -> bool:
    """Whether ``function`` reads ``name`` on a row after ``row``."""
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and node.id == name and node.lineno > row:
            return True
    return False
