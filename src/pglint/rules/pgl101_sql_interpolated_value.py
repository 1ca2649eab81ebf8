"""PGL101: a value is formatted into SQL text instead of being passed as a parameter."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from pglint.diagnostics import Edit, Fix
from pglint.facts.model import DbCall, ModuleFacts
from pglint.rules._parameterize import (
    Rewritten,
    holes_inside,
    params_edits,
    render_call,
    rewrite,
    sql_text_plan,
    written_inside,
)
from pglint.rules._sqltext import Rendered, has_comment, named, renderings
from pglint.rules.base import Finding, Rule
from pglint.source import SourceText
from pglint.sql import looks_like_sql

VALUE_POSITIONS = ("value", "literal")


def check(facts: ModuleFacts) -> Iterator[Finding]:
    source = facts.source
    for call in facts.db_calls:
        found = first_interpolation(call, VALUE_POSITIONS)
        if found is None:
            continue
        rendered, exprs = found
        names = named([source.segment(e) for e in exprs], 18)
        how = building_style(call.sql_node)
        message = (
            f"SQL injection: {names} in the query text ({how}); pass "
            f"{'it as a parameter' if len(exprs) == 1 else 'them as parameters'}"
        )
        if not facts.wants_fixes:
            yield Finding(source.start(call.node), source.end(call.node), message)
            continue
        new = rewrite(call, rendered, source)  # the suggestion and the fix show the same
        yield Finding(
            source.start(call.node),
            source.end(call.node),
            message,
            suggestion=_suggestion(call, new, source),
            fix=parameterize_fix(call, rendered, source, new),
        )


def first_interpolation(
    call: DbCall, positions: tuple[str, ...]
) -> tuple[Rendered, list[ast.expr]] | None:
    """The first SQL variant with unsafe interpolations at ``positions``."""
    for rendered in renderings(call):
        if not rendered.holes:
            continue
        if not sql_text(call, rendered.text):
            continue
        hits = rendered.unsafe_at(positions)
        exprs = [
            piece.expr
            for context, piece in hits
            if piece.expr is not None
            # `'{x.replace("'", "''")}'`: between plain quotes of the kind the value has
            # doubled, it cannot end the string (or, with `"`, the name).
            and not (piece.doubled is not None and piece.doubled == context.quoted_by)
        ]
        if exprs:
            return rendered, exprs
    return None


def sql_text(call: DbCall, text: str) -> bool:
    """Whether ``text`` is SQL: given to a call known to take SQL, it is, whatever its
    shape (unless the call also takes a table's name and the text is one word); given
    to a generic method of an unknown receiver (`.execute`), it must look like SQL."""
    if not call.sink:
        return looks_like_sql(text)
    return not (call.spec.or_table_name and len(text.split()) == 1)


def building_style(node: ast.expr | None) -> str:
    if isinstance(node, ast.JoinedStr):
        return "f-string"
    if isinstance(node, ast.BinOp):
        return "`%` formatting" if isinstance(node.op, ast.Mod) else "concatenation"
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("format", "join")
    ):
        return f"`str.{node.func.attr}()`"
    return "formatting"


def parameterize_fix(
    call: DbCall, rendered: Rendered, source: SourceText, new: Rewritten | None
) -> Fix | None:
    """Rewrite the call in place when the SQL is written inside it and the driver is known.

    Unsafe: it changes what the query sends (a quoted `'{x}'` becomes a bound value, and
    `'%{x}%'` a bound pattern), which is the point, but a reviewer should read it.
    """
    if not call.resolved or call.driver is None or len(call.sql) != 1:
        return None
    if not written_inside(call) or not holes_inside(call, rendered, source):
        return None
    if new is None or not (new.positional or new.named):
        return None
    message = "Pass the values as query parameters"
    if isinstance(call.sql_node, ast.JoinedStr) and call.node.lineno != call.node.end_lineno:
        # A call on several rows keeps them: its f-string is rewritten where it is
        # written, literal by literal (libcst reads the literals when the fix is
        # applied), so implicit concatenation, quotes and comments stay.
        plan = sql_text_plan(call.sql_node, rendered, new, source, compose=False)
        edits = params_edits(call, new, source)
        return None if edits is None else Fix("unsafe", message, edits, plan)
    text = render_call(call, new, source)
    if call.site.awaited:
        text = text.removeprefix("await ")
    if '"""' in text or "'''" in text:
        return None  # re-indenting would change the text of a multi-line string
    start, end = source.start(call.node), source.end(call.node)
    if has_comment(source.text[source.offset(start) : source.offset(end)]):
        return None  # a comment inside the call would be lost
    indent = re.match(r"[ \t]*", source.line(start.row)).group()  # type: ignore[union-attr]
    text = text.replace("\n", "\n" + indent)
    return Fix("unsafe", message, (Edit(start, end, text),))


def _suggestion(call: DbCall, new: Rewritten | None, source: SourceText) -> str | None:
    if new is None:
        return None
    text = render_call(call, new, source)
    if call.driver is None:
        text = "# with the placeholder style of your driver; psycopg shown:\n" + text
    return text


RULE = Rule(
    code="PGL101",
    checks_test_modules=False,
    test_code="the values a test formats into its queries are the test's own.",
    name="sql-interpolated-value",
    summary="a value is formatted into SQL text instead of passed as a parameter",
    what_it_does=(
        "Checks for values put into SQL text with f-strings, `str.format()`, `%` "
        "formatting, concatenation or `str.join()` — directly or through local variables — "
        "when the text reaches a database call."
    ),
    why_bad=(
        "A value formatted into the query text becomes part of the SQL. One containing a "
        "quote (`' OR '1'='1`) changes what the query does: it can return every row, "
        "bypass a login, or drop a table. It also breaks on honest input such as "
        "`O'Brien`, and defeats the server's plan cache. Every driver can send the value "
        "separately from the text as a bound parameter, which the server never parses as "
        "SQL.\n\n"
        "Values that nothing outside the program can change are not reported: literals, "
        "module-level string and number constants, `int(...)` and arithmetic with a "
        "number (`limit + 1`), the items of literal tables and class-level constants the "
        "code loops over (`for name, sql in DEFAULTS.items()`), generated names "
        "(`f':v_{i}' for i in range(n)`), values checked before the use (`if not "
        'NAME.fullmatch(x): raise`, `if x not in ALLOWED: return`, inside `if x == "new":`), '
        "and placeholder lists such "
        "as `', '.join(['%s'] * len(ids))`, nor the parameters of a handler or dependency "
        "that the web framework converts before calling it (FastAPI's `delay: int`, "
        "`Annotated[int, Query()]`, a UUID or a date; Flask's `<int:id>`): a plain "
        "function's `int` annotation converts nothing and is not trusted. Neither are "
        "values passed through a function "
        'of the same module that returns `"\'" + value.replace("\'", "\'\'") + "\'"`: '
        "PostgreSQL reads a single-quoted string whose inner quotes are doubled as one "
        "string (backslashes are ordinary characters there since 9.1); nor values doubled "
        "in place, `'{x.replace(\"'\", \"''\")}'`, inside plain single quotes (not "
        "`E'...'`, where a backslash escapes a quote). Binding is still "
        "the better way. When the driver is unknown, the text must look like SQL to be "
        "reported."
    ),
    example=(
        "import psycopg2\n\n"
        "def find_user(email):\n"
        "    conn = psycopg2.connect()\n"
        "    cur = conn.cursor()\n"
        "    cur.execute(f\"SELECT * FROM users WHERE email = '{email}'\")\n"
        "    return cur.fetchone()\n"
    ),
    use_instead=(
        "import psycopg2\n\n"
        "def find_user(email):\n"
        "    conn = psycopg2.connect()\n"
        "    cur = conn.cursor()\n"
        '    cur.execute("SELECT * FROM users WHERE email = %s", (email,))\n'
        "    return cur.fetchone()\n"
    ),
    check=check,
    fix_availability="sometimes",
    fix_summary=(
        "binds the values as parameters in the driver's style, quotes around them gone; a call "
        "on several rows keeps its rows and comments",
        "unsafe",
    ),
    fix_safety=(
        "The fix is unsafe (applied with `--fix --unsafe-fixes`): it rewrites the call to "
        "the parameterized form in the driver's own style (`%s` with a tuple for psycopg, "
        "`$1` with separate arguments for asyncpg, `:name` with a dict for SQLAlchemy "
        "`text()`, `?` for sqlite3, `%s` with a list for Django), removing the quotes that "
        "surrounded each value, and only for values: identifiers stay interpolated and are "
        "reported by PGL102. It is offered when the driver is known and the SQL is written "
        "inside the call (an f-string is rewritten where it is written, each of its "
        "literals in place, so its rows and comments stay); when the query is built "
        "elsewhere, the suggestion shows the "
        "parameterized call to write by hand. Safe values whose text pglint does not know "
        "(`{int(n)}`, a constant) stay in the text as written. Neither a fix nor a "
        "suggestion is offered where a parameter would not work as the original text did: "
        "statements PostgreSQL takes no parameters in (`SET`, `NOTIFY`, DDL: use "
        "`psycopg.sql.Literal` or `SELECT set_config(...)` / `pg_notify(...)`), typed "
        "literals (`interval '{n} days'`), a value cast right after its quotes, and values "
        "written with a format (`{x:.2f}`, `!r`) or joined into a list (`IN ({', '.join(xs)})`"
        ", which wants `= ANY(%s)`)."
    ),
    see_also=(
        "PGL102 for identifiers (table and column names), which cannot be parameters. "
        "Ruff's S608 and bandit's B608 flag SQL-looking strings built with formatting "
        "anywhere; pglint reports only text that reaches a database call, follows it "
        "through local variables, tells values from identifiers and constants, and writes "
        "the corrected call for your driver."
    ),
    references=(
        "https://www.psycopg.org/psycopg3/docs/basic/params.html",
        "https://magicstack.github.io/asyncpg/current/usage.html",
        "https://docs.sqlalchemy.org/en/20/core/sqlelement.html#sqlalchemy.sql.expression.text",
    ),
    more_bad=(
        "import asyncpg\n\n"
        "async def orders(status):\n"
        "    conn = await asyncpg.connect()\n"
        '    query = "SELECT * FROM orders WHERE status = \'" + status + "\'"\n'
        "    return await conn.fetch(query)\n",
        "from sqlalchemy import text\n\n"
        "def search(session, term):\n"
        "    sql = \"SELECT * FROM items WHERE name LIKE '%{}%'\".format(term)\n"
        "    return session.execute(text(sql)).all()\n",
    ),
    more_good=(
        "import psycopg2\n\n"
        "def by_ids(ids):\n"
        "    cur = psycopg2.connect().cursor()\n"
        '    marks = ", ".join(["%s"] * len(ids))\n'
        '    cur.execute(f"SELECT * FROM users WHERE id IN ({marks})", ids)\n',
        "import logging\n\n"
        "def log(user_id):\n"
        '    logging.info(f"SELECT * FROM users WHERE id = {user_id}")\n',
    ),
)
