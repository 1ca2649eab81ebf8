"""PGL303: an awaitable pool factory (`asyncpg.create_pool`) called without `await`."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from pglint.diagnostics import Edit, Fix
from pglint.drivers import AWAITABLE_POOL_FACTORIES
from pglint.facts.model import Binding, CallSite, ModuleFacts
from pglint.facts.resolve import Resolver
from pglint.rules._sqltext import shorten
from pglint.rules.base import Finding, Rule


def check(facts: ModuleFacts) -> Iterator[Finding]:
    resolver = Resolver.of(facts)
    sites = [
        s for s in facts.calls
        if not s.awaited and resolver.qualname(s.node.func) in AWAITABLE_POOL_FACTORIES
    ]  # fmt: skip
    if not sites:
        return
    wanted = {id(s.node) for s in sites}
    used = _consumed_elsewhere(facts, wanted)
    for site in sites:
        if id(site.node) in used:
            continue
        binding = _binding_of(facts, site.node)
        if binding is not None and _awaited_later(facts, binding):
            continue
        source = facts.source
        name = resolver.qualname(site.node.func) or "create_pool"
        message = (
            f"`{shorten(name, 24)}()` without `await` is not a ready pool; await it (in the "
            "lifespan handler)"
        )
        fix = None
        function = site.scope.function()
        if function is not None and function.is_async and binding is not None:
            start = source.start(site.node)
            fix = Fix("safe", "Await the pool", (Edit(start, start, "await "),))
        yield Finding(
            source.start(site.node), source.end(site.node), message,
            _suggestion(facts, site, binding), fix,
        )  # fmt: skip


def _suggestion(facts: ModuleFacts, site: CallSite, binding: Binding | None) -> str:
    call = facts.source.segment(site.node)
    function = site.scope.function()
    if function is not None and function.is_async:
        target = binding.name if binding is not None else "pool"
        return f"{target} = await {call}"
    target = binding.name if binding is not None else "pool"
    return (
        "# create the pool in the lifespan handler, where the event loop runs:\n"
        "from contextlib import asynccontextmanager\n\n\n"
        "@asynccontextmanager\n"
        "async def lifespan(app: FastAPI):\n"
        f"    app.state.{target} = await {call}\n"
        "    yield\n"
        f"    await app.state.{target}.close()\n\n\n"
        "app = FastAPI(lifespan=lifespan)\n"
        f"# handlers: `async with request.app.state.{target}.acquire() as conn:`"
    )


def _consumed_elsewhere(facts: ModuleFacts, wanted: set[int]) -> set[int]:
    """Calls used in `async with`, returned, or passed to another call (asyncio.wait_for,
    loop.run_until_complete): whoever receives them awaits them."""
    used: set[int] = set()
    for item in facts.with_items:
        if id(item.expr) in wanted:
            used.add(id(item.expr))
    for scope in facts.scopes:
        for ret in scope.returns:
            if ret.value is not None and id(ret.value) in wanted:
                used.add(id(ret.value))
        for value in scope.yields:
            if id(value) in wanted:
                used.add(id(value))
    for site in facts.calls:
        for arg in (*site.node.args, *(k.value for k in site.node.keywords)):
            if id(arg) in wanted:
                used.add(id(arg))
    return used


def _binding_of(facts: ModuleFacts, call: ast.Call) -> Binding | None:
    for scope in facts.scopes:
        for bindings in scope.bindings.values():
            for binding in bindings:
                if binding.value is call:
                    return binding
    for bindings in facts.attribute_bindings.values():
        for binding in bindings:
            if binding.value is call:
                return binding
    return None


def _awaited_later(facts: ModuleFacts, binding: Binding) -> bool:
    """`pool = asyncpg.create_pool(...)` then `await pool`, `async with pool:` or
    `return pool` (the caller awaits); `self.pool = ...` then `await self.pool`. A local
    name counts only inside its own function."""
    function = binding.scope.function()
    local = function is not None and binding.name not in binding.scope.globals
    attribute = isinstance(binding.node, ast.Assign) and not any(
        isinstance(t, ast.Name) for t in binding.node.targets
    )

    def matches(expr: ast.expr) -> bool:
        if attribute:
            return isinstance(expr, ast.Attribute) and expr.attr == binding.name
        if not isinstance(expr, ast.Name) or expr.id != binding.name:
            return False
        return not local or _inside(expr, function.node)  # type: ignore[union-attr]

    if any(matches(ref) for ref in facts.awaited_refs):
        return True
    if any(matches(item.expr) for item in facts.with_items if item.is_async):
        return True
    if local:
        returns = function.returns  # type: ignore[union-attr]
        return any(r.value is not None and matches(r.value) for r in returns)
    return False


def _inside(node: ast.AST, outer: ast.AST) -> bool:
    start = (outer.lineno, outer.col_offset)  # type: ignore[attr-defined]
    end = (outer.end_lineno, outer.end_col_offset)  # type: ignore[attr-defined]
    return start <= (node.lineno, node.col_offset) <= end  # type: ignore[attr-defined]


RULE = Rule(
    code="PGL303",
    name="pool-not-awaited",
    summary="`asyncpg.create_pool()` (or another awaitable pool factory) called without `await`",
    what_it_does=(
        "Checks for `asyncpg.create_pool(...)` and `aiopg.create_pool(...)` whose result is "
        "used without `await` (and not entered with `async with`, returned, or awaited "
        "later)."
    ),
    why_bad=(
        "These factories return an object that must be awaited to open its connections. "
        "Without `await` the variable holds an uninitialised pool (asyncpg) or a "
        "coroutine (aiopg): nothing fails at import time, and the first request fails "
        "with `pool is not initialized` or `'coroutine' object has no attribute "
        "'acquire'`. At module level there is no running event loop to await it in — "
        "create the pool in the lifespan (startup) handler.\n\n"
        "Not reported: `async with asyncpg.create_pool(...) as pool`, a pool returned "
        "to a caller that awaits it, passed to `asyncio.wait_for` or "
        "`loop.run_until_complete`, or assigned and initialised later (`await pool`, "
        "`async with pool:`)."
    ),
    example=(
        "import asyncpg\n\n\n"
        "async def init_db(app):\n"
        '    app.state.pool = asyncpg.create_pool("postgresql://app@db/app")\n'
    ),
    use_instead=(
        "import asyncpg\n\n\n"
        "async def init_db(app):\n"
        '    app.state.pool = await asyncpg.create_pool("postgresql://app@db/app")\n'
    ),
    check=check,
    fix_availability="sometimes",
    fix_summary=("adds `await` to the pool factory inside `async def`", "safe"),
    fix_safety=(
        "Safe inside an `async def` when the result is assigned: `await` is added in "
        "front of the call. At module level there is no fix — the pool belongs in the "
        "lifespan handler, which the suggestion shows."
    ),
    references=("https://magicstack.github.io/asyncpg/current/api/index.html#connection-pools",),
    more_bad=(
        "import asyncpg\n\n"
        'pool = asyncpg.create_pool("postgresql://app@db/app")\n\n\n'
        "async def count_users():\n"
        "    async with pool.acquire() as conn:\n"
        '        return await conn.fetchval("SELECT count(*) FROM users")\n',
    ),
    more_good=(
        "import asyncpg\n\n\n"
        "async def main():\n"
        '    async with asyncpg.create_pool("postgresql://app@db/app") as pool:\n'
        '        await pool.execute("SELECT 1")\n',
        "import asyncpg\n\n"
        "pool = None\n\n\n"
        "async def startup():\n"
        "    global pool\n"
        '    pool = await asyncpg.create_pool("postgresql://app@db/app")\n',
    ),
)
