"""PGL1xx/PGL2xx claims, proven against a real PostgreSQL server through the real drivers.

Each case runs the code as an assistant would write it, then the same code after
`pglint check --fix` (with `--unsafe-fixes` where the fix is unsafe): the bad code shows
the failure the rule's message describes, the fixed code does the job.
"""

from __future__ import annotations

import asyncio
import datetime

import pytest

INJECTION = "' OR '1'='1"
ADA = "ada@example.com"


# --- PGL101: values formatted into SQL ----------------------------------------------------

INJECTABLE = {
    "psycopg2": """
        import psycopg2

        def find(dsn, email):
            conn = psycopg2.connect(dsn)
            try:
                cur = conn.cursor()
                cur.execute(f"SELECT id FROM users WHERE email = '{email}'")
                return cur.fetchall()
            finally:
                conn.close()
        """,
    "psycopg": """
        import psycopg

        def find(dsn, email):
            with psycopg.connect(dsn) as conn:
                return conn.execute("SELECT id FROM users WHERE email = '%s'" % email).fetchall()
        """,
    "psycopg-async": """
        import asyncio

        import psycopg

        async def _find(dsn, email):
            async with await psycopg.AsyncConnection.connect(dsn) as conn:
                cur = await conn.execute(f"SELECT id FROM users WHERE email = '{email}'")
                return await cur.fetchall()

        def find(dsn, email):
            return asyncio.run(_find(dsn, email))
        """,
    "asyncpg": """
        import asyncio

        import asyncpg

        async def _find(dsn, email):
            conn = await asyncpg.connect(dsn)
            try:
                return await conn.fetch("SELECT id FROM users WHERE email = '{}'".format(email))
            finally:
                await conn.close()

        def find(dsn, email):
            return asyncio.run(_find(dsn, email))
        """,
    "sqlalchemy": """
        from sqlalchemy import create_engine, text
        from sqlalchemy.orm import Session

        def find(dsn, email):
            engine = create_engine(dsn.replace("postgresql://", "postgresql+psycopg2://"))
            try:
                with Session(engine) as session:
                    return session.execute(text(f"SELECT id FROM users WHERE email = '{email}'")).all()
            finally:
                engine.dispose()
        """,
    "sqlalchemy-async": """
        import asyncio

        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

        async def _find(dsn, email):
            engine = create_async_engine(dsn.replace("postgresql://", "postgresql+asyncpg://"))
            try:
                async with AsyncSession(engine) as session:
                    result = await session.execute(text(f"SELECT id FROM users WHERE email = '{email}'"))
                    return result.all()
            finally:
                await engine.dispose()

        def find(dsn, email):
            return asyncio.run(_find(dsn, email))
        """,
}


@pytest.mark.parametrize("driver", INJECTABLE)
def test_injection_reads_every_row_and_the_fix_reads_none(server, program, driver):
    code = program(INJECTABLE[driver])
    assert "PGL101" in code.findings()
    bad = code.load()
    assert len(bad.find(server.dsn, INJECTION)) == 3  # every user
    fixed = code.fixed("--unsafe-fixes")
    assert len(fixed.find(server.dsn, INJECTION)) == 0
    assert len(fixed.find(server.dsn, ADA)) == 1


FIND_BY_EMAIL = """
    import psycopg2

    def as_string(value):
        return "'" + value{doubling} + "'"

    def find(dsn, email):
        conn = psycopg2.connect(dsn)
        try:
            cur = conn.cursor()
            cur.execute(f"SELECT id FROM users WHERE email = {{as_string(email)}}")
            return cur.fetchall()
        finally:
            conn.close()
    """


def test_string_quoting_by_hand_keeps_a_crafted_value_one_string(server, program):
    """Wrapping a value in single quotes lets a quote in it end the string (PGL101
    reports it); doubling the quotes inside keeps it one string (pglint trusts it)."""
    wrapped = program(FIND_BY_EMAIL.format(doubling=""))
    assert "PGL101" in wrapped.findings()
    assert len(wrapped.load().find(server.dsn, INJECTION)) == 3  # every user

    quoted = program(FIND_BY_EMAIL.format(doubling=""".replace("'", "''")"""))
    assert "PGL101" not in quoted.findings()
    module = quoted.load()
    assert len(module.find(server.dsn, INJECTION)) == 0
    assert len(module.find(server.dsn, ADA)) == 1


FIND_DOUBLED_IN_PLACE = """
    import psycopg2

    def find(dsn, email):
        escaped = email.replace("'", "''")
        conn = psycopg2.connect(dsn)
        try:
            cur = conn.cursor()
            cur.execute(f"SELECT id FROM users WHERE email = {quote}{{escaped}}'")
            return cur.fetchall()
        finally:
            conn.close()
    """


def test_quotes_doubled_in_place_keep_a_crafted_value_one_string_but_not_in_e_strings(
    server, program
):
    """Between plain quotes, a value whose quotes are doubled is one string (pglint trusts
    it); in `E'...'` a backslash before a quote escapes it, and the doubling no longer
    keeps the value in (PGL101 reports it)."""
    plain = program(FIND_DOUBLED_IN_PLACE.format(quote="'"))
    assert "PGL101" not in plain.findings()
    module = plain.load()
    assert len(module.find(server.dsn, INJECTION)) == 0
    assert len(module.find(server.dsn, ADA)) == 1

    escaping = program(FIND_DOUBLED_IN_PLACE.format(quote="E'"))
    assert "PGL101" in escaping.findings()
    # `\'` ends nothing, so the quote after it (doubled from the one typed) ends the string.
    assert len(escaping.load().find(server.dsn, "\\' OR 1=1 --")) == 3  # every user


# --- PGL102: identifiers formatted into SQL ------------------------------------------------

COUNT_ROWS = """
    import psycopg2

    def name_of(table):
        return {wrapping}

    def count(dsn, table):
        conn = psycopg2.connect(dsn)
        try:
            cur = conn.cursor()
            cur.execute(f"SELECT count(*) FROM {{name_of(table)}}")
            return cur.fetchone()[0]
        finally:
            conn.close()
    """
CRAFTED_NAME = 'users" WHERE false; SELECT 42 --'


# How a module's own helper wraps a name in double quotes: `{}` is the name, doubled or not.
WRAPPINGS = {
    "concatenation": """'"' + {} + '"'""",
    "format": """'"{{}}"'.format({})""",
}


@pytest.mark.parametrize("style", WRAPPINGS)
def test_identifier_quoting_by_hand_keeps_a_crafted_name_one_name(server, program, style):
    """Wrapping a name in double quotes is not enough, doubling the ones inside is: the
    first helper runs the attacker's statement (PGL102 reports it), the second makes it
    the name of a table that does not exist (pglint trusts it)."""
    import psycopg2

    wrapping = WRAPPINGS[style]
    wrapped = program(COUNT_ROWS.format(wrapping=wrapping.format("table")))
    assert "PGL102" in wrapped.findings()
    assert wrapped.load().count(server.dsn, CRAFTED_NAME) == 42

    doubled = wrapping.format("""table.replace('"', '""')""")
    quoted = program(COUNT_ROWS.format(wrapping=doubled))
    assert "PGL102" not in quoted.findings()
    module = quoted.load()
    assert module.count(server.dsn, "users") == 3
    with pytest.raises(psycopg2.errors.UndefinedTable):
        module.count(server.dsn, CRAFTED_NAME)


ORDERED_NAMES = """
    import psycopg2
    import sqlalchemy as sa

    def names(dsn, sort):
        conn = psycopg2.connect(dsn)
        try:
            cur = conn.cursor()
            cur.execute(f"SELECT name FROM users ORDER BY {{{render}}}")
            return [row[0] for row in cur.fetchall()]
        finally:
            conn.close()
    """


def test_sqlalchemy_column_text_is_quoted_and_table_text_is_not(server, program):
    """`str(sa.column(name))` quotes the name (pglint trusts it); `str(sa.table(name))`
    is the name as given (PGL102 reports it), and a crafted one runs its statement."""
    import psycopg2

    crafted = "name; SELECT 42 --"
    as_table = program(ORDERED_NAMES.format(render="sa.table(sort)"))
    assert "PGL102" in as_table.findings()
    assert as_table.load().names(server.dsn, crafted) == [42]

    as_column = program(ORDERED_NAMES.format(render="sa.column(sort)"))
    assert "PGL102" not in as_column.findings()
    module = as_column.load()
    assert len(module.names(server.dsn, "name")) == 3
    with pytest.raises(psycopg2.errors.UndefinedColumn):
        module.names(server.dsn, crafted)


# --- PGL201: the driver's placeholder style -----------------------------------------------


def test_asyncpg_rejects_percent_s_and_the_fix_renumbers(server, program):
    import asyncpg

    code = program(
        """
        import asyncio

        import asyncpg

        async def _names(dsn, first, second):
            conn = await asyncpg.connect(dsn)
            try:
                return await conn.fetch(
                    "SELECT name FROM users WHERE email = %s OR email = %s ORDER BY id",
                    first, second,
                )
            finally:
                await conn.close()

        def names(dsn, first, second):
            return asyncio.run(_names(dsn, first, second))
        """
    )
    assert "PGL201" in code.findings()
    with pytest.raises(asyncpg.PostgresSyntaxError):
        code.load().names(server.dsn, ADA, "cy@example.com")
    fixed = code.fixed()
    assert "$1 OR email = $2" in code.fixed_source
    assert [r["name"] for r in fixed.names(server.dsn, ADA, "cy@example.com")] == ["Ada", "Cy"]


def test_psycopg_rejects_dollar_placeholders_and_the_fix_uses_percent_s(server, program):
    import psycopg

    code = program(
        """
        import psycopg

        def name(dsn, email):
            with psycopg.connect(dsn) as conn:
                return conn.execute("SELECT name FROM users WHERE email = $1", (email,)).fetchone()
        """
    )
    assert "PGL201" in code.findings()
    with pytest.raises(psycopg.ProgrammingError):
        code.load().name(server.dsn, ADA)
    assert code.fixed().name(server.dsn, ADA) == ("Ada",)


# --- PGL202: the shape of the parameters --------------------------------------------------


def test_parenthesized_string_is_not_a_tuple(server, program):
    code = program(
        """
        import psycopg2

        def name(dsn, email):
            conn = psycopg2.connect(dsn)
            try:
                cur = conn.cursor()
                cur.execute("SELECT name FROM users WHERE email = %s", (email))
                return cur.fetchone()
            finally:
                conn.close()
        """
    )
    assert "PGL202" in code.findings()
    # psycopg2 takes the string as the sequence of parameters: one per character.
    with pytest.raises(TypeError, match="not all arguments converted"):
        code.load().name(server.dsn, ADA)
    # Unsafe: from the code alone, `email` could already be a tuple.
    fixed = code.fixed("--unsafe-fixes")
    assert "(email,)" in code.fixed_source
    assert fixed.name(server.dsn, ADA) == ("Ada",)


def test_asyncpg_given_one_tuple_binds_it_to_dollar_1(server, program):
    import asyncpg

    code = program(
        """
        import asyncio

        import asyncpg

        async def _name(dsn, email):
            conn = await asyncpg.connect(dsn)
            try:
                return await conn.fetchval("SELECT name FROM users WHERE email = $1", (email,))
            finally:
                await conn.close()

        def name(dsn, email):
            return asyncio.run(_name(dsn, email))
        """
    )
    assert "PGL202" in code.findings()
    with pytest.raises(asyncpg.DataError):
        code.load().name(server.dsn, ADA)
    assert code.fixed().name(server.dsn, ADA) == "Ada"


# --- PGL205: a literal % with parameters -----------------------------------------------


def test_unescaped_percent_breaks_the_query_and_the_fix_doubles_it(server, program):
    code = program(
        """
        import psycopg2

        def old_skus(dsn, min_price):
            conn = psycopg2.connect(dsn)
            try:
                cur = conn.cursor()
                cur.execute("SELECT sku FROM products WHERE sku LIKE 'OLD-%' AND price > %s", (min_price,))
                return [row[0] for row in cur.fetchall()]
            finally:
                conn.close()
        """
    )
    assert "PGL205" in code.findings()
    with pytest.raises((ValueError, IndexError, TypeError)):
        code.load().old_skus(server.dsn, 1)
    fixed = code.fixed()
    assert "'OLD-%%'" in code.fixed_source
    assert fixed.old_skus(server.dsn, 1) == ["OLD-1"]


# --- PGL204: a placeholder inside quotes ----------------------------------------------------


ONE_DAY = datetime.timedelta(days=1)


@pytest.mark.parametrize(
    ("dialect", "days", "outcome"),
    [("psycopg2", "3", "error"), ("psycopg", 3, ONE_DAY), ("asyncpg", 3, "error")],
)
def test_placeholder_inside_quotes_is_never_bound_as_a_value(
    server, program, dialect, days, outcome
):
    import sqlalchemy.exc

    code = program(
        """
        import asyncio

        from sqlalchemy import create_engine, text
        from sqlalchemy.ext.asyncio import create_async_engine

        QUERY = "SELECT INTERVAL ':days days'"

        def recent(dsn, dialect, days):
            url = dsn.replace("postgresql://", f"postgresql+{dialect}://")
            if dialect == "asyncpg":
                return asyncio.run(_recent(url, days))
            engine = create_engine(url)
            try:
                with engine.connect() as conn:
                    return conn.execute(text(QUERY), {"days": days}).scalar()
            finally:
                engine.dispose()

        async def _recent(url, days):
            engine = create_async_engine(url)
            try:
                async with engine.connect() as conn:
                    return (await conn.execute(text(QUERY), {"days": days})).scalar()
            finally:
                await engine.dispose()
        """
    )
    assert "PGL204" in code.findings()
    # SQLAlchemy substitutes inside the quotes. psycopg2 quotes a string value there and
    # closes the SQL string early (`INTERVAL ''3' days'`): an error. psycopg 3 and asyncpg
    # send `'$1 days'`, which the server reads as text: asyncpg refuses the unused value,
    # psycopg 3 runs it, and the interval is one day whatever value is passed.
    try:
        result = code.load().recent(server.dsn, dialect, days)
    except sqlalchemy.exc.DBAPIError:
        result = "error"
    assert result == outcome


# --- PGL203: values that do not match the placeholders ------------------------------------


def test_missing_value_fails_on_every_call(server, program):
    import psycopg2

    code = program(
        """
        import psycopg2

        def add(dsn, name):
            conn = psycopg2.connect(dsn)
            try:
                cur = conn.cursor()
                cur.execute("INSERT INTO audit (id, name) VALUES (%s, %s)", (name,))
                conn.commit()
            finally:
                conn.close()
        """
    )
    assert "PGL203" in code.findings()
    with pytest.raises((IndexError, TypeError, psycopg2.ProgrammingError)):
        code.load().add(server.dsn, "missing value")


# --- PGL101's fix: only where the parameterized call runs as the original did -------------


def test_a_safe_number_stays_in_the_text_and_the_value_is_bound(server, program):
    """`{int(uid)}` is safe and stays as written; before, the fix put a stand-in `0` in
    its place, and the query then looked for id 0."""
    code = program(
        """
        import psycopg2

        def find(dsn, uid, email):
            conn = psycopg2.connect(dsn)
            try:
                cur = conn.cursor()
                cur.execute(f"SELECT name FROM users WHERE id = {int(uid)} AND email = '{email}'")
                return cur.fetchall()
            finally:
                conn.close()
        """
    )
    assert "PGL101" in code.findings()
    fixed = code.fixed("--unsafe-fixes")
    assert "{int(uid)}" in code.fixed_source and "'{email}'" not in code.fixed_source
    assert fixed.find(server.dsn, "1", ADA) == [("Ada",)]
    assert fixed.find(server.dsn, "1", INJECTION) == []


UNBINDABLE = {
    # PostgreSQL takes parameters in SELECT, INSERT, UPDATE, DELETE, MERGE and VALUES only.
    "notify": ("NOTIFY events, $1", "payload"),
    "set": ("SET statement_timeout = $1", "5s"),
    "alter-role": ("ALTER ROLE CURRENT_USER SET search_path = $1", "public"),
    # A typed literal takes a constant, not a parameter.
    "typed-literal": ("SELECT now() - interval $1", "2 days"),
}


@pytest.mark.parametrize("case", UNBINDABLE)
def test_where_the_server_takes_no_parameter_no_fix_is_offered(server, program, case):
    import asyncpg

    query, value = UNBINDABLE[case]
    with pytest.raises(asyncpg.PostgresSyntaxError):
        asyncio.run(_fetch(server.dsn, query, value))
    written = query.replace("$1", "'{value}'")
    code = program(
        f"""
        import asyncpg

        async def run(dsn, value):
            conn = await asyncpg.connect(dsn)
            try:
                return await conn.execute(f"{written}")
            finally:
                await conn.close()
        """
    )
    assert "PGL101" in code.findings()
    _pglint_fix(code.path)
    assert code.path.read_text() == code.source


def test_a_value_cast_after_its_quotes_is_a_str_asyncpg_will_not_bind(server):
    """`'{n} days'::interval` bound as `$1::interval` gets a str, and asyncpg wants a
    timedelta for an interval parameter: no fix is offered for it either."""
    import asyncpg

    with pytest.raises(asyncpg.DataError):
        asyncio.run(_fetch(server.dsn, "SELECT now() - $1::interval", "2 days"))
    assert asyncio.run(_fetch(server.dsn, "SELECT '2 days'::interval", None)) is not None


async def _fetch(dsn, query, value):
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(query, *([] if value is None else [value]))
    finally:
        await conn.close()


def _pglint_fix(path):
    from click.testing import CliRunner

    from pglint.cli import cli

    result = CliRunner().invoke(cli, ["check", "--fix", "--unsafe-fixes", "--isolated", str(path)])
    assert result.exit_code == 1, result.output  # the finding remains
