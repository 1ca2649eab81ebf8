"""PGL801: a single-row INSERT executed once per item of a loop."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from pglint.facts.model import DbCall, ModuleFacts
from pglint.rules._sqltext import renderings
from pglint.rules.base import Finding, Rule
from pglint.sql import looks_like_sql
from pglint.sql.statements import statements

_LOOPS = (ast.For, ast.AsyncFor)
_SINGLE_CALLS = frozenset({"execute", "fetchval", "fetchrow", "fetch", "exec_driver_sql"})


def check(facts: ModuleFacts) -> Iterator[Finding]:
    source = facts.source
    results = _results(facts)
    for call in facts.db_calls:
        if call.name not in _SINGLE_CALLS or call.spec.many or not call.sql:
            continue
        loop = _loop(facts, call)
        if loop is None:
            continue
        text = renderings(call)[0].text
        if not call.resolved and not looks_like_sql(text):
            continue
        found = statements(text)
        if len(found) != 1 or not found[0].single_row_insert:
            continue
        if found[0].returning and id(call.node) in results:
            continue  # each row's RETURNING value is used: the loop needs it per row
        if any(
            other is not call and id(other.node) in results and _loop(facts, other) is loop
            for other in facts.db_calls
        ):
            continue  # the loop reads a result per row anyway (a parent row's new id)
        table = found[0].tables[0] if found[0].tables else "?"
        message = (
            f"One `INSERT INTO {_short(table)}` per item of the loop: a round trip per row; "
            "send them in one batch"
        )
        yield Finding(source.start(call.node), source.end(call.node), message,
                      _suggestion(call, facts, text))  # fmt: skip


def _loop(facts: ModuleFacts, call: DbCall) -> ast.For | ast.AsyncFor | None:
    """The innermost `for` loop around the call, in the same function."""
    for block in reversed(call.site.block):
        owner, field_name = facts.blocks.get(block, (None, ""))
        if isinstance(owner, _LOOPS) and field_name == "body":
            return owner
    return None


def _results(facts: ModuleFacts) -> set[int]:
    """Calls whose result is used: bound to a name, or read further
    (`conn.execute(...).fetchone()`)."""
    found = set()
    for site in facts.calls:
        func = site.node.func
        if isinstance(func, ast.Attribute):
            receiver = func.value.value if isinstance(func.value, ast.Await) else func.value
            found.add(id(receiver))
    for scope in facts.scopes:
        for bindings in scope.bindings.values():
            for binding in bindings:
                value = binding.value
                if binding.kind == "assign" and value is not None:
                    inner = value.value if isinstance(value, ast.Await) else value
                    found.add(id(inner))
    return found


def _short(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _suggestion(call: DbCall, facts: ModuleFacts, text: str) -> str:
    receiver = call.node.func.value if isinstance(call.node.func, ast.Attribute) else None
    name = facts.source.segment(receiver) if receiver is not None else "cur"
    sql = " ".join(text.split())
    driver = call.driver.name if call.driver is not None else ""
    if driver == "asyncpg":
        return f'await {name}.executemany("{sql}", rows)  # or copy_records_to_table(...)'
    if driver == "psycopg2":
        values = sql[: sql.upper().rfind("VALUES") + len("VALUES")] + " %s"
        return (
            "from psycopg2.extras import execute_values\n\n"
            f'execute_values({name}, "{values}", rows)'
        )
    if driver in ("sqlalchemy", "sqlalchemy_async"):
        awaited = "await " if call.site.awaited else ""
        return f'{awaited}{name}.execute(text("{sql}"), [{{...}} for item in items])'
    awaited = "await " if call.site.awaited else ""
    return f'{awaited}{name}.executemany("{sql}", rows)  # or COPY ... FROM STDIN'


RULE = Rule(
    code="PGL801",
    name="insert-per-row",
    summary="a single-row INSERT executed once per item of a loop",
    what_it_does=(
        "Checks for an `INSERT ... VALUES (...)` of one row executed inside a `for` loop, "
        "one statement per item, where `executemany()`, psycopg2's `execute_values()`, "
        "SQLAlchemy's list of parameter sets or COPY send them together."
    ),
    why_bad=(
        "Each `execute()` is a round trip to the server: a thousand rows are a thousand "
        "round trips, each waiting for the network, and in autocommit a thousand commits. "
        "Loading many rows that way takes seconds where one batch takes milliseconds: "
        "`executemany()` (psycopg 3 and asyncpg pipeline it), `execute_values()` "
        "(psycopg2), a list of dicts to SQLAlchemy's `execute()`, or COPY "
        "(`cursor.copy()`, `copy_records_to_table()`), five to ten times faster again "
        "for large loads.\n\n"
        "Not reported: `executemany()` itself, INSERTs whose `RETURNING` value the loop "
        "uses row by row, multi-row `VALUES` lists, `INSERT ... SELECT`, and ORM "
        "`session.add()` (the session batches its INSERTs at the flush)."
    ),
    opinionated=(
        "A loop of a few rows costs a few round trips, which nobody notices; the rule "
        "cannot tell a loop over three items from one over a million. Turn it on for code "
        "that loads data."
    ),
    default_enabled=False,
    checks_test_modules=False,
    test_code="a test inserts the few rows it needs, and their speed is not the product's.",
    example=(
        "import psycopg\n\n\n"
        "def save_events(conn: psycopg.Connection, events: list[dict]) -> None:\n"
        "    with conn.cursor() as cur:\n"
        "        for event in events:\n"
        "            cur.execute(\n"
        '                "INSERT INTO events (name, payload) VALUES (%s, %s)",\n'
        '                (event["name"], event["payload"]),\n'
        "            )\n"
    ),
    use_instead=(
        "import psycopg\n\n\n"
        "def save_events(conn: psycopg.Connection, events: list[dict]) -> None:\n"
        "    with conn.cursor() as cur:\n"
        "        cur.executemany(\n"
        '            "INSERT INTO events (name, payload) VALUES (%s, %s)",\n'
        '            [(event["name"], event["payload"]) for event in events],\n'
        "        )\n"
    ),
    check=check,
    references=(
        "https://www.psycopg.org/psycopg3/docs/basic/copy.html",
        "https://www.psycopg.org/docs/extras.html#psycopg2.extras.execute_values",
        "https://magicstack.github.io/asyncpg/current/api/index.html"
        "#asyncpg.connection.Connection.copy_records_to_table",
    ),
    more_bad=(
        "import asyncpg\n\n\n"
        "async def load(pool: asyncpg.Pool, rows: list[tuple]):\n"
        "    async with pool.acquire() as conn:\n"
        "        for name, at in rows:\n"
        '            await conn.execute("INSERT INTO events VALUES ($1, $2)", name, at)\n',
    ),
    more_good=(
        "import asyncpg\n\n\n"
        "async def load(pool: asyncpg.Pool, rows: list[tuple]):\n"
        "    async with pool.acquire() as conn:\n"
        '        await conn.copy_records_to_table("events", records=rows)\n',
    ),
)
