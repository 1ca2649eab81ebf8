"""PGL301: an engine or connection pool created on every request."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from pglint.drivers import FACTORIES
from pglint.facts.model import CallSite, ModuleFacts
from pglint.facts.resolve import Resolver
from pglint.rules._lifecycle import (
    chain_locations,
    kept_for_the_app,
    per_request_function,
    where,
)
from pglint.rules._per_request_fix import hoist_fix
from pglint.rules._sqltext import shorten
from pglint.rules.base import Finding, Rule

_ROLES = frozenset({"engine", "pool", "database"})


def check(facts: ModuleFacts) -> Iterator[Finding]:
    resolver = Resolver.of(facts)
    hoisted: set[str] = set()  # the module-level names this module's fixes take
    for site in facts.calls:
        qual = resolver.qualname(site.node.func)
        kind = FACTORIES.get(qual or "")
        if kind is None or kind.role not in _ROLES or _embedded(site.node):
            continue
        info = per_request_function(facts, site.scope)
        if info is None or kept_for_the_app(facts, site.node, info):
            continue
        source = facts.source
        name = qual.rpartition(".")[2]  # type: ignore[union-attr]
        message = f"`{shorten(name, 20)}()` per request (in {where(info, facts)}); create it once"
        yield Finding(
            source.start(site.node), source.end(site.node), message,
            suggestion(facts, site, kind.role, kind.info.is_async),
            hoist_fix(facts, site, kind.role, qual, hoisted),  # type: ignore[arg-type]
            chain_locations(info),
        )  # fmt: skip


def _embedded(call: ast.Call) -> bool:
    """An engine for SQLite (`create_engine("sqlite://")`): a file or memory, no server
    connections to run out of."""
    url = call.args[0] if call.args else None
    return (
        isinstance(url, ast.Constant)
        and isinstance(url.value, str)
        and url.value.lower().startswith("sqlite")
    )


def suggestion(facts: ModuleFacts, site: CallSite, role: str, is_async: bool) -> str:
    source = facts.source
    call = source.segment(site.node)
    target = _target_name(site) or ("engine" if role == "engine" else "pool")
    awaited = "await " if site.awaited else ""
    web = any(q.startswith(("fastapi", "starlette")) for q in facts.imports.values())
    if role == "engine" or not web:
        return (
            "# at module level, once for the whole app:\n"
            f"{target} = {awaited}{call}\n\n"
            f"# and here, use the shared `{target}` instead of creating one"
        )
    close = "await app.state.{t}.close()" if is_async else "app.state.{t}.close()"
    if role == "database":
        close = "await app.state.{t}.disconnect()"
    opening = f"app.state.{target} = {awaited}{call}"
    if role == "database":
        opening += f"\n    await app.state.{target}.connect()"
    return (
        "# create it once, in the lifespan handler:\n"
        "@asynccontextmanager\n"
        "async def lifespan(app: FastAPI):\n"
        f"    {opening}\n"
        "    yield\n"
        f"    {close.format(t=target)}\n\n"
        "app = FastAPI(lifespan=lifespan)\n\n"
        f"# and here, use `request.app.state.{target}`"
    )


def _target_name(site: CallSite) -> str | None:
    for bindings in site.scope.bindings.values():
        for binding in bindings:
            value = binding.value
            if isinstance(value, ast.Await):
                value = value.value
            if value is site.node:
                return binding.name
    return None


RULE = Rule(
    code="PGL301",
    name="engine-per-request",
    summary="engine or connection pool created on every request",
    what_it_does=(
        "Checks for SQLAlchemy engines and connection pools (`create_engine`, "
        "`create_async_engine`, `asyncpg.create_pool`, psycopg_pool, psycopg2 pools, "
        "`databases.Database`) created inside a route handler, a FastAPI dependency, or a "
        "helper that one of them calls in the same module."
    ),
    why_bad=(
        "An engine *is* a connection pool. Built inside a request it serves that one "
        "request and is then dropped with its connections still open: the app opens fresh "
        "connections for every request, pays the TCP and authentication cost each time, "
        "and under a few dozen concurrent users PostgreSQL refuses new connections "
        "(`too many clients`). Create the engine or pool once — at module level or in the "
        "lifespan/startup handler — and share it.\n\n"
        "Not reported: lifespan and startup/shutdown handlers, app factories "
        "(`create_app`), cached factories (`@lru_cache`, `@cache`), `main()` and other "
        "entry points, CLI commands, pytest fixtures and tests, migrations, helpers only "
        "they call (in any module), and objects stored where they outlive the call "
        "(`global engine`, `app.state.pool = ...`, `self.engine = ...` in `__init__` or "
        "made only when there is none yet: created lazily, once); a method a request "
        "calls that stores a new pool on `self` each time is reported. A function no "
        "route or dependency reaches, through calls in any module of the project, is not "
        "known to run per request and is not reported. A `sessionmaker` built per request "
        "opens no connection, so it is not reported either, nor is an engine for SQLite "
        '(`create_engine("sqlite://")`): no server connections to run out of.'
    ),
    example=(
        "from fastapi import FastAPI\n"
        "from sqlalchemy import create_engine, text\n\n"
        "app = FastAPI()\n\n\n"
        '@app.get("/users")\n'
        "def list_users():\n"
        '    engine = create_engine("postgresql://app@db/app")\n'
        "    with engine.connect() as conn:\n"
        '        return conn.execute(text("SELECT id, name FROM users")).all()\n'
    ),
    use_instead=(
        "from fastapi import FastAPI\n"
        "from sqlalchemy import create_engine, text\n\n"
        "app = FastAPI()\n"
        'engine = create_engine("postgresql://app@db/app", pool_pre_ping=True)\n\n\n'
        '@app.get("/users")\n'
        "def list_users():\n"
        "    with engine.connect() as conn:\n"
        '        return conn.execute(text("SELECT id, name FROM users")).all()\n'
    ),
    check=check,
    fix_availability="sometimes",
    fix_summary=(
        "the engine or pool is created once, at module level, and the function uses that one",
        "unsafe",
    ),
    fix_safety=(
        "Unsafe (`--fix --unsafe-fixes`): the call moves to module level, above the "
        "function (`engine = create_engine(...)` leaves the function; a call written "
        "inside an expression is replaced by a module-level name, `<function>_engine` "
        "when `engine` is taken), so every request uses the one engine or pool. Proven "
        "against PostgreSQL: five requests are served by one connection instead of five. "
        "It is unsafe because the call now runs when the module is imported: what it "
        "reads must be there then (a setting filled in at startup is not yet, and the "
        "import fails), and an engine made at import is shared by everything that imports "
        "the module. Offered only when everything the call reads is bound once at module "
        "level above the function and nothing in the function disposes of the object. No "
        "fix for a factory that is awaited (`await asyncpg.create_pool(...)` cannot run at "
        "import: the suggestion shows the lifespan handler), for a pool used as a `with` "
        "block (which closes it), or for psycopg2's `SimpleConnectionPool`, which one "
        "request at a time may use but a thread pool of them may not."
    ),
    see_also="PGL302 for a single connection opened per request.",
    references=(
        "https://docs.sqlalchemy.org/en/20/core/connections.html#basic-usage",
        "https://magicstack.github.io/asyncpg/current/usage.html#connection-pools",
    ),
    more_bad=(
        "import asyncpg\n"
        "from fastapi import FastAPI\n\n"
        "app = FastAPI()\n\n\n"
        '@app.get("/orders/{order_id}")\n'
        "async def read_order(order_id: int):\n"
        '    pool = await asyncpg.create_pool("postgresql://app@db/app")\n'
        "    async with pool.acquire() as conn:\n"
        '        return await conn.fetchrow("SELECT * FROM orders WHERE id = $1", order_id)\n',
        "from fastapi import Depends\n"
        "from sqlalchemy import create_engine\n"
        "from sqlalchemy.orm import Session, sessionmaker\n\n\n"
        "def get_db():\n"
        '    engine = create_engine("postgresql://app@db/app")\n'
        "    db = sessionmaker(bind=engine)()\n"
        "    try:\n"
        "        yield db\n"
        "    finally:\n"
        "        db.close()\n\n\n"
        "def read_items(db: Session = Depends(get_db)):\n"
        "    return db\n",
    ),
    more_good=(
        "from contextlib import asynccontextmanager\n\n"
        "import asyncpg\n"
        "from fastapi import FastAPI, Request\n\n\n"
        "@asynccontextmanager\n"
        "async def lifespan(app: FastAPI):\n"
        '    app.state.pool = await asyncpg.create_pool("postgresql://app@db/app")\n'
        "    yield\n"
        "    await app.state.pool.close()\n\n\n"
        "app = FastAPI(lifespan=lifespan)\n\n\n"
        '@app.get("/orders/{order_id}")\n'
        "async def read_order(order_id: int, request: Request):\n"
        "    async with request.app.state.pool.acquire() as conn:\n"
        '        return await conn.fetchrow("SELECT * FROM orders WHERE id = $1", order_id)\n',
        "from functools import lru_cache\n\n"
        "from fastapi import FastAPI\n"
        "from sqlalchemy import create_engine\n\n"
        "app = FastAPI()\n\n\n"
        "@lru_cache\n"
        "def get_engine():\n"
        '    return create_engine("postgresql://app@db/app")\n\n\n'
        '@app.get("/health")\n'
        "def health():\n"
        "    with get_engine().connect():\n"
        '        return {"ok": True}\n',
    ),
)
