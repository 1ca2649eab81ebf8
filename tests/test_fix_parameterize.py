"""PGL101's unsafe fix: the call rewritten to pass values as parameters, driver by driver.

Each expected text below is written from the driver's documented parameter style, not
copied from pglint's output.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from conftest import invoke, write


def fixed(project, source: str) -> str:
    path = write(project, "db.py", textwrap.dedent(source))
    invoke("check", "--fix", "--unsafe-fixes", "db.py")
    return path.read_text()


def after_safe_fix_only(project, source: str) -> str:
    path = write(project, "db.py", textwrap.dedent(source))
    invoke("check", "--fix", "db.py")
    return path.read_text()


CASES = {
    "psycopg2-quoted-value": (
        """\
        import psycopg2

        def find(email):
            cur = psycopg2.connect().cursor()
            cur.execute(f"SELECT * FROM users WHERE email = '{email}'")
        """,
        'cur.execute("SELECT * FROM users WHERE email = %s", (email,))',
    ),
    "asyncpg-awaited-two-values": (
        """\
        import asyncpg

        async def orders(pool: asyncpg.Pool, status, limit):
            async with pool.acquire() as conn:
                return await conn.fetch(f"SELECT * FROM orders WHERE status = '{status}' LIMIT {limit}")
        """,
        'return await conn.fetch("SELECT * FROM orders WHERE status = $1 LIMIT $2", status, limit)',
    ),
    "sqlite3-percent-format": (
        """\
        import sqlite3

        def lookup(name):
            db = sqlite3.connect("app.db")
            return db.execute("SELECT id FROM t WHERE name = '%s'" % name).fetchall()
        """,
        'return db.execute("SELECT id FROM t WHERE name = ?", (name,)).fetchall()',
    ),
    "sqlalchemy-text-like-pattern": (
        """\
        from sqlalchemy import text
        from sqlalchemy.orm import Session

        def search(session: Session, term):
            return session.execute(text(f"SELECT id FROM items WHERE name LIKE '%{term}%'")).all()
        """,
        'text("SELECT id FROM items WHERE name LIKE :term"),\n        {"term": f"%{term}%"},',
    ),
    "sqlalchemy-text-fragment": (
        # A clause, not a statement: it is bound like one.
        """\
        from sqlalchemy import select, text
        from sqlalchemy.orm import Session

        def find(session: Session, users, email):
            return session.execute(select(users).where(text(f"email = '{email}'"))).all()
        """,
        'where(text("email = :email").bindparams(email=email))',
    ),
    "django-cursor-list": (
        """\
        from django.db import connection

        def titles(author):
            with connection.cursor() as cursor:
                cursor.execute("SELECT title FROM books WHERE author = '{}'".format(author))
                return cursor.fetchall()
        """,
        'cursor.execute("SELECT title FROM books WHERE author = %s", [author])',
    ),
    "identifier-stays-interpolated": (
        # (PGL102 reports the name; its fix is for psycopg, whose `sql.Identifier` quotes.)
        """\
        import asyncpg

        async def page(conn: asyncpg.Connection, table, owner):
            return await conn.fetch(f"SELECT * FROM {table} WHERE owner = '{owner}'")
        """,
        'return await conn.fetch(f"SELECT * FROM {table} WHERE owner = $1", owner)',
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_fix_rewrites_the_call(project, name):
    source, expected_line = CASES[name]
    result = fixed(project, source)
    assert expected_line in result, result
    compile(result, name, "exec")
    codes = invoke("check", "--output-format", "concise", "db.py").stdout
    assert "PGL101" not in codes


@pytest.mark.parametrize("name", CASES)
def test_fix_is_unsafe_only(project, name):
    source, _ = CASES[name]
    assert after_safe_fix_only(project, source) == textwrap.dedent(source)


def test_multi_line_call_keeps_its_indentation(project):
    result = fixed(
        project,
        """\
        import psycopg2


        class Repository:
            def __init__(self):
                self.conn = psycopg2.connect()

            def create(self, name, email, city):
                with self.conn.cursor() as cur:
                    cur.execute(
                        f"INSERT INTO customers (name, email, city) VALUES ('{name}', '{email}', '{city}')"
                    )
        """,
    )
    assert (
        "            cur.execute(\n"
        '                "INSERT INTO customers (name, email, city) VALUES (%s, %s, %s)",\n'
        "                (name, email, city),\n"
        "            )\n"
    ) in result
    compile(result, "db.py", "exec")


def test_an_f_string_keeps_its_rows_and_comments(project):
    """Only the literals whose text changes are rewritten, each in place: a query written
    as f-strings on several rows stays on those rows, comments included, and a literal
    left without a field loses its `f`."""
    result = fixed(
        project,
        """\
        import psycopg2

        def search(conn: psycopg2.extensions.connection, term, owner):
            cur = conn.cursor()
            cur.execute(
                f"SELECT id, name, description, price, stock FROM products "  # columns
                f"WHERE name ILIKE '%{term}%' AND owner = '{owner}' ORDER BY name"  # by name
            )
            return cur.fetchall()
        """,
    )
    assert (
        "    cur.execute(\n"
        '        f"SELECT id, name, description, price, stock FROM products "  # columns\n'
        '        "WHERE name ILIKE %s AND owner = %s ORDER BY name",  # by name\n'
        '        (f"%{term}%", owner),\n'
        "    )\n"
    ) in result
    compile(result, "db.py", "exec")


def test_fields_that_stay_keep_the_literal_an_f_string(project):
    result = fixed(
        project,
        """\
        import asyncpg

        async def page(conn: asyncpg.Connection, table, owner, status):
            return await conn.fetch(
                f"SELECT * FROM {table} "
                f"WHERE owner = '{owner}' "
                f"AND status = '{status}' AND note <> '{{}}'"
            )
        """,
    )
    assert (
        "    return await conn.fetch(\n"
        '        f"SELECT * FROM {table} "\n'
        '        "WHERE owner = $1 "\n'
        "        \"AND status = $2 AND note <> '{}'\",\n"
        "        owner,\n"
        "        status,\n"
        "    )\n"
    ) in result


@pytest.mark.parametrize(
    "source",
    [
        # The query is built before the call: no fix, the suggestion says what to write.
        """\
        import psycopg2

        def find(email):
            cur = psycopg2.connect().cursor()
            query = f"SELECT * FROM users WHERE email = '{email}'"
            cur.execute(query)
        """,
        # The driver is unknown: the placeholder style cannot be chosen.
        """\
        def find(cur, email):
            cur.execute(f"SELECT * FROM users WHERE email = '{email}'")
        """,
        # `{uid:d}` is a number written with a format: it can be neither bound as it is
        # written nor kept without its format.
        """\
        import psycopg2

        def find(uid, email):
            cur = psycopg2.connect().cursor()
            cur.execute(f"SELECT * FROM users WHERE id = {uid:05d} AND email = '{email}'")
        """,
        # The values joined into an IN list would be bound as one value.
        """\
        import psycopg2

        def find(names):
            cur = psycopg2.connect().cursor()
            cur.execute(f"SELECT * FROM users WHERE name IN ({', '.join(names)})")
        """,
        # A value cast right after its quotes: asyncpg binds no str as an interval.
        """\
        import asyncpg

        async def recent(conn: asyncpg.Connection, days):
            return await conn.fetch(f"SELECT * FROM t WHERE at > now() - '{days} days'::interval")
        """,
        # A safe value of unknown text could bring a `%` into a query bound with `%s`.
        """\
        import psycopg2
        from app.settings import ORDER

        def find(email):
            cur = psycopg2.connect().cursor()
            cur.execute(f"SELECT * FROM users WHERE email = '{email}' ORDER BY {ORDER}")
        """,
    ],
    ids=[
        "built-before-the-call",
        "unknown-driver",
        "formatted-number",
        "joined-list",
        "cast-after-quotes",
        "unknown-safe-text-with-percent-style",
    ],
)
def test_no_fix(project, source):
    assert fixed(project, source) == textwrap.dedent(source)
    assert "PGL101" in invoke("check", "--output-format", "concise", "db.py").stdout


def test_values_are_passed_by_the_names_the_query_used(project):
    # `name = input()`: the fix passes `name`; it must not call input() a second time.
    result = fixed(
        project,
        """\
        import psycopg2

        def orders(conn: psycopg2.extensions.connection):
            name = input()
            cur = conn.cursor()
            cur.execute(f"SELECT * FROM orders WHERE customer = '{name}'")
        """,
    )
    assert 'cur.execute("SELECT * FROM orders WHERE customer = %s", (name,))' in result
    assert result.count("input()") == 1


def test_no_fix_when_the_values_come_from_text_built_earlier(project):
    source = """\
        import psycopg2

        def orders(conn: psycopg2.extensions.connection, customer):
            where = f"customer = '{customer}'"
            customer = None
            cur = conn.cursor()
            cur.execute(f"SELECT * FROM orders WHERE {where}")
        """
    assert fixed(project, source) == textwrap.dedent(source)


def test_a_safe_value_stays_as_written_next_to_the_bound_one(project):
    result = fixed(
        project,
        """\
        import asyncpg

        LIMIT = 50

        async def page(conn: asyncpg.Connection, status, offset):
            return await conn.fetch(
                f"SELECT * FROM orders WHERE status = '{status}' LIMIT {LIMIT} OFFSET {int(offset)}"
            )
        """,
    )
    assert (
        "    return await conn.fetch(\n"
        '        f"SELECT * FROM orders WHERE status = $1 LIMIT {LIMIT} OFFSET {int(offset)}",\n'
        "        status,\n"
        "    )\n"
    ) in result
    compile(result, "db.py", "exec")


def test_no_stand_in_text_reaches_a_suggestion(project):
    write(
        project,
        "db.py",
        textwrap.dedent(
            """\
            import psycopg2
            from app.settings import ORDER

            def find(uid, email):
                cur = psycopg2.connect().cursor()
                cur.execute(f"SELECT * FROM users WHERE id = {uid:d} AND email = '{email}'")
                cur.execute(f"SELECT * FROM users WHERE email = '{email}' ORDER BY {ORDER}")
            """
        ),
    )
    report = json.loads(invoke("check", "--output-format", "json", "db.py").stdout)
    assert [item["code"] for item in report] == ["PGL101", "PGL101"]
    for item in report:
        assert "_pglint_" not in json.dumps(item) and "id = 0" not in json.dumps(item)
