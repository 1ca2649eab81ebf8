"""The fix PGL501 and PGL502 share: an `async def` endpoint or dependency that awaits
nothing becomes a plain `def`, which FastAPI and Starlette run in their thread pool.

Offered only when nothing in the function needs the event loop — no `await`, `async
with`, `async for`, async comprehension or nested `async def`, nothing from asyncio,
anyio or trio — when its only decorators are the framework's, and when nothing in the
module calls it (a caller that awaits it would break). Safe when every database object
it reads from the module is safe to share between threads (an engine, a sessionmaker, a
thread-safe pool: the thread pool runs requests at once); unsafe when one is not or may
not be (a module-level session, cursor or sqlite3 connection, a psycopg2
`SimpleConnectionPool`, an object whose factory is not known).
"""

from __future__ import annotations

import ast
import re

from pglint.diagnostics import Edit, Fix
from pglint.facts.model import ModuleFacts, Scope
from pglint.facts.resolve import Resolver

_FRAMEWORKS = ("fastapi", "starlette")
_LOOP_MODULES = frozenset({"asyncio", "anyio", "trio"})
_ROUTE_DECORATORS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "trace", "route", "api_route"}
)
_DEPENDS = frozenset({"Depends", "Security"})
_SHARED_SAFELY = frozenset({"engine", "sessionmaker", "pool", "scoped_session"})
_UNSAFE_FACTORIES = frozenset({"psycopg2.pool.SimpleConnectionPool", "sqlite3.connect"})
_ASYNC_DEF = re.compile(r"async\s+(?=def\b)")


def plain_def_fix(facts: ModuleFacts, function: Scope) -> Fix | None:
    """`async def` -> `def` for ``function``, when the framework would run it as well."""
    node = function.node
    roles = facts.roles
    if not facts.wants_fixes or roles is None or not isinstance(node, ast.AsyncFunctionDef):
        return None
    info = roles.of(function)
    if info is None or not (info.is_endpoint or info.is_dependency):
        return None
    if not any(q.partition(".")[0] in _FRAMEWORKS for q in facts.imports.values()):
        return None
    if not _decorated_by_framework(node) or _needs_the_loop(node, facts):
        return None
    if _referenced_elsewhere(facts, node):
        return None
    source = facts.source
    start = source.location(node.lineno, node.col_offset)
    line = source.line(node.lineno)
    found = _ASYNC_DEF.match(line, start.column - 1)
    if found is None:
        return None
    end = start.__class__(start.row, found.end() + 1)
    safe = _shares_only_thread_safe_objects(facts, function)
    return Fix(
        "safe" if safe else "unsafe",
        "Make it a plain `def`: the framework runs it in its thread pool",
        (Edit(start, end, ""),),
    )


def _decorated_by_framework(node: ast.AsyncFunctionDef) -> bool:
    for decorator in node.decorator_list:
        func = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name not in _ROUTE_DECORATORS:
            return False
    return True


def _needs_the_loop(node: ast.AsyncFunctionDef, facts: ModuleFacts) -> bool:
    """Whether anything in the body (nested functions included) needs the event loop."""
    for inner in ast.walk(node):
        if inner is node:
            continue
        if isinstance(inner, ast.Await | ast.AsyncFor | ast.AsyncWith | ast.AsyncFunctionDef):
            return True
        if isinstance(inner, ast.Yield | ast.YieldFrom):
            return True  # an async generator
        if isinstance(inner, ast.comprehension) and inner.is_async:
            return True
        if isinstance(inner, ast.Name) and _from_loop_module(facts.imports.get(inner.id)):
            return True
    return False


def _from_loop_module(qualified: str | None) -> bool:
    return qualified is not None and qualified.partition(".")[0] in _LOOP_MODULES


def _referenced_elsewhere(facts: ModuleFacts, node: ast.AsyncFunctionDef) -> bool:
    """The module names the function anywhere but in its own definition and in
    `Depends(...)` / `Security(...)`, which take a plain `def` as well."""
    first, last = node.lineno, node.end_lineno or node.lineno
    return any(not first <= row <= last for row in _rows_naming(facts).get(node.name, ()))


def _rows_naming(facts: ModuleFacts) -> dict[str, list[int]]:
    """The rows where each name is read, `Depends(name)` aside: one walk per module."""
    known = facts.__dict__.get("_rows_naming")
    if known is None:
        known = facts.__dict__["_rows_naming"] = {}
        injected = set()
        for other in ast.walk(facts.tree):
            if isinstance(other, ast.Call) and other.args and _callee(other) in _DEPENDS:
                injected.add(id(other.args[0]))
            elif isinstance(other, ast.Name | ast.Attribute) and id(other) not in injected:
                name = other.id if isinstance(other, ast.Name) else other.attr
                known.setdefault(name, []).append(other.lineno)
    return known


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _shares_only_thread_safe_objects(facts: ModuleFacts, function: Scope) -> bool:
    """Every database object the function reads from outside it is safe to share
    between the threads of the pool."""
    resolver = Resolver.of(facts)
    module = facts.module
    for inner in ast.walk(function.node):
        if not isinstance(inner, ast.Name) or inner.id in function.bindings:
            continue
        resolved = resolver.kind_of(inner, function, (inner.lineno, inner.col_offset))
        if resolved is None:
            continue
        kind, _ = resolved
        if kind.role not in _SHARED_SAFELY:
            return False
        factory = _factory(facts, resolver, module, inner.id)
        if factory is None or factory in _UNSAFE_FACTORIES:
            return False
    return True


def _factory(facts: ModuleFacts, resolver: Resolver, module: Scope, name: str) -> str | None:
    """The qualified name of what made module-level ``name`` (`create_engine(...)`)."""
    bindings = module.bindings.get(name, [])
    if len(bindings) == 1 and isinstance(bindings[0].value, ast.Call):
        return resolver.qualname(bindings[0].value.func)
    return None


# What the plain-`def` fix does, for PGL501 and PGL502 alike.
FIX_SUMMARY = (
    "`async def` → `def` for an endpoint or dependency that awaits nothing; unsafe when "
    "it shares a module-level object that is not thread-safe",
    "safe or unsafe",
)
FIX_SAFETY = (
    "An `async def` endpoint or dependency (FastAPI, Starlette) that awaits nothing — no "
    "`await`, `async with`, `async for`, async comprehension or nested `async def`, and "
    "nothing from asyncio, anyio or trio — becomes a plain `def`, which the framework "
    "runs in its thread pool: the same answers, and requests no longer wait for each "
    "other (proven against PostgreSQL through FastAPI's ASGI application). Not offered "
    "when the module calls the function (a caller that awaits it would break) or when "
    "it has a decorator other than the route's. Safe when every database object it "
    "reads from the module is safe to share between threads (an engine, a sessionmaker, "
    "a thread-safe pool made in this module); unsafe otherwise (a module-level session, "
    "cursor or sqlite3 connection, a psycopg2 `SimpleConnectionPool`, a pool imported "
    "from another module), because the requests now run in threads of their own at the "
    "same time. Elsewhere (a helper its callers await) the suggestion shows "
    "`asyncio.to_thread` and the async drivers."
)
