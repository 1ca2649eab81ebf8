"""Fixes inside SQL text, against a real server: PGL204's `INTERVAL '%s days'` ->
`%s * INTERVAL '1 day'` gives the interval the text meant for every value that worked,
and binds the ones that did not; unquoting a lone placeholder changes the value's type,
which is why that fix is unsafe."""

from __future__ import annotations

import pytest

from pglint import lint_source

UNITS = [("days", "day"), ("hours", "hour"), ("minutes", "minute"), ("weeks", "week"),
         ("months", "month"), ("years", "year")]  # fmt: skip
NUMBERS = [0, 1, 5, 30, -2, 1.5, 0.25]

PSYCOPG2 = """
    import psycopg2

    def window(dsn, n):
        conn = psycopg2.connect(dsn)
        try:
            cur = conn.cursor()
            cur.execute("SELECT (interval '%s UNIT')::text", (n,))
            return cur.fetchone()[0]
        finally:
            conn.close()
"""

PSYCOPG = """
    import psycopg

    def window(dsn, n):
        with psycopg.connect(dsn) as conn:
            return conn.execute("SELECT (INTERVAL '%s UNIT')::text", (n,)).fetchone()[0]
"""

ASYNCPG = """
    import asyncio

    import asyncpg

    async def _window(dsn, n):
        conn = await asyncpg.connect(dsn)
        try:
            return await conn.fetchval("SELECT (interval '$1 UNIT')::text", n)
        finally:
            await conn.close()

    def window(dsn, n):
        return asyncio.run(_window(dsn, n))
"""

SQLALCHEMY = """
    from sqlalchemy import create_engine, text

    engine = None

    def window(dsn, n):
        global engine
        if engine is None:
            engine = create_engine(dsn.replace("postgresql://", "postgresql+psycopg2://"))
        with engine.connect() as conn:
            return conn.execute(text("SELECT (INTERVAL ':n UNIT')::text"), {"n": n}).scalar()
"""


def meant(server, number, unit: str) -> str:
    """What PostgreSQL makes of the interval the text spells out for ``number``."""
    import psycopg

    with psycopg.connect(server.libpq) as conn:
        return conn.execute(f"SELECT (interval '{number} {unit}')::text").fetchone()[0]


def results(window, dsn, numbers) -> list:
    out = []
    for n in numbers:
        try:
            out.append(window(dsn, n))
        except Exception as exc:  # the drivers' and the server's errors
            out.append(type(exc).__name__)
    return out


@pytest.mark.parametrize(("plural", "singular"), UNITS, ids=[u for u, _ in UNITS])
@pytest.mark.parametrize(
    ("driver", "source", "worked"),
    [
        ("psycopg2", PSYCOPG2, True),  # interpolated on the client: `interval '5 days'`
        ("sqlalchemy", SQLALCHEMY, True),  # the same, through `text()` and psycopg2
        ("psycopg", PSYCOPG, False),  # `interval '$1 days'`: always '1 day', silently
        ("asyncpg", ASYNCPG, False),  # no parameter in the text at all
    ],
)
def test_interval_fix_gives_the_interval_the_text_meant(
    server, program, driver, source, worked, plural, singular
):
    code = program(source.replace("UNIT", plural))
    assert "PGL204" in code.findings()
    expected = [meant(server, n, plural) for n in NUMBERS]
    before = results(code.load().window, server.dsn, NUMBERS)
    if worked:
        assert before == expected
    else:  # the value never reaches the interval: one answer (or error) for all of them
        assert len(set(before)) == 1 and before != expected
    fixed = code.fixed()
    assert f" * interval '1 {singular}'" in code.fixed_source.lower()
    assert "PGL204" not in [d.code for d in lint_source(code.fixed_source).diagnostics]
    assert results(fixed.window, server.dsn, NUMBERS) == expected


def test_interval_fix_binds_a_string_that_broke_the_quotes(server, program):
    code = program(PSYCOPG2.replace("UNIT", "days"))
    with pytest.raises(Exception, match="syntax"):
        code.load().window(server.dsn, "5")  # `interval ''5' days'`
    assert code.fixed().window(server.dsn, "5") == "5 days"


def test_unquoting_a_lone_placeholder_binds_the_value_with_its_type(server, program):
    """Why `'%s'` -> `%s` is unsafe: what was compared as text is now compared as the
    value's own type, and a number no longer matches a text column."""
    import psycopg2

    code = program(
        """
        import psycopg2

        def named(dsn, name):
            conn = psycopg2.connect(dsn)
            try:
                cur = conn.cursor()
                cur.execute("SELECT id FROM users WHERE name = '%s'", (name,))
                return cur.fetchall()
            finally:
                conn.close()
        """
    )
    assert "PGL204" in code.findings()
    original = code.load()
    assert original.named(server.dsn, 7) == []  # `name = '7'`: text, no such user
    with pytest.raises(psycopg2.errors.SyntaxError):
        original.named(server.dsn, "Ada")  # `name = ''Ada''`
    fixed = code.fixed("--unsafe-fixes")
    assert 'WHERE name = %s"' in code.fixed_source
    assert fixed.named(server.dsn, "Ada") == [(1,)]  # bound now
    with pytest.raises(psycopg2.errors.UndefinedFunction):
        fixed.named(server.dsn, 7)  # `name = 7`: text = integer


# --- PGL601 -------------------------------------------------------------------------------


def test_password_fix_reads_the_url_from_the_environment(server, program, monkeypatch):
    url = server.dsn.replace("postgresql://pglint@", "postgresql://pglint:Tr0ub4dor@")
    code = program(
        f"""
        import psycopg2

        DATABASE_URL = "{url}"

        def user_count():
            conn = psycopg2.connect(DATABASE_URL)
            try:
                cur = conn.cursor()
                cur.execute("SELECT count(*) FROM users")
                return cur.fetchone()[0]
            finally:
                conn.close()
        """
    )
    assert code.findings() == ["PGL601"]
    assert code.load().user_count() == 3
    monkeypatch.setenv("DATABASE_URL", server.dsn)
    fixed = code.fixed("--unsafe-fixes")
    assert 'DATABASE_URL = os.environ["DATABASE_URL"]' in code.fixed_source
    assert "Tr0ub4dor" not in code.fixed_source and "import os" in code.fixed_source
    assert fixed.user_count() == 3
    # Unsafe: where the variable is not set, the module now stops at once.
    monkeypatch.delenv("DATABASE_URL")
    with pytest.raises(KeyError, match="DATABASE_URL"):
        code.fixed("--unsafe-fixes")


def test_password_fix_leaves_a_keyword_string_to_libpq(server, program, monkeypatch):
    code = program(
        f"""
        import psycopg2

        def user_count():
            conn = psycopg2.connect(
                "host=127.0.0.1 port={server.port} user=pglint password=Wq93kd dbname=pglint"
            )
            try:
                cur = conn.cursor()
                cur.execute("SELECT count(*) FROM users")
                return cur.fetchone()[0]
            finally:
                conn.close()
        """
    )
    assert code.findings() == ["PGL601"]
    assert code.load().user_count() == 3
    monkeypatch.setenv("PGPASSWORD", "Wq93kd")  # where libpq looks for it instead
    fixed = code.fixed("--unsafe-fixes")
    assert "password" not in code.fixed_source and "user=pglint dbname=pglint" in code.fixed_source
    assert fixed.user_count() == 3


# --- PGL102 -------------------------------------------------------------------------------

IDENTIFIER = {
    "psycopg2": """
        import psycopg2

        def rows(dsn, table, column, value):
            conn = psycopg2.connect(dsn)
            try:
                cur = conn.cursor()
                cur.execute(
                    f"SELECT count(*) FROM {table} "
                    f"WHERE {column} = '{value}'"
                )
                return cur.fetchone()[0]
            finally:
                conn.rollback()
                conn.close()
        """,
    "psycopg": """
        import psycopg

        def rows(dsn, table, column, value):
            with psycopg.connect(dsn) as conn:
                try:
                    return conn.execute(
                        f"SELECT count(*) FROM {table} WHERE {column} = '{value}'"
                    ).fetchone()[0]
                finally:
                    conn.rollback()
        """,
}


@pytest.mark.parametrize("driver", IDENTIFIER)
def test_identifier_fix_quotes_the_name_and_binds_the_value(server, program, driver):
    import psycopg

    code = program(IDENTIFIER[driver])
    assert sorted(code.findings()) == ["PGL101", "PGL102"]
    original = code.load()
    crafted = "(SELECT generate_series(1, 1000)) AS t --"
    assert original.rows(server.dsn, "users", "name", "Ada") == 1
    assert original.rows(server.dsn, crafted, "name", "Ada") == 1000  # the query rewritten
    assert original.rows(server.dsn, "Users", "name", "Ada") == 1  # folded to users

    fixed = code.fixed("--unsafe-fixes")
    assert "sql.Identifier(table), sql.Identifier(column)" in code.fixed_source
    assert f"from {driver} import sql" in code.fixed_source
    assert fixed.rows(server.dsn, "users", "name", "Ada") == 1  # the same answer
    assert fixed.rows(server.dsn, "users", "name", "' OR '1'='1") == 0  # a bound value
    with pytest.raises(psycopg.errors.UndefinedTable if driver == "psycopg" else Exception):
        fixed.rows(server.dsn, crafted, "name", "Ada")  # one (odd) name, not SQL
    # Unsafe: a quoted name is case-sensitive; what matched unquoted no longer does.
    with pytest.raises(Exception, match="does not exist"):
        fixed.rows(server.dsn, "Users", "name", "Ada")
