"""PGL701: a write on a connection or session that is closed without a commit."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from pglint.diagnostics import Edit, Fix, Location
from pglint.facts.model import ModuleFacts
from pglint.facts.transactions import Handle, Sent, dependency_commits
from pglint.rules.base import Finding, Rule

_ENDED = frozenset({"released", "closed_on_success", "not_closed", "with_does_not_close"})
_SQLALCHEMY = frozenset({"sqlalchemy", "sqlalchemy_async"})


def check(facts: ModuleFacts) -> Iterator[Finding]:
    roles = facts.roles
    if roles is None or "migration" in roles.module_roles:
        return  # Alembic and Django commit what a migration writes
    for handle in facts.transactions:
        write = _lost_write(facts, handle)
        if write is None:
            continue
        source = facts.source
        what = _what(handle, write)
        end = _end(facts, handle)
        message = f"{what} is never committed: {end}"
        fix = _fix(facts, handle) if facts.wants_fixes else None
        suggestion = _suggestion(facts, handle) if facts.wants_fixes else None
        yield Finding(source.start(write.node), source.end(write.node), message, suggestion, fix)


def _lost_write(facts: ModuleFacts, handle: Handle) -> Sent | None:
    """The first write that no path commits, on a handle this function ends."""
    if not handle.model.implicit or handle.begun or handle.escapes or handle.commits:
        return None
    if any(not _in_except(facts, r) for r in handle.rollbacks):
        return None  # rolled back on purpose: a dry run
    if handle.origin == "acquired":
        resource = handle.resource
        if resource is None or resource.state not in _ENDED:
            return None
    elif handle.origin == "dependency":
        if handle.kind.role != "session" or handle.dependency is None:
            return None
        if dependency_commits(facts, handle.dependency) is not False:
            return None
    else:
        return None
    for write in handle.writes:
        if write.block is not None or any(s.needs_autocommit for s in write.statements):
            continue  # a `CREATE DATABASE` here fails before anything is lost: PGL705
        autocommit = handle.autocommit_at(write.pos)
        if autocommit is False or (autocommit is None and handle.origin == "dependency"):
            return write
    return None


def _in_except(facts: ModuleFacts, sent: Sent) -> bool:
    return any(isinstance(facts.blocks.get(b, (None, ""))[0], ast.ExceptHandler)
               for b in sent.site.block)  # fmt: skip


def _what(handle: Handle, write: Sent) -> str:
    for statement in write.statements:
        if statement.writes:
            table = next((t for t in statement.tables if t != "?"), None)
            verb = statement.main if statement.verb == "WITH" else statement.verb
            into = {"INSERT": " INTO", "DELETE": " FROM", "MERGE": " INTO"}.get(verb, "")
            if verb != statement.head:
                return f"`{statement.head}`"  # DDL: `CREATE TABLE`
            if table and verb != "COPY":
                return f"`{verb}{into} {_short(table, 22)}`"
            return f"`{verb}` on `{_short(handle.name or '', 16)}`"
    return f"`{handle.name}.{write.method}()`"


def _end(facts: ModuleFacts, handle: Handle) -> str:
    if handle.origin == "dependency":
        dependency = handle.dependency
        target = dependency.target if dependency is not None else None
        name = facts.source.segment(target) if target is not None else "the dependency"
        return f"`{_short(name, 24)}` closes the session without one"
    resource = handle.resource
    assert resource is not None
    what = "session" if handle.kind.role == "session" else "connection"
    if resource.checkout is not None:
        return "returning it to the pool rolls it back"
    if resource.with_item is not None and resource.state == "released":
        call = facts.source.segment(resource.node)
        return f"`with {_short(call, 28)}` rolls it back"
    if resource.state == "not_closed":
        return f"the dropped {what} rolls it back"
    return f"closing the {what} rolls it back"


def _short(text: str, limit: int = 30) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _engine_connect(facts: ModuleFacts, handle: Handle) -> ast.Attribute | None:
    """`engine.connect()` acquired by `with`: the call whose method can become `begin`."""
    resource = handle.resource
    if resource is None or resource.with_item is None or handle.kind.driver not in _SQLALCHEMY:
        return None
    func = resource.node.func
    if (
        handle.kind.role == "connection"
        and isinstance(func, ast.Attribute)
        and func.attr == "connect"
    ):
        return func
    return None


def _fix(facts: ModuleFacts, handle: Handle) -> Fix | None:
    """`with engine.connect() as conn:` -> `with engine.begin() as conn:`: the block then
    commits when it ends. Safe: nothing in the block commits, rolls back or begins."""
    func = _engine_connect(facts, handle)
    if func is None or handle.rollbacks:
        return None
    source = facts.source
    end = source.end(func)
    start = Location(end.row, end.column - len(func.attr))
    if source.line(end.row)[start.column - 1 : end.column - 1] != "connect":
        return None
    return Fix("safe", "Use `engine.begin()`, which commits when the block ends",
               (Edit(start, end, "begin"),))  # fmt: skip


def _suggestion(facts: ModuleFacts, handle: Handle) -> str:
    name = handle.name or "conn"
    awaited = "await " if handle.kind.info.is_async else ""
    func = _engine_connect(facts, handle)
    if func is not None:
        engine = facts.source.segment(func.value)
        prefix = "async with" if handle.kind.info.is_async else "with"
        return f"{prefix} {engine}.begin() as {name}:  # commits when the block ends\n    ..."
    if handle.kind.driver in ("psycopg2", "psycopg") and handle.origin == "acquired":
        return f"with {name}:  # commits when the block ends, rolls back on an error\n    ..."
    return f"{awaited}{name}.commit()  # after the writes, before the {handle.kind.role} ends"


RULE = Rule(
    code="PGL701",
    name="write-not-committed",
    summary="a write on a connection or session that is closed without a commit",
    what_it_does=(
        "Checks for INSERT, UPDATE, DELETE, DDL or `session.add()` / `delete()` on a "
        "connection or session that opens transactions implicitly, when the function "
        "then closes it, returns it to its pool or leaves its `with engine.connect()` "
        "block — with no commit, no committing block (`engine.begin()`, `with conn:`, "
        "`conn.transaction()`, `session.begin()`) and no committing dependency."
    ),
    why_bad=(
        "psycopg2, psycopg 3, pg8000 and SQLAlchemy open a transaction with the first "
        "statement and keep it open until `commit()`. Closing the connection, returning "
        "it to a pool, leaving `with engine.connect()` or closing a session rolls the "
        "transaction back: the INSERT ran, returned its id, raised no error — and the "
        "row is gone. It works in a test that reads through the same connection, and "
        "loses every write in production. SQLAlchemy 1.x committed some of these "
        "statements by itself; 2.0 no longer does.\n\n"
        "The driver table decides what commits: psycopg 3's `with psycopg.connect()` and "
        "psycopg2's `with conn:` commit at the end of the block, psycopg_pool's `with "
        "pool.connection()` commits, asyncpg and aiopg run in autocommit. A route "
        "handler's write through a session from `Depends(get_db)` is reported when "
        "`get_db` (in the same module) yields it without committing afterwards.\n\n"
        "Not reported: a connection in autocommit (`autocommit=True`, "
        '`isolation_level="AUTOCOMMIT"`), one passed to another function, returned or '
        "stored (its new owner may commit), a function that rolls back on purpose, "
        "tests and migrations."
    ),
    example=(
        "from sqlalchemy import create_engine, text\n\n"
        'engine = create_engine("postgresql+psycopg://app@db/app")\n\n\n'
        "def archive(order_id: int) -> None:\n"
        "    with engine.connect() as conn:\n"
        "        conn.execute(\n"
        '            text("UPDATE orders SET archived = true WHERE id = :id"), {"id": order_id}\n'
        "        )\n"
    ),
    use_instead=(
        "from sqlalchemy import create_engine, text\n\n"
        'engine = create_engine("postgresql+psycopg://app@db/app")\n\n\n'
        "def archive(order_id: int) -> None:\n"
        "    with engine.begin() as conn:\n"
        "        conn.execute(\n"
        '            text("UPDATE orders SET archived = true WHERE id = :id"), {"id": order_id}\n'
        "        )\n"
    ),
    check=check,
    fix_availability="sometimes",
    fix_summary=("`with engine.connect()` → `with engine.begin()`", "safe"),
    fix_safety=(
        "Safe for `with engine.connect() as conn:` when nothing in the block commits, "
        "rolls back or begins a transaction: `engine.begin()` runs the same statements "
        "on the same kind of connection and commits when the block ends (or rolls back "
        "when it raises, as the original always did). Other cases get a suggestion: "
        "where the commit belongs is the author's decision."
    ),
    see_also="PGL702 for writes on autocommit connections that should be one transaction.",
    references=(
        "https://docs.sqlalchemy.org/en/20/core/connections.html#commit-as-you-go",
        "https://www.psycopg.org/psycopg3/docs/basic/transactions.html",
        "https://www.psycopg.org/docs/usage.html#transactions-control",
    ),
    checks_test_modules=False,
    test_code="a test often writes without committing on purpose, and rolls back at teardown.",
    more_bad=(
        "import psycopg2\n\n\n"
        "def add_user(dsn, email):\n"
        "    conn = psycopg2.connect(dsn)\n"
        "    try:\n"
        "        with conn.cursor() as cur:\n"
        '            cur.execute("INSERT INTO users (email) VALUES (%s)", (email,))\n'
        "    finally:\n"
        "        conn.close()\n",
        "from fastapi import Depends, FastAPI\n"
        "from sqlalchemy.orm import Session\n\n"
        "from .database import SessionLocal\n"
        "from .models import User\n\n"
        "app = FastAPI()\n\n\n"
        "def get_db():\n"
        "    db = SessionLocal()\n"
        "    try:\n"
        "        yield db\n"
        "    finally:\n"
        "        db.close()\n\n\n"
        '@app.post("/users")\n'
        "def create_user(email: str, db: Session = Depends(get_db)):\n"
        "    db.add(User(email=email))\n"
        '    return {"ok": True}\n',
    ),
    more_good=(
        "import psycopg\n\n\n"
        "def add_user(dsn, email):\n"
        "    with psycopg.connect(dsn) as conn:  # commits when the block ends\n"
        '        conn.execute("INSERT INTO users (email) VALUES (%s)", (email,))\n',
        "from fastapi import Depends, FastAPI\n"
        "from sqlalchemy.orm import Session\n\n"
        "from .database import SessionLocal\n"
        "from .models import User\n\n"
        "app = FastAPI()\n\n\n"
        "def get_db():\n"
        "    db = SessionLocal()\n"
        "    try:\n"
        "        yield db\n"
        "        db.commit()\n"
        "    except Exception:\n"
        "        db.rollback()\n"
        "        raise\n"
        "    finally:\n"
        "        db.close()\n\n\n"
        '@app.post("/users")\n'
        "def create_user(email: str, db: Session = Depends(get_db)):\n"
        "    db.add(User(email=email))\n"
        '    return {"ok": True}\n',
    ),
)
