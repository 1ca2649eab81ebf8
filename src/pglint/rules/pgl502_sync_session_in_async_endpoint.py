"""PGL502: an `async def` endpoint (or dependency) injected with a sync session or
connection through `Depends(...)`, whether the dependency is in this module or imported
from another module of the project."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from pglint.diagnostics import Location
from pglint.drivers import ASYNC_EQUIVALENTS
from pglint.facts.model import Binding, ModuleFacts, Scope
from pglint.facts.resolve import Resolver
from pglint.rules import _plain_def as plain_def
from pglint.rules._async_context import injected_parameters
from pglint.rules._plain_def import plain_def_fix
from pglint.rules._sqltext import shorten
from pglint.rules.base import Finding, Rule

_SYNC_ROLES = frozenset({"session", "connection", "cursor"})
_NOUNS = {"session": "session", "connection": "connection", "cursor": "cursor"}


def check(facts: ModuleFacts) -> Iterator[Finding]:
    resolver = Resolver.of(facts)
    for function in facts.scopes:
        if function.kind != "function" or not isinstance(function.node, ast.AsyncFunctionDef):
            continue
        for binding in injected_parameters(function, facts):
            resolved = resolver.binding_kind(binding)
            if resolved is None:
                continue
            kind, _ = resolved
            if kind.info.is_async or kind.role not in _SYNC_ROLES:
                continue
            yield _finding(function, binding, kind, facts)
            break  # one finding per function: the fix is the same for every parameter


def _finding(function: Scope, binding: Binding, kind, facts: ModuleFacts) -> Finding:
    node = function.node
    name = node.name  # type: ignore[attr-defined]
    source = facts.source
    start = source.location(node.lineno, node.col_offset)  # type: ignore[attr-defined]
    line = source.line(node.lineno)  # type: ignore[attr-defined]
    found = line.find(name, start.column - 1)
    end = Location(start.row, found + len(name) + 1) if found >= 0 else start
    message = (
        f"`async def {shorten(name, 20)}` gets a sync {kind.info.label} {_NOUNS[kind.role]}; "
        "use an async one or a plain `def`"
    )
    return Finding(
        start, end, message, _suggestion(name, binding, kind), plain_def_fix(facts, function)
    )


def _suggestion(name: str, binding: Binding, kind) -> str:
    if kind.driver == "sqlalchemy":
        return (
            "async def get_session():\n"
            "    async with AsyncSessionLocal() as session:  # async_sessionmaker(async_engine)\n"
            "        yield session\n"
            "\n"
            f"async def {name}(..., {binding.name}: AsyncSession = Depends(get_session)):\n"
            f"    result = await {binding.name}.execute(select(...))\n"
            f"# or: def {name}(...) with the sync session, run in the thread pool"
        )
    equivalent = ASYNC_EQUIVALENTS.get(kind.driver, "an async driver")
    return (
        "async def get_connection():\n"
        "    async with app.state.pool.acquire() as conn:  # asyncpg.create_pool() at startup\n"
        "        yield conn\n"
        f"# (or {equivalent})\n"
        f"# or: def {name}(...) with the sync connection, run in the thread pool"
    )


RULE = Rule(
    code="PGL502",
    name="sync-session-in-async-endpoint",
    summary="sync session or connection injected into an async def endpoint",
    what_it_does=(
        "Checks for `async def` endpoints and dependencies that receive a sync database "
        "session, connection or cursor through `Depends(...)` (a parameter default or an "
        "`Annotated[..., Depends(...)]` alias), when the dependency is defined in the same "
        "module or imported from another module of the linted project."
    ),
    why_bad=(
        "FastAPI runs an `async def` endpoint on the event loop and a plain `def` endpoint "
        "in a thread pool. A sync `Session` (or psycopg2/sqlite3 connection) injected into "
        "an `async def` endpoint makes every query a blocking call on the loop: one slow "
        "query stalls every request the worker serves. Under load the service stops "
        "answering while the database is idle.\n\n"
        "A plain `def` endpoint with a sync session is correct and not reported. Reported "
        "once per function, at its name; the calls on the injected session are not "
        "reported again by PGL501."
    ),
    example=(
        "from fastapi import Depends, FastAPI\n"
        "from sqlalchemy import create_engine, select\n"
        "from sqlalchemy.orm import Session, sessionmaker\n\n"
        "app = FastAPI()\n"
        "SessionLocal = sessionmaker(bind=create_engine('postgresql://app@db/app'))\n\n"
        "def get_db():\n"
        "    db = SessionLocal()\n"
        "    try:\n"
        "        yield db\n"
        "    finally:\n"
        "        db.close()\n\n"
        "@app.get('/users')\n"
        "async def list_users(db: Session = Depends(get_db)):\n"
        "    return db.scalars(select(User)).all()\n"
    ),
    use_instead=(
        "from fastapi import Depends, FastAPI\n"
        "from sqlalchemy import select\n"
        "from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, "
        "create_async_engine\n\n"
        "app = FastAPI()\n"
        "SessionLocal = async_sessionmaker(create_async_engine('postgresql+asyncpg://app@db/app'))\n\n"
        "async def get_db():\n"
        "    async with SessionLocal() as session:\n"
        "        yield session\n\n"
        "@app.get('/users')\n"
        "async def list_users(db: AsyncSession = Depends(get_db)):\n"
        "    return (await db.scalars(select(User))).all()\n"
    ),
    check=check,
    fix_availability="sometimes",
    fix_summary=plain_def.FIX_SUMMARY,
    fix_safety=plain_def.FIX_SAFETY,
    see_also="PGL501 for sync driver calls made directly in an `async def`.",
    references=(
        "https://fastapi.tiangolo.com/async/#path-operation-functions",
        "https://docs.sqlalchemy.org/en/20/orm/extensions/asyncio.html",
    ),
    more_bad=(
        "from typing import Annotated\n\n"
        "import psycopg2\n"
        "from fastapi import Depends\n\n"
        "def get_conn():\n"
        "    conn = psycopg2.connect()\n"
        "    try:\n"
        "        yield conn\n"
        "    finally:\n"
        "        conn.close()\n\n"
        "Conn = Annotated[psycopg2.extensions.connection, Depends(get_conn)]\n\n"
        "@router.get('/health')\n"
        "async def health(conn: Conn):\n"
        "    return {'ok': True}\n",
    ),
    more_good=(
        "from fastapi import Depends\n"
        "from sqlalchemy.orm import Session\n\n"
        "@router.get('/users')\n"
        "def list_users(db: Session = Depends(get_db)):\n"
        "    return db.query(User).all()\n",
    ),
)
