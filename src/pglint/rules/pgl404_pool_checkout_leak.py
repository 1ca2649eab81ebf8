"""PGL404: a connection borrowed from a pool is not given back on every path."""

from __future__ import annotations

from collections.abc import Iterator

from pglint.facts.model import ModuleFacts
from pglint.facts.resources import Resource
from pglint.rules._release_fix import release_fix
from pglint.rules._sqltext import shorten
from pglint.rules.base import Finding, Rule


def check(facts: ModuleFacts) -> Iterator[Finding]:
    roles = facts.roles
    if roles is None:
        return
    for resource in facts.resources:
        checkout = resource.checkout
        if checkout is None or checkout.release is None:
            continue
        if resource.state not in ("closed_on_success", "with_does_not_close", "not_closed"):
            continue
        if roles.runs_once(resource.site.scope):
            continue
        source = facts.source
        yield Finding(
            source.start(resource.node), source.end(resource.node),
            _message(resource), _suggestion(facts, resource), release_fix(facts, resource),
        )  # fmt: skip


def _message(resource: Resource) -> str:
    release = shorten(resource.release_call(), 32)
    if resource.state == "closed_on_success":
        how = "released only on success"
    elif resource.state == "with_does_not_close":
        how = "not released by its `with`"
    else:
        how = "never released"
    return f"Pool connection {how}; call `{release}` in `finally`"


def _suggestion(facts: ModuleFacts, resource: Resource) -> str:
    call = facts.source.segment(resource.node)
    name = resource.name or "conn"
    if resource.checkout is not None and resource.checkout.awaited and resource.awaited:
        pool = facts.source.segment(resource.pool) if resource.pool is not None else "pool"
        if resource.kind.driver in ("asyncpg", "aiopg"):
            return f"async with {pool}.acquire() as {name}:\n    ..."
    if resource.kind.driver == "psycopg":
        pool = facts.source.segment(resource.pool) if resource.pool is not None else "pool"
        return f"with {pool}.connection() as {name}:\n    ..."
    awaited = "await " if resource.awaited else ""
    return f"{name} = {awaited}{call}\ntry:\n    ...\nfinally:\n    {resource.release_call(name)}"


RULE = Rule(
    code="PGL404",
    name="pool-checkout-leak",
    summary="connection borrowed from a pool not given back on every path",
    what_it_does=(
        "Checks for `pool.getconn()` (psycopg2, psycopg_pool) without `putconn()` in "
        "`finally`, and `await pool.acquire()` (asyncpg, aiopg) without `release()` in "
        "`finally`, when the connection is not handed to a caller or stored."
    ),
    why_bad=(
        "A pool lends out a fixed number of connections. One that is never given back "
        "is gone for good — the garbage collector does not return it — and one given "
        "back only on success leaks on every exception. When the last one has leaked, "
        "every request blocks waiting for a connection and fails with a pool timeout, "
        "while the database itself sits idle. Borrow with `async with pool.acquire()` / "
        "`with pool.connection()`, or give the connection back in `finally`.\n\n"
        "Not reported: a checkout returned to the caller, yielded by a dependency "
        "(PGL402 checks those), stored on an object, or borrowed in tests, scripts and "
        "startup code."
    ),
    example=(
        "import asyncpg\n\n\n"
        "async def get_user(pool: asyncpg.Pool, user_id: int):\n"
        "    conn = await pool.acquire()\n"
        '    row = await conn.fetchrow("SELECT * FROM users WHERE id = $1", user_id)\n'
        "    await pool.release(conn)\n"
        "    return row\n"
    ),
    use_instead=(
        "import asyncpg\n\n\n"
        "async def get_user(pool: asyncpg.Pool, user_id: int):\n"
        "    async with pool.acquire() as conn:\n"
        '        return await conn.fetchrow("SELECT * FROM users WHERE id = $1", user_id)\n'
    ),
    check=check,
    fix_availability="sometimes",
    fix_summary=(
        "`putconn()` / `release()` moves into `finally` (or is added there); an asyncpg or "
        "aiopg checkout becomes `async with pool.acquire() as conn:`",
        "safe",
    ),
    fix_safety=(
        "Safe: the statements between the checkout and the release go into `try` and the "
        "release into `finally`; a checkout never given back gets the rest of its block "
        "in `try` and the release in `finally`. For asyncpg and aiopg, `conn = await "
        "pool.acquire()` becomes `async with pool.acquire() as conn:` around the same "
        "statements, which releases it the same way. Every path without an exception "
        "runs as before, and what a leaked checkout had not committed was never visible "
        "to others; proven against PostgreSQL, where the fixed code keeps serving through "
        "the errors that drained the pool. psycopg_pool's `with pool.connection()` is not "
        "used: it also commits. No fix when the connection is used after its block, when "
        "the release is inside a branch or an `except`, or when statements share a line."
    ),
    see_also="PGL403 for connections that are not from a pool.",
    references=(
        "https://magicstack.github.io/asyncpg/current/api/index.html#asyncpg.pool.Pool.acquire",
        "https://www.psycopg.org/docs/pool.html",
    ),
    more_bad=(
        "from psycopg2.pool import ThreadedConnectionPool\n\n"
        'pool = ThreadedConnectionPool(1, 10, "dbname=app")\n\n\n'
        "def names():\n"
        "    conn = pool.getconn()\n"
        "    with conn.cursor() as cur:\n"
        '        cur.execute("SELECT name FROM users")\n'
        "        return cur.fetchall()\n",
    ),
    more_good=(
        "from psycopg2.pool import ThreadedConnectionPool\n\n"
        'pool = ThreadedConnectionPool(1, 10, "dbname=app")\n\n\n'
        "def names():\n"
        "    conn = pool.getconn()\n"
        "    try:\n"
        "        with conn.cursor() as cur:\n"
        '            cur.execute("SELECT name FROM users")\n'
        "            return cur.fetchall()\n"
        "    finally:\n"
        "        pool.putconn(conn)\n",
        "from psycopg_pool import ConnectionPool\n\n"
        'pool = ConnectionPool("dbname=app")\n\n\n'
        "def names():\n"
        "    with pool.connection() as conn:\n"
        '        return conn.execute("SELECT name FROM users").fetchall()\n',
    ),
)
