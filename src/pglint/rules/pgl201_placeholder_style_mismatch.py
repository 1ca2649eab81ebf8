"""PGL201: placeholders written in a style the driver does not bind."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from pglint.diagnostics import Edit, Fix
from pglint.drivers import Driver
from pglint.facts.model import DbCall, ModuleFacts
from pglint.rules._sqltext import (
    Rendered,
    call_with_edits,
    named,
    python_string,
    renderings,
    replace_span,
    source_offsets,
)
from pglint.rules.base import Finding, Rule
from pglint.sql import Placeholder

STYLE_EXAMPLES = {
    "format": "%s",
    "pyformat": "%(name)s",
    "numeric": "$1",
    "qmark": "?",
    "named": ":name",
}
_MIXES = ({"format", "pyformat"}, {"qmark", "named"})


def expected(driver: Driver) -> str:
    styles = [s for s in STYLE_EXAMPLES if s in driver.styles]
    return " or ".join(f"`{STYLE_EXAMPLES[s]}`" for s in styles)


def check(facts: ModuleFacts) -> Iterator[Finding]:
    source = facts.source
    for call in facts.db_calls:
        if not call.resolved or not call.sql:
            continue
        driver = call.driver
        assert driver is not None
        rendered = renderings(call)[0]
        placeholders = rendered.code_placeholders
        wrong = [p for p in placeholders if p.style not in driver.styles]
        styles = {p.style for p in placeholders}
        if wrong:
            shown = named(list(dict.fromkeys(rendered.text[p.start : p.end] for p in wrong)), 12)
            message = f"{driver.label} does not bind {shown} placeholders; write {expected(driver)}"
            fix = _renumber(call, rendered, wrong, placeholders, facts)
            suggestion = call_with_edits(call, fix.edits, source) if fix else None
            yield Finding(
                source.start(call.node), source.end(call.node), message,
                suggestion=suggestion or _suggestion(call, rendered, wrong), fix=fix,
            )  # fmt: skip
        elif any(styles >= mix for mix in _MIXES):
            message = (
                f"The query mixes positional and named placeholders, which {driver.label} "
                "rejects; use one style"
            )
            yield Finding(source.start(call.node), source.end(call.node), message)


def _target(driver: Driver, index: int) -> str:
    return driver.positional.replace("{n}", str(index))


def _suggestion(call: DbCall, rendered: Rendered, wrong: list[Placeholder]) -> str | None:
    driver = call.driver
    assert driver is not None
    if any(p.style in ("named", "pyformat") for p in wrong) or driver.positional.startswith(":"):
        return f"Write the placeholders as {expected(driver)} and pass the values to match."
    text = rendered.text
    out = []
    last = 0
    for n, p in enumerate(wrong, 1):
        out.append(text[last : p.start] + _target(driver, n))
        last = p.end
    out.append(text[last:])
    return python_string("".join(out))


def _renumber(
    call: DbCall,
    rendered: Rendered,
    wrong: list[Placeholder],
    placeholders: list[Placeholder],
    facts: ModuleFacts,
) -> Fix | None:
    """Rewrite positional placeholders into the driver's style when the values match."""
    driver = call.driver
    assert driver is not None
    if len(wrong) != len(placeholders) or len(call.sql) != 1 or not call.sql[0].exact:
        return None
    styles = {p.style for p in wrong}
    if driver.positional.startswith(":") or styles - {"format", "numeric", "qmark"}:
        return None
    if len(styles) != 1:
        return None
    if styles == {"numeric"}:
        numbers = [p.number for p in wrong]
        if numbers != list(range(1, len(numbers) + 1)):
            return None
    if _value_count(call) != len(wrong):
        return None
    offsets = source_offsets(rendered, facts.source)
    edits: list[Edit] = []
    for n, p in enumerate(wrong, 1):
        edit = replace_span(rendered, offsets, p.start, p.end, _target(driver, n), facts.source)
        if edit is None:
            return None
        edits.append(edit)
    return Fix("safe", f"Rewrite the placeholders as {expected(driver)}", tuple(edits))


def _value_count(call: DbCall) -> int | None:
    params = call.params
    if params.starred:
        return None
    if params.shape == "varargs" and params.elements is not None:
        elements = params.elements
        if len(elements) == 1 and isinstance(elements[0], ast.Tuple | ast.List):
            return len(elements[0].elts)
        return len(elements)
    if params.shape in ("tuple", "list") and params.elements is not None:
        return len(params.elements)
    if params.shape == "scalar" or params.parenthesized:
        return 1
    return None


RULE = Rule(
    code="PGL201",
    name="placeholder-style-mismatch",
    summary="placeholders written in a style the driver does not bind",
    what_it_does=(
        "Checks for placeholders the driver does not understand: `%s` sent to asyncpg, "
        "`$1`, `?` or `:name` sent to psycopg, `%s` in SQLAlchemy `text()`, and queries "
        "that mix positional and named placeholders."
    ),
    why_bad=(
        "Each driver binds one placeholder syntax: psycopg and psycopg2 `%s` and "
        "`%(name)s`, asyncpg `$1, $2`, sqlite3 `?` and `:name`, SQLAlchemy `text()` "
        "`:name`. Any other syntax is sent to the server as part of the SQL, so the query "
        "fails with a syntax error or a parameter-count error — usually only when that "
        "code path first runs in production, because assistants mix up the styles of "
        "drivers they have seen together.\n\n"
        "Placeholder-like text inside SQL string literals, comments and dollar-quoted "
        "bodies is ignored, and so are PostgreSQL's `?`, `?|` and `?&` jsonb operators and "
        "`::type` casts. The rule runs only when the driver is known."
    ),
    example=(
        "import asyncpg\n\n"
        "async def get_user(pool: asyncpg.Pool, user_id: int):\n"
        '    return await pool.fetchrow("SELECT * FROM users WHERE id = %s", user_id)\n'
    ),
    use_instead=(
        "import asyncpg\n\n"
        "async def get_user(pool: asyncpg.Pool, user_id: int):\n"
        '    return await pool.fetchrow("SELECT * FROM users WHERE id = $1", user_id)\n'
    ),
    check=check,
    fix_availability="sometimes",
    fix_summary=(
        "renumbers the placeholders into the driver's style when their count matches the values",
        "safe",
    ),
    fix_safety=(
        "Safe: positional placeholders are renumbered (`%s` → `$1, $2` for asyncpg; "
        "`$1..$n` in order or `?` → `%s` for psycopg; `%s` → `?` for sqlite3) only when "
        "the SQL is one plain string literal and the number of values passed matches the "
        "number of placeholders. Named placeholders are not rewritten."
    ),
    see_also="PGL202 for the shape of the parameters, PGL203 for their number.",
    references=(
        "https://peps.python.org/pep-0249/#paramstyle",
        "https://magicstack.github.io/asyncpg/current/usage.html",
    ),
    more_bad=(
        "import psycopg2\n\n"
        "def rename(user_id, name):\n"
        "    cur = psycopg2.connect().cursor()\n"
        '    cur.execute("UPDATE users SET name = $1 WHERE id = $2", (name, user_id))\n',
    ),
    more_good=(
        "import psycopg\n\n"
        "def tagged(conn: psycopg.Connection, key: str):\n"
        "    return conn.execute(\n"
        '        "SELECT id FROM docs WHERE data ? %s AND created::date = now()::date", (key,)\n'
        "    ).fetchall()\n",
    ),
)
