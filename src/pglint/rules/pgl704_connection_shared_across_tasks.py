"""PGL704: one connection or session used by coroutines that run at the same time."""

from __future__ import annotations

from collections.abc import Iterator

from pglint.facts.concurrency import SharedUse
from pglint.facts.model import ModuleFacts
from pglint.rules.base import Finding, Rule

_ERRORS = {
    "asyncpg": '"another operation is in progress"',
    "aiopg": '"another coroutine is already waiting"',
}


def check(facts: ModuleFacts) -> Iterator[Finding]:
    source = facts.source
    for use in facts.shared_tasks:
        what = "session" if use.kind.role == "session" else "connection"
        error = _ERRORS.get(use.kind.driver, "IllegalStateChangeError")
        label = use.kind.info.label
        message = f"Tasks running at once share {what} `{use.name}`: {label} raises {error}"
        yield Finding(source.start(use.node), source.end(use.node), message, _suggestion(use))


def _suggestion(use: SharedUse) -> str:
    if use.kind.role == "session":
        return (
            "async def one(item):\n"
            "    async with AsyncSessionLocal() as session:  # a session per task\n"
            "        ...\n\n"
            "await asyncio.gather(*(one(item) for item in items))"
        )
    return (
        "async def one(pool, item):\n"
        "    async with pool.acquire() as conn:  # a connection per task\n"
        "        ...\n\n"
        "await asyncio.gather(*(one(pool, item) for item in items))"
    )


RULE = Rule(
    code="PGL704",
    name="connection-shared-across-tasks",
    summary="one connection or `AsyncSession` used by coroutines that run at the same time",
    what_it_does=(
        "Checks for an asyncpg or aiopg connection, or a SQLAlchemy `AsyncSession` or "
        "`AsyncConnection`, used by several coroutines that run concurrently: "
        "`asyncio.gather(...)`, `asyncio.wait(...)`, `create_task(...)` in a loop or more "
        "than once, a `TaskGroup`'s or an anyio task group's tasks."
    ),
    why_bad=(
        "A connection runs one statement at a time. When a second coroutine sends a "
        "query while the first is still waiting for its result, asyncpg raises "
        "`InterfaceError: cannot perform operation: another operation is in progress`, "
        "and an `AsyncSession` raises `IllegalStateChangeError` or `InvalidRequestError: "
        "This session is provisioning a new connection; concurrent operations are not "
        "permitted`. It looks like the fast way to run queries in parallel, works when the "
        "queries happen to be quick, and fails under load. Give each task a connection of "
        "its own from the pool (or a session of its own), or run the queries one after "
        "another on the one connection.\n\n"
        "Not reported: a pool passed to the tasks (each task acquires its own "
        "connection), psycopg 3's `AsyncConnection` (it makes the tasks take turns) and "
        "awaiting the coroutines one by one."
    ),
    example=(
        "import asyncio\n\n"
        "import asyncpg\n\n\n"
        "async def dashboard(conn: asyncpg.Connection):\n"
        "    users, orders = await asyncio.gather(\n"
        '        conn.fetchval("SELECT count(*) FROM users"),\n'
        '        conn.fetchval("SELECT count(*) FROM orders"),\n'
        "    )\n"
        '    return {"users": users, "orders": orders}\n'
    ),
    use_instead=(
        "import asyncio\n\n"
        "import asyncpg\n\n\n"
        "async def count(pool: asyncpg.Pool, table_query: str):\n"
        "    async with pool.acquire() as conn:\n"
        "        return await conn.fetchval(table_query)\n\n\n"
        "async def dashboard(pool: asyncpg.Pool):\n"
        "    users, orders = await asyncio.gather(\n"
        '        count(pool, "SELECT count(*) FROM users"),\n'
        '        count(pool, "SELECT count(*) FROM orders"),\n'
        "    )\n"
        '    return {"users": users, "orders": orders}\n'
    ),
    check=check,
    see_also="PGL703 for one connection shared by every request.",
    references=(
        "https://magicstack.github.io/asyncpg/current/faq.html",
        "https://docs.sqlalchemy.org/en/20/orm/extensions/asyncio.html"
        "#using-asyncsession-with-concurrent-tasks",
    ),
    more_bad=(
        "import asyncio\n\n"
        "from sqlalchemy import select\n"
        "from sqlalchemy.ext.asyncio import AsyncSession\n\n"
        "from .models import User\n\n\n"
        "async def load(session: AsyncSession, ids: list[int]):\n"
        "    return await asyncio.gather(*(session.get(User, i) for i in ids))\n",
    ),
    more_good=(
        "import asyncio\n\n"
        "import asyncpg\n\n\n"
        "async def dashboard(conn: asyncpg.Connection):\n"
        '    users = await conn.fetchval("SELECT count(*) FROM users")\n'
        '    orders = await conn.fetchval("SELECT count(*) FROM orders")\n'
        '    return {"users": users, "orders": orders}\n',
    ),
)
