"""PGL102: a table or column name (or sort direction) is formatted into SQL text."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from pglint.diagnostics import Edit, Fix, Location, Plan
from pglint.facts.model import DbCall, ModuleFacts
from pglint.rules._parameterize import (
    holes_inside,
    params_edits,
    render_call,
    rewrite,
    sql_text_plan,
    written_inside,
)
from pglint.rules._sqltext import Rendered, named, python_string
from pglint.rules._structural import import_plan
from pglint.rules.base import Finding, Rule
from pglint.rules.pgl101_sql_interpolated_value import first_interpolation
from pglint.source import SourceText
from pglint.sql import tokenize
from pglint.sql.positions import is_keyword

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
            fix=identifier_fix(call, rendered, facts) if facts.wants_fixes else None,
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


def identifier_fix(call: DbCall, rendered: Rendered, facts: ModuleFacts) -> Fix | None:
    """psycopg and psycopg2: `f"... {table} ..."` -> `sql.SQL("... {} ...").format(
    sql.Identifier(table))`, with the values bound as parameters; unsafe, a quoted name
    is case-sensitive. Only where each name is a whole operand of its own (not part of a
    word, a quoted name or a placeholder, nor a sort direction after a column)."""
    source = facts.source
    module = _COMPOSES.get(call.driver.name) if call.driver else None
    node = call.sql_node
    if module is None or not isinstance(node, ast.JoinedStr) or len(call.sql) != 1:
        return None
    if not written_inside(call) or not holes_inside(call, rendered, source):
        return None
    if not _names_alone(rendered):
        return None
    if any(isinstance(piece.expr, ast.Call) for _, piece in rendered.unsafe_at(("identifier",))):
        return None  # a function's result: it may come quoted already
    new = rewrite(call, rendered, source, compose=True)
    if new is None or not new.identifiers:
        return None
    needed = import_plan(facts, module, "sql")
    if needed is False:
        return None
    params = params_edits(call, new, source)
    if params is None:
        return None
    names = ", ".join(f"sql.Identifier({e})" for e in new.identifiers)
    edits = (*_wrapped(node, f".format({names})", source), *params)
    steps: tuple = (("sql_text", sql_text_plan(node, rendered, new, source, compose=True).args),)
    if isinstance(needed, Plan):
        steps += ((needed.kind, needed.args),)
    return Fix("unsafe", "Quote the names with `sql.Identifier`", edits, Plan("steps", steps))


def _wrapped(node: ast.expr, after: str, source: SourceText) -> tuple[Edit, ...]:
    """`sql.SQL(<node>)<after>`; a literal written on several rows goes inside on rows
    of its own, one level deeper (not one with a multi-line string, whose text the
    indentation would change)."""
    start, end = source.start(node), source.end(node)
    if start.row == end.row or '"""' in source.segment(node) or "'''" in source.segment(node):
        return Edit(start, start, "sql.SQL("), Edit(end, end, f"){after}")
    line = source.line(start.row)
    indent = line[: len(line) - len(line.lstrip())]
    unit = "\t" if indent.startswith("\t") else "    "
    edits = [Edit(start, start, f"sql.SQL(\n{indent}{unit}")]
    for row in range(start.row + 1, end.row + 1):
        at = Location(row, 1)
        edits.append(Edit(at, at, unit))
    edits.append(Edit(end, end, f"\n{indent}){after}"))
    return tuple(edits)


_NEXT_TO_A_NAME = frozenset("(),.;")


def _names_alone(rendered: Rendered) -> bool:
    """Every name hole is a token of its own, touching only spaces, parentheses, commas
    and dots, and not an operand right after another one (`ORDER BY {col} {direction}`,
    where the second is a keyword that quoting would break)."""
    tokens = tokenize(rendered.text)
    at_offset = {t.start: i for i, t in enumerate(tokens)}
    for context in rendered.hole_contexts:
        if context.position != "identifier":
            continue
        at = at_offset.get(context.offset)
        if at is None or tokens[at].kind != "hole":
            return False  # inside a quoted name, a word or a placeholder
        for near in tokens[max(at - 1, 0) : at] + tokens[at + 1 : at + 2]:
            if near.kind != "ws" and near.text not in _NEXT_TO_A_NAME:
                return False
        before = next((t for t in reversed(tokens[:at]) if t.kind not in ("ws", "comment")), None)
        if before is not None and (
            before.kind in ("hole", "qident", "number", "string")
            or (before.kind == "word" and not is_keyword(before.text))
        ):
            return False
    return True


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
        "the use, on every way to it: membership in a literal allowlist, equality with "
        'a literal (inside `if sort == "created":`), a regular '
        "expression that matches the whole name and only letters, digits, `_`, `$` and "
        "`.` (`^[A-Za-z_][A-Za-z0-9_]*$`), `str.isidentifier()`, a function of the "
        "module that returns such a check or raises unless it passes, or a loop that raises "
        "unless every item of a list passes (`assert` does not count: `python -O` drops it). "
        "The name of a bind parameter (`':' + name`, `f'${n}'`) is checked as an "
        "identifier is: text after the name is read as SQL, so `:x OR true` binds `x` and "
        "adds a condition. An argument of an SQL function (`lower({x})`, `PRAGMA "
        "table_info({x})`) may be a column or a value: one whose Python name says it is a "
        "table or column (`column`, `table_name`, `self.field`) is reported here, others "
        "by PGL101. "
        "Neither are names passed through a quoting function: the driver's, SQLAlchemy's "
        "`column()` (not `table()`, whose text is the name unquoted), one whose name says "
        "it quotes or escapes (as does an attribute such as `table_quoted`), or a "
        "function of the same module that returns "
        "`'\"' + name.replace('\"', '\"\"') + '\"'` (written with `%`, an f-string or "
        "`'\"{}\"'.format(...)` as well; or doubles them in place, inside the "
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
    fix_availability="sometimes",
    fix_summary=(
        'psycopg and psycopg2: `f"... {table} ..."` → `sql.SQL("... {} '
        '...").format(sql.Identifier(table))`, values bound as parameters',
        "unsafe",
    ),
    fix_safety=(
        "Unsafe (`--fix --unsafe-fixes`), for psycopg and psycopg2 when the query is an "
        'f-string written in the call: it becomes `sql.SQL("... {} ...").format('
        "sql.Identifier(name), ...)` (adding `from psycopg import sql` or `from psycopg2 "
        "import sql`), each literal rewritten where it is written, and the values in it "
        "are bound as parameters. Proven against PostgreSQL: a name that worked gives the "
        "same rows, and a crafted one is one (missing) table instead of SQL. It is unsafe "
        "because a quoted name is case-sensitive: `Users`, which PostgreSQL folded to "
        "`users`, no longer matches, and a `schema.table` passed as one name is one "
        "quoted name. No fix where a name is part of a word, a quoted name or a "
        "placeholder, or is a function's result (it may come quoted already), or follows "
        "another operand (`ORDER BY {col} {direction}`: the "
        "direction is a keyword, which quoting would break), nor for other drivers, "
        "whose suggestion checks the name against an allowlist you keep."
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
