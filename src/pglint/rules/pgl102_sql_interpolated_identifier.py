"""PGL102: a table or column name (or sort direction) is formatted into SQL text."""

from __future__ import annotations

from collections.abc import Iterator

from pglint.facts.model import DbCall, ModuleFacts
from pglint.rules._parameterize import render_call, rewrite
from pglint.rules._sqltext import Rendered, named, python_string
from pglint.rules.base import Finding, Rule
from pglint.rules.pgl101_sql_interpolated_value import first_interpolation

IDENTIFIER_POSITIONS = ("identifier",)
_COMPOSES = {"psycopg": "psycopg", "psycopg_async": "psycopg", "psycopg2": "psycopg2"}


def check(facts: ModuleFacts) -> Iterator[Finding]:
    source = facts.source
    for call in facts.db_calls:
        found = first_interpolation(call, IDENTIFIER_POSITIONS)
        if found is None:
            continue
        rendered, exprs = found
        names = named([source.segment(e) for e in exprs])
        one = len(exprs) == 1
        message = (
            f"SQL injection: {names} used as {'a name' if one else 'names'} in the query; "
            f"quote {'it' if one else 'them'} or use an allowlist"
        )
        yield Finding(
            source.start(call.node),
            source.end(call.node),
            message,
            suggestion=suggestion(call, rendered, facts),
        )


def suggestion(call: DbCall, rendered: Rendered, facts: ModuleFacts) -> str | None:
    source = facts.source
    module = _COMPOSES.get(call.driver.name) if call.driver else None
    if module is not None:
        new = rewrite(call, rendered, source, compose=True)
        if new is None:
            return None
        identifiers = ", ".join(f"sql.Identifier({e})" for e in new.identifiers)
        composed = f"sql.SQL({python_string(new.sql)}).format({identifiers})"
        return f"from {module} import sql\n\n" + render_call(call, new, source, sql_expr=composed)
    new = rewrite(call, rendered, source)
    if new is None:
        return None
    checks = "".join(
        f"if {e} not in ALLOWED_NAMES:  # the names this query may use\n"
        f'    raise ValueError(f"unexpected name: {{{e}!r}}")\n'
        for e in dict.fromkeys(new.identifiers)
    )
    return checks + render_call(call, new, source)


RULE = Rule(
    code="PGL102",
    checks_test_modules=False,
    test_code="the tables a test creates and drops are named by the test, not by a request.",
    name="sql-interpolated-identifier",
    summary="a table or column name is formatted into SQL text without quoting",
    what_it_does=(
        "Checks for identifiers — table and column names, `ORDER BY` columns and "
        "directions, column lists — formatted into SQL text that reaches a database call."
    ),
    why_bad=(
        "Identifiers cannot be sent as bound parameters, so code that lets the caller "
        "choose a table or a sort column often formats the name into the query. A name "
        "taken from a request (`?sort=name;DROP TABLE users`) then becomes SQL. Quote "
        "the identifier with the driver's API (psycopg's `sql.Identifier`) or map the "
        "input onto a fixed set of names you wrote.\n\n"
        "Module-level string constants, class constants, values taken from a literal "
        "dict (`SORTS[key]`) and the items of literal tables the code loops over are not "
        "reported: nothing from outside can change them. Neither are names checked before "
        "the use, on every way to it: membership in a literal allowlist, a regular "
        "expression that matches the whole name and only letters, digits, `_`, `$` and "
        "`.` (`^[A-Za-z_][A-Za-z0-9_]*$`), `str.isidentifier()`, or a function of the "
        "module that returns such a check (`assert` does not count: `python -O` drops it). "
        "The name of a bind parameter (`':' + name`, `f'${n}'`) is checked as an "
        "identifier is: text after the name is read as SQL, so `:x OR true` binds `x` and "
        "adds a condition. "
        "Neither are names passed through a quoting function: the driver's, SQLAlchemy's "
        "`column()` (not `table()`, whose text is the name unquoted), one whose name says "
        "it quotes or escapes (as does an attribute such as `table_quoted`), or a "
        "function of the same module that returns "
        "`'\"' + name.replace('\"', '\"\"') + '\"'` (or doubles them in place, inside the "
        "query's own double quotes), since PostgreSQL reads a double-quoted "
        "name whose inner double quotes are doubled as one identifier, whatever it holds."
    ),
    example=(
        "import psycopg\n\n"
        "def list_rows(conn: psycopg.Connection, table, sort):\n"
        '    return conn.execute(f"SELECT * FROM {table} ORDER BY {sort}").fetchall()\n'
    ),
    use_instead=(
        "import psycopg\n"
        "from psycopg import sql\n\n"
        "def list_rows(conn: psycopg.Connection, table, sort):\n"
        '    query = sql.SQL("SELECT * FROM {} ORDER BY {}").format(\n'
        "        sql.Identifier(table), sql.Identifier(sort)\n"
        "    )\n"
        "    return conn.execute(query).fetchall()\n"
    ),
    check=check,
    fix_availability="none",
    fix_safety=(
        "No automatic fix: whether a name should be quoted or checked against an "
        "allowlist is a decision about your schema. The suggestion shows "
        "`sql.SQL(...).format(sql.Identifier(...))` for psycopg and psycopg2, and an "
        "allowlist check for other drivers."
    ),
    see_also="PGL101 for values, which should be bound parameters.",
    references=("https://www.psycopg.org/psycopg3/docs/api/sql.html",),
    more_bad=(
        "import asyncpg\n\n"
        "async def export(pool: asyncpg.Pool, table: str):\n"
        '    return await pool.fetch(f"SELECT * FROM {table}")\n',
    ),
    more_good=(
        "import asyncpg\n\n"
        'TABLE = "audit_log"\n\n'
        "async def export(pool: asyncpg.Pool):\n"
        '    return await pool.fetch(f"SELECT * FROM {TABLE}")\n',
    ),
)
