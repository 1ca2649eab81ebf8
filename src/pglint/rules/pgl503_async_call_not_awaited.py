"""PGL503: an async driver's coroutine created and dropped without `await`."""

from __future__ import annotations

from collections.abc import Iterator

from pglint.diagnostics import Edit, Fix
from pglint.facts.model import DriverCall, ModuleFacts
from pglint.rules._async_context import is_async
from pglint.rules._sqltext import shorten
from pglint.rules.base import Finding, Rule

_OUTCOMES = {
    "commit": "nothing is committed",
    "rollback": "nothing is rolled back",
    "close": "the connection is never closed",
    "release": "the connection never goes back to the pool",
    "connect": "the database is never connected",
    "disconnect": "the database is never disconnected",
    "flush": "nothing is flushed",
    "refresh": "nothing is refreshed",
    "delete": "nothing is deleted",
    "dispose": "the pool is never disposed",
    "open": "the pool is never opened",
}


def check(facts: ModuleFacts) -> Iterator[Finding]:
    source = facts.source
    for call in facts.driver_calls:
        site = call.site
        if call.receiver is None or not call.kind.info.is_async:
            continue
        if site.awaited or not site.discarded:
            continue
        function = site.scope.function()
        in_async = is_async(function)
        if not in_async and call.confidence != "certain":
            continue
        shown = _shown(call, facts)
        outcome = _OUTCOMES.get(call.method, "nothing is sent to the database")
        todo = "add `await`" if in_async else "await it in an `async def`"
        message = f"`{shorten(shown, 24)}` is never awaited, so {outcome}; {todo}"
        fix = None
        if in_async:
            start = source.start(call.node)
            fix = Fix("safe", "Add `await`", (Edit(start, start, "await "),))
        yield Finding(
            source.start(call.node),
            source.end(call.node),
            message,
            f"await {source.segment(call.node)}",
            fix,
        )


def _shown(call: DriverCall, facts: ModuleFacts) -> str:
    receiver = facts.source.segment(call.receiver) if call.receiver is not None else ""
    if len(receiver) > 30 or "\n" in receiver:
        receiver = "..."
    arguments = "(...)" if call.node.args or call.node.keywords else "()"
    return f"{receiver}.{call.method}{arguments}"


RULE = Rule(
    code="PGL503",
    name="async-call-not-awaited",
    summary="async driver call whose coroutine is never awaited",
    what_it_does=(
        "Checks for calls to an async driver's methods (asyncpg, psycopg 3's async "
        "classes, SQLAlchemy's `AsyncSession`/`AsyncConnection`, aiosqlite, aiopg, "
        "`databases`) written as a statement of their own, without `await`."
    ),
    why_bad=(
        "Calling a coroutine method only creates the coroutine; nothing is sent to the "
        "database until it is awaited. `session.commit()` without `await` commits nothing, "
        "`conn.execute(...)` runs no query, `conn.close()` leaks the connection. The code "
        "raises nothing: Python prints `RuntimeWarning: coroutine ... was never awaited` "
        "later, when the coroutine is garbage collected, and that warning often goes "
        "unseen.\n\n"
        "Calls whose result is used (assigned, returned, passed to `asyncio.gather()` or "
        "`create_task()`) are not reported; neither are calls on receivers whose driver is "
        "not known."
    ),
    example=(
        "from sqlalchemy.ext.asyncio import AsyncSession\n\n"
        "async def rename(session: AsyncSession, user, name: str):\n"
        "    user.name = name\n"
        "    session.commit()\n"
    ),
    use_instead=(
        "from sqlalchemy.ext.asyncio import AsyncSession\n\n"
        "async def rename(session: AsyncSession, user, name: str):\n"
        "    user.name = name\n"
        "    await session.commit()\n"
    ),
    check=check,
    fix_availability="sometimes",
    fix_summary=("adds `await` inside `async def`", "safe"),
    fix_safety=(
        "Safe inside `async def`: `await` is added in front of the call, which is what the "
        "code meant. No fix in a plain `def`, which cannot await; the message says to make "
        "the function `async def`."
    ),
    see_also="PGL303 for an awaitable pool factory called without `await`.",
    references=(
        "https://docs.python.org/3/library/asyncio-dev.html#detect-never-awaited-coroutines",
    ),
    more_bad=(
        "import asyncpg\n\n"
        "async def log_visit(pool: asyncpg.Pool, path: str):\n"
        '    pool.execute("INSERT INTO visits (path) VALUES ($1)", path)\n',
    ),
    more_good=(
        "import asyncio\n\nimport asyncpg\n\n"
        "async def log_visits(pool: asyncpg.Pool, paths: list[str]):\n"
        "    await asyncio.gather(\n"
        '        *(pool.execute("INSERT INTO visits (path) VALUES ($1)", p) for p in paths)\n'
        "    )\n",
    ),
)
