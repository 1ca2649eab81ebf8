"""Claims about values in SQL text and their parameters, proven against a real PostgreSQL
server: what a crafted name does where pglint reports it, and that the shapes pglint
leaves alone run."""

from __future__ import annotations

import pytest

ADA = "ada@example.com"

# --- the name of a bind parameter is SQL text ---------------------------------------------

NAMED_BY_CALLER = """
    from sqlalchemy import create_engine, text

    def find(dsn, name, value):
        engine = create_engine(dsn.replace("postgresql://", "postgresql+psycopg2://"))
        try:
            with engine.connect() as conn:
                sql = "SELECT email FROM users WHERE email = :" + name
                return [row[0] for row in conn.execute(text(sql), {name.split()[0]: value})]
        finally:
            engine.dispose()
    """

NAMED_BY_COUNTER = """
    from sqlalchemy import create_engine, text

    def find(dsn, emails):
        names = [f"e_{i}" for i in range(len(emails))]
        marks = ", ".join(":" + name for name in names)
        engine = create_engine(dsn.replace("postgresql://", "postgresql+psycopg2://"))
        try:
            with engine.connect() as conn:
                sql = text(f"SELECT email FROM users WHERE email IN ({marks}) ORDER BY id")
                return [row[0] for row in conn.execute(sql, dict(zip(names, emails)))]
        finally:
            engine.dispose()
    """


def test_a_crafted_bind_parameter_name_adds_sql(server, program):
    """Text after `:` is read as SQL once the name ends: `:v OR true` binds `v` and adds
    a condition that lets every row through. pglint reports such a name as it does a
    table name (PGL102); names it generates itself (`e_0`, `e_1`) it leaves alone."""
    code = program(NAMED_BY_CALLER)
    assert "PGL102" in code.findings()
    module = code.load()
    assert module.find(server.dsn, "v", ADA) == [ADA]
    assert len(module.find(server.dsn, "v OR true", "nobody")) == 3  # every user

    counted = program(NAMED_BY_COUNTER)
    assert counted.findings() == []
    assert counted.load().find(server.dsn, [ADA, "bob@example.com"]) == [ADA, "bob@example.com"]


# --- PGL202: one sequence for one array or composite placeholder ---------------------------

ONE_SEQUENCE = """
    import asyncio

    import asyncpg

    async def _run(dsn):
        conn = await asyncpg.connect(dsn)
        try:
            ids = await conn.fetch("SELECT id FROM users WHERE id = ANY($1) ORDER BY id", [2])
            tags = await conn.fetchval("SELECT array_length($1::text[], 1)", ["a"])
            label = await conn.fetchval("SELECT ($1::pglint_label).label", ("seven",))
            return [r["id"] for r in ids], tags, label
        finally:
            await conn.close()

    def run(dsn):
        return asyncio.run(_run(dsn))
    """

SCALAR_CAST = """
    import asyncio

    import asyncpg

    async def _run(dsn):
        conn = await asyncpg.connect(dsn)
        try:
            return await conn.fetchval("SELECT name FROM users WHERE id = $1::int", (1,))
        finally:
            await conn.close()

    def run(dsn):
        return asyncio.run(_run(dsn))
    """


def test_asyncpg_binds_one_sequence_to_an_array_or_composite_placeholder(server, program):
    """A one-item list for `= ANY($1)` or `$1::text[]`, and a one-item tuple for a
    composite type, are the value of that one placeholder: asyncpg runs them, and PGL202
    stays silent. A tuple for a scalar cast (`$1::int`) is the mistake, and asyncpg
    rejects it."""
    import asyncpg
    import psycopg

    with psycopg.connect(server.libpq, autocommit=True) as conn:
        conn.execute(
            "DO $$ BEGIN CREATE TYPE pglint_label AS (label text);"
            " EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        )
    code = program(ONE_SEQUENCE)
    assert code.findings() == []
    assert code.load().run(server.dsn) == ([2], 1, "seven")

    scalar = program(SCALAR_CAST)
    assert "PGL202" in scalar.findings()
    with pytest.raises(asyncpg.DataError):
        scalar.load().run(server.dsn)


EMPTY_PARAMETERS = """
    import psycopg2

    def run(dsn):
        conn = psycopg2.connect(dsn)
        try:
            cur = conn.cursor()
            cur.execute("SELECT count(*) FROM users", "")
            first = cur.fetchone()[0]
            cur.execute("SELECT count(*) FROM users", ())
            return first, cur.fetchone()[0]
        finally:
            conn.close()
    """


def test_an_empty_string_is_an_empty_sequence_of_parameters(server, program):
    """`''` passed as the parameters of a query without placeholders is an empty
    sequence: the query runs, and PGL202 does not call it a scalar."""
    code = program(EMPTY_PARAMETERS)
    assert code.findings() == []
    assert code.load().run(server.dsn) == (3, 3)
