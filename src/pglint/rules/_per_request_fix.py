"""The fixes of PGL301 and PGL302: what a request opens anew, made once or borrowed.

- PGL301: the engine or pool a function on the request path creates is created once, at
  module level, before the function (unsafe: it now runs when the module is imported, so
  what it reads must be there then). The call's statement moves out of the function when
  it is `name = create_engine(...)`; otherwise the call is replaced by a module-level
  name. Offered only when everything the call reads is bound once at module level before
  the function (a constant, an import) and nothing in the function disposes of it; an
  awaited factory (`await asyncpg.create_pool(...)`) cannot run at import and keeps the
  suggestion of a lifespan handler.
- PGL302: a connection opened per request is borrowed from the module's pool of the same
  driver, made with the same connection arguments (unsafe: the connection's session
  state — settings, temporary tables, an open transaction — now outlives the request).
"""

from __future__ import annotations

import ast
import builtins

from pglint.diagnostics import Edit, Fix, Plan
from pglint.facts.model import CallSite, ModuleFacts, Scope
from pglint.facts.resolve import Resolver
from pglint.facts.resources import Resource
from pglint.rules._structural import head_last_row, position, region, top_level

_BUILTINS = frozenset(dir(builtins))
_DISPOSING = frozenset({"dispose", "close", "terminate", "closeall", "disconnect"})


# --- PGL301 -------------------------------------------------------------------------------


# Pools that must not be shared between threads: one per request is their safe use.
_NOT_SHARED = frozenset({"psycopg2.pool.SimpleConnectionPool"})


def hoist_fix(
    facts: ModuleFacts, site: CallSite, role: str, factory: str, reserved: set[str]
) -> Fix | None:
    """``reserved``: the module-level names the module's other hoists take (one module
    name per object, each fix of a round choosing its own)."""
    if not facts.wants_fixes or site.awaited or factory in _NOT_SHARED:
        return None
    if any(item.expr is site.node for item in facts.with_items):
        return None  # `with ConnectionPool(...) as pool:` closes it at the end of the block
    call = site.node
    function = site.scope.function()
    statement = top_level(facts, call)
    rows = region(facts, call)
    if function is None or statement is None or rows is None:
        return None
    first_row = rows[0]
    if not _readable_at_module_level(facts, call, function, first_row):
        return None
    local = _assigned_name(site, function)
    base = local or ("engine" if role == "engine" else "pool")
    if local is not None and local not in reserved and not _taken(facts, local, function):
        name, whole = local, True
    else:
        name, whole = _free_name(facts, function, base, reserved), False
    if _disposed(facts, function, local or name):
        return None
    reserved.add(name)
    plan = Plan(
        "hoist", (rows, position(facts, call), name, _above_comments(facts, first_row), whole)
    )
    return Fix("unsafe", f"Create it once, at module level, as `{name}`", plan=plan)


def _readable_at_module_level(
    facts: ModuleFacts, call: ast.Call, function: Scope, before_row: int
) -> bool:
    """Every name the call reads is bound once at module level, above ``before_row``, and
    by nothing else (no function, no `global` rebinds it), or is a builtin."""
    scopes = []
    scope: Scope | None = function
    while scope is not None and scope is not facts.module:
        scopes.append(scope)
        scope = scope.parent
    rebound = {name for s in facts.scopes for name in s.globals}
    for node in ast.walk(call):
        if isinstance(node, ast.Lambda | ast.comprehension):
            return False  # names of their own
        if not isinstance(node, ast.Name):
            continue
        if any(node.id in s.bindings for s in scopes) or node.id in rebound:
            return False
        bindings = facts.module.bindings.get(node.id, [])
        if not bindings:
            if node.id not in _BUILTINS:
                return False
            continue
        if len(bindings) != 1 or bindings[0].pos[0] >= before_row:
            return False
    return True


def _assigned_name(site: CallSite, function: Scope) -> str | None:
    """`name = <the call>`, the only binding of ``name`` in the function."""
    for name, bindings in function.bindings.items():
        for binding in bindings:
            if binding.value is site.node and binding.kind == "assign":
                node = binding.node
                if (
                    len(bindings) == 1
                    and isinstance(node, ast.Assign)
                    and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name)
                    and name not in function.globals
                ):
                    return name
                return None
    return None


def _taken(facts: ModuleFacts, name: str, function: Scope) -> bool:
    """Whether module-level ``name`` would clash: bound at module level already, or in a
    scope between the function and the module."""
    if name in facts.module.bindings:
        return True
    scope = function.parent
    while scope is not None and scope is not facts.module:
        if name in scope.bindings:
            return True
        scope = scope.parent
    return False


def _free_name(facts: ModuleFacts, function: Scope, base: str, reserved: set[str]) -> str:
    def free(candidate: str) -> bool:
        if candidate in reserved or _taken(facts, candidate, function):
            return False
        if candidate in function.bindings:
            return False
        return not any(candidate in s.bindings for s in facts.scopes)

    for candidate in (base, f"{function.name.strip('_')}_{base}"):
        if free(candidate):
            return candidate
    number = 2
    while not free(f"{base}_{number}"):
        number += 1
    return f"{base}_{number}"


def _disposed(facts: ModuleFacts, function: Scope, name: str) -> bool:
    """The function closes or disposes of it (that would close the shared one)."""
    for site in facts.calls:
        func = site.node.func
        if (
            site.scope.function() is function
            and isinstance(func, ast.Attribute)
            and func.attr in _DISPOSING
            and isinstance(func.value, ast.Name)
            and func.value.id == name
        ):
            return True
    return False


def _above_comments(facts: ModuleFacts, row: int) -> int:
    """``row`` moved up over the comment rows right above it (they belong to it)."""
    while row > 1 and facts.source.line(row - 1).lstrip().startswith("#"):
        row -= 1
    return row


# --- PGL302 -------------------------------------------------------------------------------

# The pool class of a driver's module a connection can be borrowed from, and how: the
# pool's factory, the argument names that are the pool's own (not the connection's),
# and the shape: "getconn" (getconn/putconn) or "connection" (`with pool.connection()`).
_POOLS = {
    "psycopg2": ("psycopg2.pool.ThreadedConnectionPool", ("minconn", "maxconn"), 2, "getconn"),
    "psycopg": ("psycopg_pool.ConnectionPool", ("min_size", "max_size", "open"), 0, "connection"),
}


def borrow_fix(facts: ModuleFacts, resource: Resource) -> Fix | None:
    """A connection opened per request, borrowed from the module's pool instead."""
    if not facts.wants_fixes:
        return None
    found = _module_pool(facts, resource)
    if found is None:
        return None
    pool, how = found
    source = facts.source
    item = resource.with_item
    message = f"Borrow it from `{pool}`"
    if how == "connection":
        if item is None or item.expr is not resource.node:
            return None  # only `with psycopg.connect(...) as conn:`, which commits and closes
        call = resource.node
        edit = Edit(source.start(call), source.end(call), f"{pool}.connection()")
        return Fix("unsafe", message, (edit,))
    name = resource.name
    rows = region(facts, resource.node)
    closing = _closing_name(facts, resource)
    if item is not None or closing is not None:
        name = name or closing
        if name is None or rows is None:
            return None
        release = f"{pool}.putconn({name})"
        plan = Plan("borrow", (rows, position(facts, resource.node), pool, release))
        if closing is not None and _only_use_of_closing(facts):
            # `closing` came with PGL403's fix; borrowing makes it unused.
            drop = ("drop_import", ("contextlib", "closing", head_last_row(facts)))
            plan = Plan("steps", ((plan.kind, plan.args), drop))
        return Fix("unsafe", message, plan=plan)
    if name is None:
        return None
    edits = [Edit(source.start(resource.node), source.end(resource.node), f"{pool}.getconn()")]
    for release in resource.releases:
        call = release.node
        edits.append(Edit(source.start(call), source.end(call), f"{pool}.putconn({name})"))
    return Fix("unsafe", message, tuple(edits))


def _closing_name(facts: ModuleFacts, resource: Resource) -> str | None:
    """The name of `with closing(psycopg2.connect(...)) as conn, conn:`."""
    for item in facts.with_items:
        expr = item.expr
        if (
            isinstance(expr, ast.Call)
            and expr.args
            and expr.args[0] is resource.node
            and getattr(expr.func, "id", getattr(expr.func, "attr", None)) == "closing"
        ):
            return item.name
    return None


def _only_use_of_closing(facts: ModuleFacts) -> bool:
    """`from contextlib import closing` is imported, and read only once."""
    if facts.imports.get("closing") != "contextlib.closing":
        return False
    uses = [n for n in ast.walk(facts.tree) if isinstance(n, ast.Name) and n.id == "closing"]
    return len(uses) == 1


def _module_pool(facts: ModuleFacts, resource: Resource) -> tuple[str, str] | None:
    """The module-level pool (its name, how to borrow) of the connection's driver, made
    with the same connection arguments as the connect call."""
    known = _POOLS.get(resource.kind.driver)
    if known is None:
        return None
    factory, own, skipped, how = known
    resolver = Resolver.of(facts)
    source = facts.source
    wanted = _arguments(resource.node, source, (), 0)
    if wanted is None:
        return None
    for name, bindings in facts.module.bindings.items():
        if len(bindings) != 1 or not isinstance(bindings[0].value, ast.Call):
            continue
        value = bindings[0].value
        if resolver.qualname(value.func) != factory or name in _rebound(facts):
            continue
        if _arguments(value, source, own, skipped) == wanted:
            return name, how
    return None


def _arguments(call: ast.Call, source, own: tuple[str, ...], skipped: int):
    """The connection arguments of a call, as written: the first positional one is the
    DSN (`dsn=` / `conninfo=`), the keywords by name."""
    positional = [source.segment(a) for a in call.args[skipped:]]
    keywords = {k.arg: source.segment(k.value) for k in call.keywords if k.arg not in own}
    for key in ("dsn", "conninfo"):
        if key in keywords:
            positional.insert(0, keywords.pop(key))
    if any(k is None for k in keywords) or any(isinstance(a, ast.Starred) for a in call.args):
        return None
    return tuple(positional), tuple(sorted(keywords.items()))


def _rebound(facts: ModuleFacts) -> set[str]:
    return {name for s in facts.scopes for name in s.globals}
