"""PGL302: a new database connection opened on every request instead of borrowed from a
pool."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from pglint.facts.model import ModuleFacts
from pglint.facts.resources import Resource
from pglint.rules._lifecycle import (
    chain_locations,
    kept_for_the_app,
    per_request_function,
    where,
)
from pglint.rules._per_request_fix import borrow_fix
from pglint.rules.base import Finding, Rule

# How to borrow instead, per driver: (pool created once, borrowing in the handler).
_POOLED = {
    "psycopg2": (
        "pool = psycopg2.pool.ThreadedConnectionPool(1, 10, DATABASE_URL)",
        "conn = pool.getconn()\ntry:\n    ...\nfinally:\n    pool.putconn(conn)",
    ),
    "psycopg": (
        "pool = psycopg_pool.ConnectionPool(DATABASE_URL, min_size=1, max_size=10)",
        "with pool.connection() as conn:\n    ...",
    ),
    "psycopg_async": (
        "pool = psycopg_pool.AsyncConnectionPool(DATABASE_URL, open=False)\n"
        "# and `await pool.open()` in the lifespan handler",
        "async with pool.connection() as conn:\n    ...",
    ),
    "asyncpg": (
        "app.state.pool = await asyncpg.create_pool(DATABASE_URL)  # in the lifespan handler",
        "async with request.app.state.pool.acquire() as conn:\n    ...",
    ),
    "aiopg": (
        "app.state.pool = await aiopg.create_pool(DATABASE_URL)  # in the lifespan handler",
        "async with request.app.state.pool.acquire() as conn:\n    ...",
    ),
}


# A connection that listens for notifications is meant to be its own, not a pool's.
_LISTENING = frozenset({"add_listener", "notifies", "listen"})


def check(facts: ModuleFacts) -> Iterator[Finding]:
    listening = {
        site.scope.function() for site in facts.calls
        if isinstance(site.node.func, ast.Attribute) and site.node.func.attr in _LISTENING
    }  # fmt: skip
    for resource in facts.resources:
        if not _opens_connection(resource) or resource.function in listening:
            continue
        info = per_request_function(facts, resource.site.scope)
        if info is None or kept_for_the_app(facts, resource.node, info):
            continue
        source = facts.source
        label = resource.kind.info.label
        message = f"{label} connection per request (in {where(info, facts)}); use a pool"
        yield Finding(
            source.start(resource.node), source.end(resource.node), message,
            suggestion(resource), borrow_fix(facts, resource),
            chain_locations(info),
        )  # fmt: skip


def _opens_connection(resource: Resource) -> bool:
    """A driver-level connect() to a database server (not a pool or engine checkout)."""
    return (
        resource.kind.role == "connection"
        and resource.checkout is None
        and not resource.provided  # reported where the provider opens it
        and resource.kind.driver not in ("sqlalchemy", "sqlalchemy_async")
        and not resource.kind.info.embedded
    )


def suggestion(resource: Resource) -> str:
    pooled = _POOLED.get(resource.kind.driver)
    if pooled is None:
        return "# create a pool once at startup and borrow a connection from it here"
    create, borrow = pooled
    return f"# once, at startup:\n{create}\n\n# here, borrow a connection:\n{borrow}"


RULE = Rule(
    code="PGL302",
    name="connection-per-request",
    summary="new database connection opened on every request instead of borrowed from a pool",
    what_it_does=(
        "Checks for `connect()` calls of a PostgreSQL driver (psycopg2, psycopg 3, "
        "asyncpg, aiopg, pg8000) inside a route handler, a FastAPI dependency, or a "
        "helper one of them calls in the same module."
    ),
    why_bad=(
        "Opening a PostgreSQL connection takes a TCP handshake, TLS, authentication and a "
        "new server process — tens of milliseconds and about 10 MB on the server. One per "
        "request works in development and collapses under load: PostgreSQL allows 100 "
        "connections by default, and at that many concurrent requests new ones fail with "
        "`too many clients`. A pool created once at startup keeps a bounded set of "
        "connections open and lends them out.\n\n"
        "Not reported: SQLite (a connection is a file open), `engine.connect()` and pool "
        "checkouts (they borrow from a pool), a dedicated connection that listens for "
        "notifications (`add_listener`, `notifies()`), connections opened in startup code, "
        "factories, entry points, tests and migrations, and connections stored where "
        "they outlive the request (`global conn`, `app.state.conn = ...`)."
    ),
    example=(
        "import asyncpg\n"
        "from fastapi import FastAPI\n\n"
        "app = FastAPI()\n\n\n"
        '@app.get("/users/{user_id}")\n'
        "async def get_user(user_id: int):\n"
        '    conn = await asyncpg.connect("postgresql://app@db/app")\n'
        "    try:\n"
        '        return await conn.fetchrow("SELECT * FROM users WHERE id = $1", user_id)\n'
        "    finally:\n"
        "        await conn.close()\n"
    ),
    use_instead=(
        "from fastapi import FastAPI, Request\n\n"
        "app = FastAPI()\n\n\n"
        '@app.get("/users/{user_id}")\n'
        "async def get_user(user_id: int, request: Request):\n"
        "    async with request.app.state.pool.acquire() as conn:\n"
        '        return await conn.fetchrow("SELECT * FROM users WHERE id = $1", user_id)\n'
    ),
    check=check,
    fix_availability="sometimes",
    fix_summary=(
        "borrows from the module's pool of the same driver and connection "
        "arguments (`pool.getconn()` / `putconn()`, `with pool.connection()`)",
        "unsafe",
    ),
    fix_safety=(
        "Unsafe (`--fix --unsafe-fixes`), when the module has a pool of the connection's "
        "driver made with the same connection arguments (psycopg2's "
        "`ThreadedConnectionPool`, psycopg_pool's `ConnectionPool`): `psycopg2.connect(...)` "
        "becomes `pool.getconn()` and its `close()` `pool.putconn(conn)`; `with "
        "psycopg2.connect(...) as conn:` (or its `closing(...)` form) becomes `conn = "
        "pool.getconn()` with the block in `try` (still committing or rolling back) and "
        "`pool.putconn(conn)` in `finally`; `with psycopg.connect(...) as conn:` becomes "
        "`with pool.connection() as conn:`, which commits or rolls back the same way. "
        "Proven against PostgreSQL: the same answers, from one reused connection instead "
        "of one per request. It is unsafe because what a request sets on its connection "
        "(`SET TIME ZONE`, a temporary table, `search_path`) now outlives it and reaches "
        "the next request that borrows the connection. No fix when the module has no such "
        "pool: creating one is a decision about its size and lifetime."
    ),
    see_also="PGL301 for an engine or pool created per request.",
    references=("https://www.psycopg.org/psycopg3/docs/advanced/pool.html",),
    more_bad=(
        "import psycopg2\n"
        "from flask import Flask\n\n"
        "app = Flask(__name__)\n\n\n"
        "def load(sql):\n"
        '    conn = psycopg2.connect("dbname=app")\n'
        "    try:\n"
        "        with conn.cursor() as cur:\n"
        "            cur.execute(sql)\n"
        "            return cur.fetchall()\n"
        "    finally:\n"
        "        conn.close()\n\n\n"
        '@app.route("/items")\n'
        "def items():\n"
        '    return load("SELECT * FROM items")\n',
    ),
    more_good=(
        "import psycopg2\n\n\n"
        "def main():\n"
        '    conn = psycopg2.connect("dbname=app")\n'
        "    try:\n"
        "        with conn, conn.cursor() as cur:\n"
        '            cur.execute("ANALYZE")\n'
        "    finally:\n"
        "        conn.close()\n",
    ),
)
