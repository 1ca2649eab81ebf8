"""PGL402: a session or connection yielded by a dependency or context manager is not
closed in `finally` (or by `with`)."""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator

from pglint.diagnostics import Fix
from pglint.facts.model import ModuleFacts
from pglint.facts.resources import Resource
from pglint.facts.roles import FunctionInfo
from pglint.rules._lifecycle import yield_and_close_edit, yield_location
from pglint.rules._sqltext import shorten
from pglint.rules.base import Finding, Rule


def check(facts: ModuleFacts) -> Iterator[Finding]:
    roles = facts.roles
    if roles is None:
        return
    for resource in facts.resources:
        if resource.state != "yielded" or resource.released or not resource.yields:
            continue
        info = roles.of(resource.function)
        if info is None or not (info.is_dependency or info.is_context_manager):
            continue
        if roles.runs_once(resource.function):
            continue  # fixtures, lifespan: they run once
        for value in resource.yields:
            yield _finding(facts, info, resource, value)


def _finding(facts: ModuleFacts, info: FunctionInfo, resource: Resource, value: ast.expr):
    source = facts.source
    what = "session" if resource.kind.role == "session" else "connection"
    closes = "gives back" if resource.checkout is not None else "closes"
    who = f"`{shorten(info.name, 20)}`"
    if resource.releases:
        problem = f"{who} {closes} its {what} after the `yield`, not in `finally`"
    elif resource.with_item is not None:
        problem = f"{who} yields a {what} that its `with` never {closes}"
    else:
        problem = f"{who} never {closes} the {what} it yields"
    message = f"{problem}; use try/finally"
    start, end = yield_location(source, value)
    edit, name = _rewrite(facts, info, resource, value)
    suggestion = (
        textwrap.dedent(edit.content)
        if edit is not None
        else f"try:\n    yield {name}\nfinally:\n    {resource.release_call(name)}"
    )
    fix = Fix("safe", "Wrap the yield in try/finally", (edit,)) if edit is not None else None
    return Finding(start, end, message, suggestion, fix)


def _rewrite(facts: ModuleFacts, info: FunctionInfo, resource: Resource, value: ast.expr):
    source = facts.source
    body = info.node.body
    anchor = _top_level_yield(body, value)
    if anchor is None or resource.with_item is not None:
        return None, resource.name or "db"
    return yield_and_close_edit(source, info, resource, anchor, value)


def _top_level_yield(body: list[ast.stmt], value: ast.expr) -> ast.stmt | None:
    for stmt in body:
        if (
            isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Yield)
            and stmt.value.value is value
        ):
            return stmt
    return None


RULE = Rule(
    code="PGL402",
    name="yielded-session-not-closed",
    summary="session or connection yielded by a dependency is not closed in `finally`",
    what_it_does=(
        "Checks for FastAPI dependencies and `@contextmanager` functions that yield a "
        "session, connection or pool checkout they opened without closing it in a "
        "`finally` block or through a `with` / `async with` block that closes it."
    ),
    why_bad=(
        "Code after `yield` runs only when the endpoint succeeds. When it raises, the "
        "exception is thrown into the generator at the `yield`, so a `db.close()` on the "
        "next line is skipped — and with no close at all, nothing releases the session "
        "even on success. Each such request leaves a connection checked out; errors "
        "come in bursts, and a burst empties the pool. `try: yield db` / `finally: "
        "db.close()` (or `with SessionLocal() as db: yield db`) releases it on every "
        "path.\n\n"
        "psycopg2's and sqlite3's `with connect() as conn` only commit or roll back, so "
        "yielding inside one does not count as closing."
    ),
    example=(
        "from fastapi import Depends\n"
        "from sqlalchemy import create_engine\n"
        "from sqlalchemy.orm import Session, sessionmaker\n\n"
        'SessionLocal = sessionmaker(bind=create_engine("postgresql://app@db/app"))\n\n\n'
        "def get_db():\n"
        "    db = SessionLocal()\n"
        "    yield db\n"
        "    db.close()\n\n\n"
        "def read(db: Session = Depends(get_db)):\n"
        "    return db\n"
    ),
    use_instead=(
        "from fastapi import Depends\n"
        "from sqlalchemy import create_engine\n"
        "from sqlalchemy.orm import Session, sessionmaker\n\n"
        'SessionLocal = sessionmaker(bind=create_engine("postgresql://app@db/app"))\n\n\n'
        "def get_db():\n"
        "    db = SessionLocal()\n"
        "    try:\n"
        "        yield db\n"
        "    finally:\n"
        "        db.close()\n\n\n"
        "def read(db: Session = Depends(get_db)):\n"
        "    return db\n"
    ),
    check=check,
    fix_availability="sometimes",
    fix_summary=("moves the `yield` into `try` and the close into `finally`", "safe"),
    fix_safety=(
        "Safe: the `yield` and the statements after it (all one line each, at the top "
        "level of the function) move into `try`, and a close that already ends the "
        "function moves into `finally` (or the driver's close is added). On success the "
        "same code runs in the same order; on an exception the session is now closed. "
        "No fix when the `yield` is nested in another block or followed by multi-line "
        "statements."
    ),
    see_also="PGL401 for a dependency that returns instead of yielding.",
    references=("https://fastapi.tiangolo.com/tutorial/dependencies/dependencies-with-yield/",),
    more_bad=(
        "import psycopg2\n"
        "from fastapi import Depends\n\n"
        'pool = psycopg2.pool.ThreadedConnectionPool(1, 10, "dbname=app")\n\n\n'
        "def get_conn():\n"
        "    conn = pool.getconn()\n"
        "    yield conn\n\n\n"
        "def read(conn=Depends(get_conn)):\n"
        "    return conn\n",
    ),
    more_good=(
        "from fastapi import Depends\n"
        "from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, "
        "create_async_engine\n\n"
        'engine = create_async_engine("postgresql+asyncpg://app@db/app")\n'
        "SessionLocal = async_sessionmaker(engine)\n\n\n"
        "async def get_session():\n"
        "    async with SessionLocal() as session:\n"
        "        yield session\n\n\n"
        "async def read(session: AsyncSession = Depends(get_session)):\n"
        "    return session\n",
    ),
)
