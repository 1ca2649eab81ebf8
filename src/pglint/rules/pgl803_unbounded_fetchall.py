"""PGL803: every row of a whole table loaded into memory at once."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from pglint.facts.model import DbCall, ModuleFacts
from pglint.facts.resolve import Resolver
from pglint.rules._sqltext import renderings
from pglint.rules.base import Finding, Rule
from pglint.sql import looks_like_sql
from pglint.sql.statements import Statement, statements

# Methods that return every row of the result at once.
_ALL_ROWS = frozenset({"fetchall", "all"})
# asyncpg's and `databases`' calls that run the query and return every row.
_FETCH_ALL_CALLS = frozenset({"fetch", "fetch_all"})


def check(facts: ModuleFacts) -> Iterator[Finding]:
    source = facts.source
    by_node = {id(c.node): c for c in facts.db_calls}
    for call, statement, at in _whole_tables(facts, by_node):
        table = _table(statement, call)
        what = f"`{at.func.attr}()`" if isinstance(at.func, ast.Attribute) else "it"
        message = f"{what} loads all of `{table}` into memory: stream it with a server-side cursor"
        yield Finding(source.start(at), source.end(at), message, _suggestion(call))


def _whole_tables(facts: ModuleFacts, by_node: dict[int, DbCall]):
    """(the query, its statement, the call that loads all of its rows)."""
    last_by_name: dict[tuple[int, str], list[DbCall]] = {}
    for call in facts.db_calls:
        receiver = call.node.func.value if isinstance(call.node.func, ast.Attribute) else None
        if isinstance(receiver, ast.Name):
            key = (id(call.site.scope), receiver.id)
            last_by_name.setdefault(key, []).append(call)
        if call.name in _FETCH_ALL_CALLS:
            statement = _unbounded(call)
            if statement is not None:
                yield call, statement, call.node
    for site in facts.calls:
        func = site.node.func
        if not isinstance(func, ast.Attribute) or func.attr not in _ALL_ROWS:
            continue
        receiver = func.value
        query: DbCall | None = None
        if isinstance(receiver, ast.Await):
            receiver = receiver.value
        if isinstance(receiver, ast.Call):
            query = by_node.get(id(receiver))
        elif isinstance(receiver, ast.Name) and _bound_to_query(receiver, site, by_node, facts):
            query = _bound_to_query(receiver, site, by_node, facts)  # `cur = conn.execute(q)`
        elif isinstance(receiver, ast.Name):  # `cur.execute(q)` ... `cur.fetchall()`
            earlier = [
                c for c in last_by_name.get((id(site.scope), receiver.id), ())
                if (c.node.lineno, c.node.col_offset) < (site.node.lineno, site.node.col_offset)
            ]  # fmt: skip
            query = earlier[-1] if earlier else None
        if query is None or query.name in _FETCH_ALL_CALLS:
            continue
        statement = _unbounded(query)
        if statement is not None:
            yield query, statement, site.node


def _bound_to_query(
    name: ast.Name, site, by_node: dict[int, DbCall], facts: ModuleFacts
) -> DbCall | None:
    """The query a name holds the result of: `cur = await conn.execute(q)`."""
    bindings = Resolver.of(facts).reaching(name.id, site.scope, _pos(site.node))
    if len(bindings) != 1 or bindings[0].kind != "assign" or bindings[0].value is None:
        return None
    value = bindings[0].value
    inner = value.value if isinstance(value, ast.Await) else value
    return by_node.get(id(inner))


def _pos(node: ast.AST) -> tuple[int, int]:
    return (node.lineno, node.col_offset)  # type: ignore[attr-defined]


def _unbounded(call: DbCall) -> Statement | None:
    if not call.sql or len(call.sql) != 1:
        return None
    text = renderings(call)[0].text
    if not call.resolved and not looks_like_sql(text):
        return None
    found = statements(text)
    if len(found) == 1 and found[0].unbounded_select:
        return found[0]
    return None


def _table(statement: Statement, call: DbCall) -> str:
    text = renderings(call)[0].text
    upper = text.upper()
    at = upper.find(" FROM ")
    name = text[at + 6 :].split()[0] if at >= 0 and text[at + 6 :].split() else "?"
    return name.rstrip(";,)")[:24]


def _suggestion(call: DbCall) -> str:
    driver = call.driver.name if call.driver is not None else ""
    if driver == "asyncpg":
        return (
            "async with conn.transaction():\n"
            "    async for record in conn.cursor(query):\n"
            "        ..."
        )
    if driver in ("psycopg2", "psycopg", "psycopg_async"):
        prefix = "async " if driver == "psycopg_async" else ""
        return (
            f'{prefix}with conn.cursor(name="rows") as cur:  # a server-side cursor\n'
            f"    {'await ' if prefix else ''}cur.execute(query)\n"
            f"    {prefix}for row in cur:\n"
            "        ..."
        )
    if driver in ("sqlalchemy", "sqlalchemy_async"):
        return (
            "for partition in conn.execution_options(yield_per=1000).execute(query).partitions():\n"
            "    ..."
        )
    return "for row in cursor:  # or a server-side cursor, a batch at a time\n    ..."


RULE = Rule(
    code="PGL803",
    name="unbounded-fetchall",
    summary="every row of a whole table loaded into memory at once",
    what_it_does=(
        "Checks for `fetchall()`, `.all()` and asyncpg's `fetch()` of a `SELECT` from a "
        "table with no `WHERE`, `LIMIT`, `GROUP BY` or aggregate: a query whose result "
        "grows with the table."
    ),
    why_bad=(
        "The whole result is built in the client's memory before the first row is "
        "used: fine for the hundred rows of development, an out-of-memory kill (or a "
        "request that times out) once the table has millions. A server-side cursor "
        "(`conn.cursor(name=...)` in psycopg, `conn.cursor(query)` in asyncpg, "
        "`yield_per` / `stream()` in SQLAlchemy) streams the rows in batches; a `LIMIT` "
        "with keyset pagination bounds what one request reads.\n\n"
        "Not reported: queries with `WHERE`, `LIMIT`, `FETCH`, `GROUP BY` or an "
        "aggregate; the system catalogs (`pg_*`, `information_schema`); set-returning "
        "functions."
    ),
    opinionated=(
        "Many tables stay small for ever (settings, countries, roles): reading them whole "
        "is the right thing. The rule cannot tell a lookup table from an event log."
    ),
    default_enabled=False,
    checks_test_modules=False,
    test_code="a test's tables hold the few rows the test wrote.",
    example=(
        "import psycopg\n\n\n"
        "def export_events(conn: psycopg.Connection):\n"
        '    rows = conn.execute("SELECT * FROM events").fetchall()\n'
        "    return [dict(zip(('id', 'name'), row)) for row in rows]\n"
    ),
    use_instead=(
        "import psycopg\n\n\n"
        "def export_events(conn: psycopg.Connection):\n"
        '    with conn.cursor(name="events") as cur:\n'
        '        cur.execute("SELECT * FROM events")\n'
        "        for row in cur:\n"
        "            yield dict(zip(('id', 'name'), row))\n"
    ),
    check=check,
    references=(
        "https://www.psycopg.org/psycopg3/docs/advanced/cursors.html#server-side-cursors",
        "https://magicstack.github.io/asyncpg/current/api/index.html#cursors",
    ),
    more_bad=(
        "import asyncpg\n\n\n"
        "async def all_users(pool: asyncpg.Pool):\n"
        "    async with pool.acquire() as conn:\n"
        '        return await conn.fetch("SELECT id, email FROM users")\n',
    ),
    more_good=(
        "import asyncpg\n\n\n"
        "async def active_users(pool: asyncpg.Pool):\n"
        "    async with pool.acquire() as conn:\n"
        '        return await conn.fetch("SELECT id, email FROM users WHERE active LIMIT 100")\n',
    ),
)
