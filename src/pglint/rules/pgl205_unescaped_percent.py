"""PGL205: a literal `%` in a psycopg query that has parameters."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pglint.diagnostics import Fix
from pglint.facts.model import ModuleFacts
from pglint.rules._sqltext import (
    Rendered,
    call_with_edits,
    params_supplied,
    renderings,
    replace_span,
    source_offsets,
)
from pglint.rules.base import Finding, Rule
from pglint.sql import stray_percents

# Bounded repeats: with `*`, a `%` before a long run of zeros backtracks quadratically.
_PRINTF = re.compile(r"[-#0 +]{0,8}\d{0,9}(?:\.\d{1,9})?[diouxXeEfFgGc](?!\w)")


def check(facts: ModuleFacts) -> Iterator[Finding]:
    source = facts.source
    for call in facts.db_calls:
        driver = call.driver
        if not call.resolved or driver is None or driver.percent_conversions is None:
            continue
        if not call.sql or not params_supplied(call):
            continue
        rendered = renderings(call)[0]
        strays = stray_percents(rendered.text, driver.percent_conversions)
        if not strays:
            continue
        context = _word_around(rendered.text, strays[0])
        message = (
            f"Unescaped `%` in `{context}`: with parameters {driver.label} reads it as a "
            "placeholder; write `%%`"
        )
        fix = _double(strays, rendered, facts)
        yield Finding(
            source.start(call.node), source.end(call.node), message,
            suggestion=call_with_edits(call, fix.edits, source) if fix else None, fix=fix,
        )  # fmt: skip


def _double(strays: list[int], rendered: Rendered, facts: ModuleFacts) -> Fix | None:
    offsets = source_offsets(rendered, facts.source)
    edits = []
    for offset in strays:
        edit = replace_span(rendered, offsets, offset, offset + 1, "%%", facts.source)
        if edit is None:
            return None
        edits.append(edit)
    # `%d` or `%i` was probably meant as a placeholder: escaping it is not obviously right.
    meant_placeholder = any(_PRINTF.match(rendered.text, offset + 1) for offset in strays)
    return Fix(
        "unsafe" if meant_placeholder else "safe",
        "Escape the literal `%` as `%%`",
        tuple(edits),
    )


RULE = Rule(
    code="PGL205",
    name="unescaped-percent",
    summary="a literal `%` is not written as `%%` in a psycopg query with parameters",
    what_it_does=(
        "Checks for `%` signs that are not placeholders in queries sent with parameters "
        "to drivers that %-format the query text: psycopg2, psycopg 3, aiopg and "
        "Django's cursor."
    ),
    why_bad=(
        "When parameters are passed, these drivers treat every `%` in the query — inside "
        "string literals too — as the start of a placeholder. `LIKE 'abc%'` or "
        "`'100%'` then raises (`IndexError: tuple index out of range`, `unsupported "
        "format character`, `only '%s', '%b', '%t' are allowed as placeholders`) the "
        "first time the query runs with a value. The same query without parameters works, "
        "which is how it slips through.\n\n"
        "Not reported for queries executed without parameters, nor for drivers that do "
        "not %-format (asyncpg, sqlite3, SQLAlchemy `text()`)."
    ),
    example=(
        "import psycopg2\n\n"
        "def search(prefix: str):\n"
        "    cur = psycopg2.connect().cursor()\n"
        "    cur.execute(\n"
        "        \"SELECT * FROM files WHERE path LIKE '/tmp/%' AND owner = %s\", (prefix,)\n"
        "    )\n"
    ),
    use_instead=(
        "import psycopg2\n\n"
        "def search(prefix: str):\n"
        "    cur = psycopg2.connect().cursor()\n"
        "    cur.execute(\n"
        "        \"SELECT * FROM files WHERE path LIKE '/tmp/%%' AND owner = %s\", (prefix,)\n"
        "    )\n"
    ),
    check=check,
    fix_availability="sometimes",
    fix_summary=(
        "doubles each stray `%`; unsafe when it looks like a printf conversion (`%d`)",
        "safe or unsafe",
    ),
    fix_safety=(
        "Safe: each stray `%` is doubled, which is exactly what the driver expects. "
        "Offered only when the query is a plain string literal (no f-string, no escape "
        "sequences), so the edit lands on the right character. Unsafe when a stray `%` "
        "looks like a printf conversion (`%d`, `%i`, `%f`): the author probably meant a "
        "placeholder, and `%s` may be the right fix."
    ),
    see_also="PGL204 for placeholders inside quotes.",
    references=("https://www.psycopg.org/psycopg3/docs/basic/params.html",),
    more_good=(
        "import psycopg2\n\n"
        "def tmp_files():\n"
        "    cur = psycopg2.connect().cursor()\n"
        "    cur.execute(\"SELECT * FROM files WHERE path LIKE '/tmp/%'\")\n",
    ),
)


def _word_around(text: str, index: int, limit: int = 14) -> str:
    """The whitespace-delimited word holding ``text[index]``, e.g. `'OLD-%'`."""
    start = index
    while start > 0 and not text[start - 1].isspace() and index - start < limit:
        start -= 1
    end = index + 1
    while end < len(text) and not text[end].isspace() and end - index < limit:
        end += 1
    return text[start:end]
