"""PGL501: a sync (blocking) driver call made directly in an `async def`.

Reported once per function and driver, at the first blocking call; the message counts
the others. Calls on a parameter injected with `Depends(...)` are left to PGL502, which
reports the cause once at the function.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from pglint.drivers import ASYNC_EQUIVALENTS
from pglint.facts.model import DriverCall, ModuleFacts, Scope
from pglint.facts.resolve import Resolver
from pglint.rules import _plain_def as plain_def
from pglint.rules._async_context import injected_parameters, is_async, is_endpoint
from pglint.rules._plain_def import plain_def_fix
from pglint.rules._sqltext import shorten
from pglint.rules.base import Finding, Rule


def check(facts: ModuleFacts) -> Iterator[Finding]:
    resolver = Resolver.of(facts)
    groups: dict[tuple[int, str], list[DriverCall]] = {}
    functions: dict[int, Scope] = {}
    for call in facts.driver_calls:
        if call.kind.info.is_async or call.site.awaited:
            continue  # awaited: the object is not the sync one its annotation says
        function = call.site.scope.function()
        if function is None or not is_async(function):
            continue
        if facts.roles is not None and facts.roles.runs_once(function):
            continue  # startup, a script's main(), a migration: no requests wait on it
        if _through_dependency(call, function, facts, resolver):
            continue
        functions[id(function)] = function
        groups.setdefault((id(function), call.kind.driver), []).append(call)
    for (function_id, _), calls in groups.items():
        yield _finding(calls, functions[function_id], facts)


def _through_dependency(
    call: DriverCall, function: Scope, facts: ModuleFacts, resolver: Resolver
) -> bool:
    """A call on a `Depends(...)` parameter, or on an object made from one (`conn.cursor()`):
    PGL502 reports the injection instead."""
    injected = {id(b) for b in injected_parameters(function, facts)}
    if not injected:
        return False
    expr = call.receiver
    pos = _pos(call.node)
    for _ in range(4):  # `cur` <- `conn.cursor()` <- `conn` parameter
        root = _root_name(expr)
        if root is None:
            return False
        bindings = resolver.reaching(root.id, call.site.scope, pos)
        if not bindings:
            return False
        if all(id(b) in injected for b in bindings):
            return True
        if len(bindings) != 1 or bindings[0].kind not in ("assign", "with"):
            return False
        expr, pos = bindings[0].value, bindings[0].pos
    return False


def _root_name(expr: ast.expr | None) -> ast.Name | None:
    while isinstance(expr, ast.Attribute | ast.Call | ast.Subscript | ast.Await):
        expr = expr.func if isinstance(expr, ast.Call) else expr.value
    return expr if isinstance(expr, ast.Name) else None


def _finding(calls: list[DriverCall], function: Scope, facts: ModuleFacts) -> Finding:
    source = facts.source
    first = calls[0]
    name = getattr(function.node, "name", "?")
    shown = _shown(first, facts)
    more = f" (+{len(calls) - 1} more)" if len(calls) > 1 else ""
    message = (
        f"Blocking `{shorten(shown, 24)}`{more} in `async def {shorten(name, 20)}`; use an "
        "async driver"
    )
    lines = []
    offload = _to_thread(first, facts) if len(calls) == 1 and first.receiver else None
    lines.append(
        offload
        or "# move the database work into a plain `def` helper and call it with "
        "`await asyncio.to_thread(helper, ...)`"
    )
    equivalent = ASYNC_EQUIVALENTS.get(first.kind.driver)
    if equivalent:
        lines.append(f"# or use {equivalent}")
    if is_endpoint(function, facts):
        lines.append(
            f"# or declare `def {name}(...)`: the framework runs a plain `def` endpoint in "
            "a thread pool"
        )
    return Finding(
        source.start(first.node), source.end(first.node), message, "\n".join(lines),
        plain_def_fix(facts, function),
    )  # fmt: skip


def _shown(call: DriverCall, facts: ModuleFacts) -> str:
    arguments = "(...)" if call.node.args or call.node.keywords else "()"
    if call.receiver is None:
        return f"{facts.source.segment(call.node.func)}{arguments}"
    receiver = facts.source.segment(call.receiver)
    if len(receiver) > 30 or "\n" in receiver:
        receiver = "..."
    return f"{receiver}.{call.method}{arguments}"


def _to_thread(call: DriverCall, facts: ModuleFacts) -> str | None:
    """`await asyncio.to_thread(cur.execute, sql, params)` for a simple call."""
    node = call.node
    if call.method == "query" or any(isinstance(a, ast.Starred) for a in node.args):
        return None
    source = facts.source
    parts = [source.segment(node.func)]
    parts += [source.segment(a) for a in node.args]
    parts += [
        f"{k.arg}={source.segment(k.value)}" if k.arg else f"**{source.segment(k.value)}"
        for k in node.keywords
    ]
    text = f"await asyncio.to_thread({', '.join(parts)})"
    return text if "\n" not in text and len(text) <= 120 else None


def _pos(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))


RULE = Rule(
    code="PGL501",
    name="blocking-call-in-async-function",
    summary="sync database driver called inside async def",
    what_it_does=(
        "Checks for calls of sync database drivers (psycopg2, psycopg 3's sync classes, "
        "sqlite3, pg8000, a sync SQLAlchemy `Session`, `Connection` or `Engine`, Django's "
        "`connection.cursor()`) made directly in the body of an `async def`."
    ),
    why_bad=(
        "An `async def` runs on the event loop. A sync driver call blocks the whole loop "
        "until the database answers, so one slow query stalls every other request the "
        "worker is serving, and throughput falls to one query at a time. It works in "
        "development and collapses under load.\n\n"
        "Not reported: calls in a plain `def` (a framework runs a sync endpoint in a "
        "thread pool), in a nested `def` or `lambda` inside the `async def`, and functions "
        "handed to `asyncio.to_thread()`, `loop.run_in_executor()`, `run_in_threadpool()` "
        "or `AsyncSession.run_sync()`; nor code that runs once rather than per request: "
        "lifespan and startup handlers, a script's `main()`, migrations and tests. One "
        "finding per function and driver, at the first "
        "blocking call; calls on a `Depends(...)` parameter are reported once, at the "
        "function, by PGL502."
    ),
    example=(
        "import psycopg2\n\n"
        "@app.get('/users/{user_id}')\n"
        "async def get_user(user_id: int):\n"
        "    conn = psycopg2.connect()\n"
        "    cur = conn.cursor()\n"
        '    cur.execute("SELECT * FROM users WHERE id = %s", (user_id,))\n'
        "    return cur.fetchone()\n"
    ),
    use_instead=(
        "import asyncpg\n\n"
        "@app.get('/users/{user_id}')\n"
        "async def get_user(user_id: int):\n"
        "    conn = await app.state.pool.acquire()\n"
        "    try:\n"
        '        return await conn.fetchrow("SELECT * FROM users WHERE id = $1", user_id)\n'
        "    finally:\n"
        "        await app.state.pool.release(conn)\n"
    ),
    check=check,
    fix_availability="sometimes",
    fix_summary=plain_def.FIX_SUMMARY,
    fix_safety=plain_def.FIX_SAFETY,
    see_also="PGL502 for a sync session injected with `Depends(...)` into an `async def`.",
    references=(
        "https://fastapi.tiangolo.com/async/#path-operation-functions",
        "https://docs.python.org/3/library/asyncio-dev.html#running-blocking-code",
    ),
    more_bad=(
        "import sqlite3\n\n"
        "async def count_rows(path: str):\n"
        "    with sqlite3.connect(path) as db:\n"
        '        return db.execute("SELECT count(*) FROM t").fetchone()\n',
    ),
    more_good=(
        "import asyncio\n\nimport psycopg2\n\n"
        "def _count():\n"
        "    conn = psycopg2.connect()\n"
        "    try:\n"
        "        cur = conn.cursor()\n"
        '        cur.execute("SELECT count(*) FROM users")\n'
        "        return cur.fetchone()\n"
        "    finally:\n"
        "        conn.close()\n\n"
        "async def count_users():\n"
        "    return await asyncio.to_thread(_count)\n",
    ),
)
