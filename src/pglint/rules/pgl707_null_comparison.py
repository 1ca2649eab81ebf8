"""PGL707: `= NULL` / `<> NULL` in SQL text: a comparison that is never true."""

from __future__ import annotations

from collections.abc import Iterator

from pglint.diagnostics import Edit, Fix
from pglint.facts.model import DbCall, ModuleFacts
from pglint.rules._sqltext import Rendered, call_with_edits, renderings, source_offsets
from pglint.rules.base import Finding, Rule
from pglint.sql import looks_like_sql
from pglint.sql.statements import NullComparison, null_comparisons


def check(facts: ModuleFacts) -> Iterator[Finding]:
    source = facts.source
    for call in facts.db_calls:
        found = _first(call)
        if found is None:
            continue
        rendered, comparisons = found
        first = comparisons[0]
        start = min(first.op_start, first.null_start)
        written = rendered.text[start : max(first.op_end, first.null_end)]
        use = "`IS NOT NULL`" if first.replacement == "IS NOT" else "`IS NULL`"
        message = f"`{written}` is never true: a comparison with NULL is NULL. Use {use}."
        fix = _fix(call, rendered, comparisons, facts) if facts.wants_fixes else None
        suggestion = call_with_edits(call, fix.edits, source) if fix is not None else None
        yield Finding(source.start(call.node), source.end(call.node), message, suggestion, fix)


def _first(call: DbCall) -> tuple[Rendered, tuple[NullComparison, ...]] | None:
    for rendered in renderings(call):
        if not call.resolved and not looks_like_sql(rendered.text):
            continue
        comparisons = null_comparisons(rendered.text)
        if comparisons:
            return rendered, comparisons
    return None


def _fix(
    call: DbCall, rendered: Rendered, comparisons: tuple[NullComparison, ...], facts: ModuleFacts
) -> Fix | None:
    if len(call.sql) != 1 or any(c.replacement is None for c in comparisons):
        return None
    source = facts.source
    offsets = source_offsets(rendered, source)
    text = rendered.text
    edits = []
    for comparison in comparisons:
        mapped = offsets[comparison.op_start : comparison.op_end]
        if not mapped or any(m is None for m in mapped):
            return None
        first = mapped[0]
        if any(m != first + i for i, m in enumerate(mapped)):  # type: ignore[operator]
            return None
        content = comparison.replacement or ""
        if comparison.op_start == 0 or not text[comparison.op_start - 1].isspace():
            content = " " + content
        if comparison.op_end >= len(text) or not text[comparison.op_end].isspace():
            content += " "
        end = first + (comparison.op_end - comparison.op_start)  # type: ignore[operator]
        edits.append(Edit(source.location_at(first), source.location_at(end), content))  # type: ignore[arg-type]
    # Rows a SELECT never returned come back; a DELETE or UPDATE that touched nothing
    # now changes rows: the same intent, but worth reading before it runs.
    writes = any(c.in_write for c in comparisons)
    what = "`IS NULL` / `IS NOT NULL`"
    return Fix("unsafe" if writes else "safe", f"Compare with {what}", tuple(edits))


RULE = Rule(
    code="PGL707",
    name="null-comparison",
    summary="`= NULL` / `<> NULL` in SQL: a comparison that is never true",
    what_it_does=(
        "Checks for `= NULL`, `<> NULL` and `!= NULL` in the conditions of SQL text sent "
        "to the database (`WHERE`, `ON`, `HAVING`, `CASE WHEN`...)."
    ),
    why_bad=(
        "In SQL, any comparison with NULL is NULL — unknown, never true. `WHERE "
        "deleted_at = NULL` matches no row at all, and `WHERE deleted_at <> NULL` none "
        "either: the query runs without an error and quietly returns nothing, an UPDATE "
        "or DELETE quietly touches nothing. `IS NULL` and `IS NOT NULL` test for NULL.\n\n"
        "Not reported: `SET col = NULL` in an UPDATE (an assignment), `DEFAULT NULL`, "
        "parameter defaults in `CREATE FUNCTION`, and text inside string literals or "
        "comments."
    ),
    example=(
        "import psycopg2\n\n\n"
        "def active_users(conn):\n"
        "    with conn.cursor() as cur:\n"
        '        cur.execute("SELECT id, email FROM users WHERE deleted_at = NULL")\n'
        "        return cur.fetchall()\n"
    ),
    use_instead=(
        "import psycopg2\n\n\n"
        "def active_users(conn):\n"
        "    with conn.cursor() as cur:\n"
        '        cur.execute("SELECT id, email FROM users WHERE deleted_at IS NULL")\n'
        "        return cur.fetchall()\n"
    ),
    check=check,
    fix_availability="sometimes",
    fix_summary=(
        "`= NULL` → `IS NULL`, `<> NULL` → `IS NOT NULL`; unsafe in an UPDATE or DELETE",
        "safe or unsafe",
    ),
    fix_safety=(
        "Safe in a query that only reads: the fixed condition matches the rows the author "
        "meant, where the original matched none. Unsafe in a statement that writes "
        "(UPDATE, DELETE, INSERT ... SELECT): the fixed statement starts changing rows the "
        "original never touched, so read it before it runs. Offered only when the "
        "operator is in a plain string literal and NULL is on the right."
    ),
    see_also="Ruff's E711 checks the same mistake in Python (`x == None`).",
    references=("https://www.postgresql.org/docs/current/functions-comparison.html",),
    more_bad=(
        "from sqlalchemy import text\n\n\n"
        "async def unpaid(session):\n"
        "    result = await session.execute(\n"
        '        text("SELECT id FROM invoices WHERE paid_at = NULL AND due < now()")\n'
        "    )\n"
        "    return result.scalars().all()\n",
        "import asyncpg\n\n\n"
        "async def purge(pool: asyncpg.Pool):\n"
        '    await pool.execute("DELETE FROM sessions WHERE user_id <> NULL AND expired")\n',
    ),
    more_good=(
        "import psycopg2\n\n\n"
        "def clear_email(conn, user_id):\n"
        "    with conn.cursor() as cur:\n"
        '        cur.execute("UPDATE users SET email = NULL WHERE id = %s", (user_id,))\n',
        "import psycopg2\n\n\n"
        "def placeholders(conn):\n"
        "    with conn.cursor() as cur:\n"
        "        cur.execute(\"SELECT 'x = NULL' AS label, a IS NOT NULL FROM t\")\n",
    ),
)
