"""The fixes of PGL403 and PGL404: release on every path what a function acquires.

- closed (or given back) after code that can raise: the statements between go into
  `try`, the release into `finally` — safe, the path without an exception is unchanged;
- never closed: the rest of its block goes into `try`, with the release in `finally` —
  safe for a driver connection or a pool checkout (nothing after the block uses it, and
  what it did not commit was never visible), unsafe for a SQLAlchemy session, whose
  loaded objects no longer load their attributes once it is closed;
- `with psycopg2.connect() as conn:` -> `with closing(psycopg2.connect()) as conn, conn:`
  (the block still commits or rolls back; then the connection is closed) — safe when
  nothing after the block uses the connection;
- an asyncpg / aiopg checkout -> `async with pool.acquire() as conn:` around its use.

Each needs the acquisition to be a plain `name = call` on its own row, the release (if
any) a statement of its own later in the same block, and the name bound only there.
"""

from __future__ import annotations

import ast

from pglint.diagnostics import Edit, Fix, Plan
from pglint.facts.model import ModuleFacts
from pglint.facts.resources import Resource
from pglint.rules._structural import (
    alone_on_its_rows,
    import_plan,
    position,
    reads_after,
    region,
    statement_holding,
    statement_list,
)

_ASYNC_WITH_POOLS = frozenset({"asyncpg", "aiopg"})
_DETACHING = frozenset({"sqlalchemy", "sqlalchemy_async"})


def release_fix(facts: ModuleFacts, resource: Resource) -> Fix | None:
    if not facts.wants_fixes:
        return None
    if resource.with_item is not None:
        return _closing_fix(facts, resource) if resource.state == "with_does_not_close" else None
    name = resource.name
    function = resource.function
    if name is None or len(function.bindings.get(name, ())) != 1 or name in function.globals:
        return None
    body = statement_list(facts, function, resource.site.block)
    if not body:
        return None
    acquiring = statement_holding(body, resource.node)
    if not _acquires(acquiring, resource, name) or not alone_on_its_rows(facts, body, acquiring):  # type: ignore[arg-type]
        return None
    rows = region(facts, function.node)
    if rows is None:
        return None
    style = "async_with" if _borrowed_async(resource) else "try"
    what = "give it back" if resource.checkout is not None else "close it"
    if resource.state == "closed_on_success":
        release = _release_statement(facts, resource, body, acquiring)  # type: ignore[arg-type]
        if release is None:
            return None
        plan = Plan(
            "try_finally",
            (rows, position(facts, resource.node), position(facts, release), "", style),
        )
        message = (
            "Use `async with`, which gives it back on every path"
            if style == "async_with"
            else f"Move the release into `finally`, so every path does {what}"
        )
        return Fix("safe", message, plan=plan)
    if resource.state not in ("not_closed", "with_does_not_close") or resource.releases:
        return None
    if reads_after(function.node, name, body[-1].end_lineno or 0):
        return None  # used after its block: the release cannot go at the block's end
    plan = Plan(
        "try_finally",
        (rows, position(facts, resource.node), None, resource.release_call(name), style),
    )
    detaches = resource.kind.driver in _DETACHING and resource.kind.role == "session"
    message = (
        "Use `async with`, which gives it back at the end of the block"
        if style == "async_with"
        else f"Wrap the rest of the block in `try` and {what} in `finally`"
    )
    return Fix("unsafe" if detaches else "safe", message, plan=plan)


def _acquires(statement: ast.stmt | None, resource: Resource, name: str) -> bool:
    """`name = <the call>` or `name = await <the call>`."""
    if not isinstance(statement, ast.Assign) or len(statement.targets) != 1:
        return False
    target = statement.targets[0]
    value = statement.value.value if isinstance(statement.value, ast.Await) else statement.value
    return isinstance(target, ast.Name) and target.id == name and value is resource.node


def _release_statement(
    facts: ModuleFacts, resource: Resource, body: list[ast.stmt], acquiring: ast.stmt
) -> ast.Call | None:
    """The one release call, when it is a statement of its own later in the same block."""
    if len(resource.releases) != 1:
        return None
    site = resource.releases[0]
    if site.block != resource.site.block:
        return None
    statement = statement_holding(body, site.node)
    if not isinstance(statement, ast.Expr) or not alone_on_its_rows(facts, body, statement):
        return None
    value = statement.value.value if isinstance(statement.value, ast.Await) else statement.value
    if value is not site.node or body.index(statement) <= body.index(acquiring):
        return None
    return site.node


def _borrowed_async(resource: Resource) -> bool:
    checkout = resource.checkout
    return (
        checkout is not None
        and checkout.awaited
        and resource.awaited
        and resource.kind.driver in _ASYNC_WITH_POOLS
    )


def _closing_fix(facts: ModuleFacts, resource: Resource) -> Fix | None:
    """`with connect() as conn:` -> `with closing(connect()) as conn, conn:`."""
    item = resource.with_item
    assert item is not None
    if item.is_async or item.expr is not resource.node or item.name is None:
        return None
    if resource.checkout is not None:
        return None
    target = next(
        (i.optional_vars for i in item.node.items if i.context_expr is resource.node), None
    )
    if not isinstance(target, ast.Name):
        return None
    function = resource.function
    if reads_after(function.node, item.name, item.node.end_lineno or 0):
        return None  # the connection is used after the block: closing it would break that
    closing = "closing"
    needed = import_plan(facts, "contextlib", "closing")
    if needed is False:
        module = import_plan(facts, "contextlib", None)
        if module is not True:
            return None
        closing, needed = "contextlib.closing", True
    source = facts.source
    edits = (
        Edit(source.start(resource.node), source.start(resource.node), f"{closing}("),
        Edit(source.end(resource.node), source.end(resource.node), ")"),
        Edit(source.end(target), source.end(target), f", {item.name}"),
    )
    plan = needed if isinstance(needed, Plan) else None
    return Fix("safe", "Close it with `contextlib.closing`; the block still commits", edits, plan)
