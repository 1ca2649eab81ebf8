"""PGL703: one module-level connection, cursor or session used by every request."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from pglint.drivers import SCOPED_SESSIONS
from pglint.facts.model import Binding, ModuleFacts
from pglint.facts.resolve import Resolver
from pglint.facts.transactions import Handle
from pglint.rules._lifecycle import per_request_function
from pglint.rules.base import Finding, Rule


def check(facts: ModuleFacts) -> Iterator[Finding]:
    roles = facts.roles
    if roles is None or roles.module_roles & {"test", "migration"}:
        return
    reported: set[int] = set()
    resolver = Resolver.of(facts)
    for handle in facts.transactions:
        if handle.origin != "module" or handle.kind.role == "pool" or handle.function is None:
            continue
        if handle.kind.info.embedded:
            continue  # SQLite: a file, not a server connection others wait for
        info = per_request_function(facts, handle.function)
        if info is None:
            continue
        binding = _made_here(handle, resolver)
        if binding is None or id(binding) in reported:
            continue
        reported.add(id(binding))
        node = binding.value.value if isinstance(binding.value, ast.Await) else binding.value
        source = facts.source
        what = (
            "session" if handle.kind.role == "session" else f"{handle.kind.info.label} connection"
        )
        name = handle.name if len(handle.name or "") <= 20 else f"{(handle.name or '')[:19]}…"
        message = f"One {what} `{name}` serves every request: one failure breaks them all"
        yield Finding(source.start(node), source.end(node), message, _suggestion(handle))


def _made_here(handle: Handle, resolver: Resolver) -> Binding | None:
    """The module-level (or `global`) assignment that creates the connection; None for a
    `scoped_session`, which hands each thread a session of its own."""
    for binding in handle.bindings:
        value = binding.value
        inner = value.value if isinstance(value, ast.Await) else value
        if binding.kind == "assign" and isinstance(inner, ast.Call):
            if resolver.qualname(inner.func) in SCOPED_SESSIONS:
                return None
            return binding
    return None


def _suggestion(handle: Handle) -> str:
    driver = handle.kind.driver
    if handle.kind.role == "session":
        return (
            "SessionLocal = sessionmaker(bind=engine)\n\n\n"
            "def get_db():\n"
            "    db = SessionLocal()\n"
            "    try:\n"
            "        yield db\n"
            "    finally:\n"
            "        db.close()"
        )
    if driver == "asyncpg":
        return (
            "pool = await asyncpg.create_pool(dsn)  # once, at startup\n"
            "...\n"
            "async with pool.acquire() as conn:  # per request\n"
            "    ..."
        )
    if driver in ("psycopg", "psycopg_async"):
        prefix = "async with" if driver == "psycopg_async" else "with"
        factory = "AsyncConnectionPool" if driver == "psycopg_async" else "ConnectionPool"
        return (
            f"pool = psycopg_pool.{factory}(dsn)  # once\n"
            "...\n"
            f"{prefix} pool.connection() as conn:  # per request\n"
            "    ..."
        )
    return (
        "pool = psycopg2.pool.ThreadedConnectionPool(1, 10, dsn)  # once\n"
        "...\n"
        "conn = pool.getconn()  # per request\n"
        "try:\n"
        "    ...\n"
        "    conn.commit()\n"
        "finally:\n"
        "    pool.putconn(conn)"
    )


RULE = Rule(
    code="PGL703",
    name="connection-shared-across-requests",
    summary="one module-level connection, cursor or session used by every request",
    what_it_does=(
        "Checks for a connection, cursor or session created at module level (or assigned "
        "to a global at startup) and used by route handlers, their dependencies or the "
        "helpers they call — one object for every request, not one per request from a "
        "pool."
    ),
    why_bad=(
        "Every request shares one connection and its transaction. With psycopg2 or "
        "psycopg 3, one failed statement aborts that transaction, and every later "
        "request fails with `current transaction is aborted, commands ignored until end "
        "of transaction block` until something rolls back; between requests the "
        "connection sits `idle in transaction`, holding its locks; one request's commit "
        "commits another's half-done work. With asyncpg, two requests at once raise "
        "`InterfaceError: cannot perform operation: another operation is in progress`. "
        "A shared SQLAlchemy session fails every later request after one failed flush "
        "(`PendingRollbackError`). And when the server restarts, the one connection is "
        "gone for good. A pool (or a sessionmaker) hands each request a connection of its "
        "own.\n\n"
        "Not reported: pools, engines, sessionmakers and `scoped_session` (one session "
        "per thread), SQLite, and module-level connections that no request uses (scripts, "
        "tests, migrations)."
    ),
    example=(
        "import os\n\n"
        "import psycopg2\n"
        "from flask import Flask\n\n"
        "app = Flask(__name__)\n"
        'conn = psycopg2.connect(os.environ["DATABASE_URL"])\n\n\n'
        '@app.post("/notes")\n'
        "def add_note():\n"
        "    with conn.cursor() as cur:\n"
        '        cur.execute("INSERT INTO notes (body) VALUES (%s)", ("hi",))\n'
        "    conn.commit()\n"
        '    return {"ok": True}\n'
    ),
    use_instead=(
        "import os\n\n"
        "import psycopg2.pool\n"
        "from flask import Flask\n\n"
        "app = Flask(__name__)\n"
        'pool = psycopg2.pool.ThreadedConnectionPool(1, 10, os.environ["DATABASE_URL"])\n\n\n'
        '@app.post("/notes")\n'
        "def add_note():\n"
        "    conn = pool.getconn()\n"
        "    try:\n"
        "        with conn, conn.cursor() as cur:  # commits, or rolls back on an error\n"
        '            cur.execute("INSERT INTO notes (body) VALUES (%s)", ("hi",))\n'
        "    finally:\n"
        "        pool.putconn(conn)\n"
        '    return {"ok": True}\n'
    ),
    check=check,
    see_also="PGL704 for one connection shared by concurrent tasks; PGL302 for the opposite "
    "mistake, a new connection per request.",
    references=(
        "https://www.psycopg.org/docs/pool.html",
        "https://magicstack.github.io/asyncpg/current/usage.html#connection-pools",
    ),
    more_bad=(
        "import asyncpg\n"
        "from fastapi import FastAPI\n\n"
        "app = FastAPI()\n"
        "conn = None\n\n\n"
        '@app.on_event("startup")\n'
        "async def startup():\n"
        "    global conn\n"
        '    conn = await asyncpg.connect("postgresql://app@db/app")\n\n\n'
        '@app.get("/users")\n'
        "async def users():\n"
        '    return await conn.fetch("SELECT id, email FROM users")\n',
    ),
    more_good=(
        "import asyncpg\n"
        "from fastapi import FastAPI\n\n"
        "app = FastAPI()\n"
        "pool = None\n\n\n"
        '@app.on_event("startup")\n'
        "async def startup():\n"
        "    global pool\n"
        '    pool = await asyncpg.create_pool("postgresql://app@db/app")\n\n\n'
        '@app.get("/users")\n'
        "async def users():\n"
        "    async with pool.acquire() as conn:\n"
        '        return await conn.fetch("SELECT id, email FROM users")\n',
    ),
)
