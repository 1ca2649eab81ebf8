"""The facts pass: driver resolution, SQL text evaluation and parameter shapes."""

from __future__ import annotations

import ast
import textwrap

import pytest

from pglint.facts import build_facts
from pglint.facts.model import DbCall
from pglint.source import SourceText


def db_calls(code: str) -> list[DbCall]:
    text = textwrap.dedent(code)
    return build_facts(ast.parse(text), SourceText(text), "t.py").db_calls


def only(code: str) -> DbCall:
    calls = db_calls(code)
    assert len(calls) == 1, [c.name for c in calls]
    return calls[0]


def sql_text(call: DbCall) -> str:
    """The first variant with interpolations shown as {expr} (safe ones as [expr])."""
    out = []
    for piece in call.sql[0].pieces:
        if piece.text is not None:
            out.append(piece.text)
        else:
            shown = ast.unparse(piece.expr) if piece.expr is not None else "?"
            out.append("{" + shown + "}" if not piece.safe else "[" + shown + "]")
    return "".join(out)


@pytest.mark.parametrize(
    ("code", "driver", "role", "confidence"),
    [
        (
            "import psycopg2\nc = psycopg2.connect().cursor()\nc.execute('SELECT 1')",
            "psycopg2",
            "cursor",
            "certain",
        ),
        (
            "import psycopg2 as pg\nconn = pg.connect()\ncur = conn.cursor()\ncur.execute('SELECT 1')",
            "psycopg2",
            "cursor",
            "certain",
        ),
        (
            "from psycopg2 import connect\nwith connect() as conn:\n    with conn.cursor() as cur:\n        cur.execute('SELECT 1')",
            "psycopg2",
            "cursor",
            "certain",
        ),
        (
            "import asyncpg\nasync def f():\n    pool = await asyncpg.create_pool()\n    async with pool.acquire() as conn:\n        await conn.fetch('SELECT 1')",
            "asyncpg",
            "connection",
            "certain",
        ),
        (
            "import asyncpg\nasync def f(conn: asyncpg.Connection):\n    await conn.fetch('SELECT 1')",
            "asyncpg",
            "connection",
            "certain",
        ),
        (
            "async def f(conn):\n    await conn.fetchrow('SELECT 1')",
            "asyncpg",
            "connection",
            "likely",
        ),
        (
            "import psycopg\nasync def f():\n    conn = await psycopg.AsyncConnection.connect()\n    await conn.execute('SELECT 1')",
            "psycopg_async",
            "connection",
            "certain",
        ),
        (
            "from psycopg_pool import ConnectionPool\npool = ConnectionPool('')\ndef f():\n    with pool.connection() as conn:\n        conn.execute('SELECT 1')",
            "psycopg",
            "connection",
            "certain",
        ),
        (
            "import sqlite3\ndef f():\n    conn = sqlite3.connect('x.db')\n    conn.execute('SELECT 1')",
            "sqlite3",
            "connection",
            "certain",
        ),
        (
            "from sqlalchemy import create_engine, text\nengine = create_engine('')\ndef f():\n    with engine.connect() as conn:\n        conn.execute(text('SELECT 1'))",
            "sqlalchemy",
            "connection",
            "certain",
        ),
        (
            "from sqlalchemy.orm import Session\ndef f(db: Session):\n    db.execute(text('SELECT 1'))\nfrom sqlalchemy import text",
            "sqlalchemy",
            "session",
            "certain",
        ),
        (
            "from django.db import connection\ndef f():\n    with connection.cursor() as cursor:\n        cursor.execute('SELECT 1')",
            "django",
            "cursor",
            "certain",
        ),
        (
            "import psycopg2\nclass Repo:\n    def __init__(self):\n        self.conn = psycopg2.connect()\n    def get(self):\n        cur = self.conn.cursor()\n        cur.execute('SELECT 1')",
            "psycopg2",
            "cursor",
            "certain",
        ),
    ],
)
def test_driver_resolution(code: str, driver: str, role: str, confidence: str) -> None:
    call = only(code)
    assert call.kind is not None
    assert (call.kind.driver, call.kind.role, call.confidence) == (driver, role, confidence)


def test_fastapi_dependency_resolves_the_yielded_session() -> None:
    call = only(
        """
        from fastapi import Depends
        from sqlalchemy import create_engine, text
        from sqlalchemy.orm import sessionmaker
        engine = create_engine("")
        SessionLocal = sessionmaker(bind=engine)
        def get_db():
            db = SessionLocal()
            try:
                yield db
            finally:
                db.close()
        def endpoint(db=Depends(get_db)):
            return db.execute(text("SELECT :x"), {"x": 1})
        """
    )
    assert call.kind is not None and call.kind.role == "session"
    assert call.driver is not None and call.driver.name == "sqlalchemy"


def test_module_pool_assigned_through_global_in_startup() -> None:
    call = only(
        """
        import asyncpg
        pool = None
        async def startup():
            global pool
            pool = await asyncpg.create_pool("")
        async def get_user(uid):
            return await pool.fetch("SELECT * FROM users WHERE id = $1", uid)
        """
    )
    assert call.kind is not None and (call.kind.driver, call.kind.role) == ("asyncpg", "pool")


def test_unknown_receiver_is_unresolved() -> None:
    call = only("def f(cur, x):\n    cur.execute('SELECT %s', (x,))\n")
    assert call.driver is None and call.confidence == "unknown"


def test_methods_of_other_objects_are_not_db_calls() -> None:
    assert (
        db_calls("import subprocess\nsubprocess.run('ls')\nlog = []\nlog.append('SELECT 1')\n")
        == []
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("q = f'SELECT * FROM t WHERE a = {a}'\ncur.execute(q)", "SELECT * FROM t WHERE a = {a}"),
        (
            "q = 'SELECT * FROM t'\nq += ' WHERE a = ' + a\ncur.execute(q)",
            "SELECT * FROM t WHERE a = {a}",
        ),
        ("cur.execute('SELECT * FROM t WHERE a = {}'.format(a))", "SELECT * FROM t WHERE a = {a}"),
        (
            "cur.execute('SELECT * FROM t WHERE a = %s AND b = %d' % (a, 5))",
            "SELECT * FROM t WHERE a = {a} AND b = [5]",
        ),
        ("TABLE = 'users'\ncur.execute(f'SELECT * FROM {TABLE}')", "SELECT * FROM users"),
        (
            "marks = ', '.join(['%s'] * len(ids))\ncur.execute(f'SELECT 1 WHERE id IN ({marks})', ids)",
            "SELECT 1 WHERE id IN ([marks])",
        ),
        ("cur.execute(f'SELECT * FROM t LIMIT {int(n)}')", "SELECT * FROM t LIMIT [int(n)]"),
        (
            "w = f\"name = '{n}'\"\ncur.execute(f'SELECT * FROM t WHERE {w}')",
            "SELECT * FROM t WHERE name = '{n}'",
        ),
        (
            "parts = ['SELECT * FROM t WHERE 1=1']\nparts.append(f'AND a = {a}')\ncur.execute(' '.join(parts))",
            "SELECT * FROM t WHERE 1=1 AND a = {a}",
        ),
    ],
)
def test_sql_text_is_followed_through_local_building(code: str, expected: str) -> None:
    body = textwrap.indent(code, "    ")
    call = only(f"def f(cur, a, n, ids):\n{body}\n")
    assert sql_text(call) == expected


def test_conditional_building_gives_variants() -> None:
    call = only(
        """
        def f(cur, a, flag):
            if flag:
                q = "SELECT 1"
            else:
                q = f"SELECT {a}"
            cur.execute(q)
        """
    )
    assert len(call.sql) == 2
    assert not any(v.exact for v in call.sql)


def test_loop_over_literal_names_is_safe() -> None:
    call = only(
        """
        def f(cur):
            for table in ("a", "b"):
                cur.execute(f"TRUNCATE {table}")
        """
    )
    assert all(p.safe for p in call.sql[0].pieces)


@pytest.mark.parametrize(
    ("args", "shape", "parenthesized"),
    [
        ("(uid,)", "tuple", False),
        ("(uid)", "scalar", True),
        ("[uid, 2]", "list", False),
        ("{'a': uid}", "dict", False),
        ("None", "none", False),
        ("params", "tuple", False),
        ("other", "unknown", False),
        ("(other)", "unknown", True),
        ("dict(a=1)", "dict", False),
    ],
)
def test_params_shape(args: str, shape: str, parenthesized: bool) -> None:
    call = only(
        f"import psycopg2\ndef f(uid: int, other):\n    params = (uid, 1)\n"
        f"    cur = psycopg2.connect().cursor()\n    cur.execute('SELECT %s', {args})\n"
    )
    assert (call.params.shape, call.params.parenthesized) == (shape, parenthesized)


def test_text_call_is_unwrapped_into_the_execute_call() -> None:
    calls = db_calls(
        """
        from sqlalchemy import text
        from sqlalchemy.orm import Session
        def f(s: Session, d):
            stmt = text("SELECT * FROM t WHERE d > :d")
            return s.execute(stmt, {"d": d})
        """
    )
    assert [c.name for c in calls] == ["execute"]
    assert calls[0].params.keys == frozenset({"d"})


def test_standalone_text_is_its_own_sql_call() -> None:
    call = only("from sqlalchemy import text\nq = text(f'SELECT {x}')\n")
    assert call.name == "text" and call.driver is not None


def test_django_extra_where_list_is_sql() -> None:
    call = only(
        """
        from myapp.models import Book
        def f(title):
            return Book.objects.filter(active=True).extra(where=[f"title = '{title}'"])
        """
    )
    assert call.kind is not None and call.kind.driver == "django"
    assert sql_text(call) == "title = '{title}'"


def test_django_raw_on_manager() -> None:
    call = only(
        "def f(Book, x):\n    return Book.objects.raw('SELECT * FROM b WHERE id = %s', [x])\n"
    )
    assert call.driver is not None and call.driver.name == "django"
    assert call.params.shape == "list"
