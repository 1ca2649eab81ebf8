"""PGL204: a placeholder written inside a quoted SQL literal, where it is never bound."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pglint.diagnostics import Fix
from pglint.facts.model import DbCall, ModuleFacts
from pglint.rules._sqltext import (
    Rendered,
    params_supplied,
    renderings,
    replace_span,
    shorten,
    source_offsets,
)
from pglint.rules.base import Finding, Rule
from pglint.source import SourceText
from pglint.sql import Placeholder, tokenize
from pglint.sql.lexer import SKIP_KINDS


def check(facts: ModuleFacts) -> Iterator[Finding]:
    source = facts.source
    for call in facts.db_calls:
        if not call.resolved or not params_supplied(call):
            continue
        for rendered in renderings(call)[:1]:
            quoted = _quoted_placeholders(call, rendered)
            if not quoted:
                continue
            shown = rendered.text[quoted[0].start : quoted[0].end]
            message = (
                f"`{shorten(shown, 24)}` is inside quotes in the SQL, so it is never bound; "
                "move the placeholder out of the quotes"
            )
            fix = _fix(rendered, quoted[0], source) if facts.wants_fixes else None
            yield Finding(
                source.start(call.node), source.end(call.node), message,
                suggestion=_suggestion(rendered.text, quoted[0]), fix=fix,
            )  # fmt: skip


def _quoted_placeholders(call: DbCall, rendered: Rendered) -> list[Placeholder]:
    driver = call.driver
    assert driver is not None
    in_code = {(p.style, p.name) for p in rendered.code_placeholders}
    literal_kinds = _literal_spans(rendered.text)
    keys = call.params.keys
    elements = call.params.elements
    found = []
    for p in rendered.placeholders:
        if not p.in_literal or p.style not in driver.styles:
            continue
        if not any(start <= p.start < end for start, end in literal_kinds):
            continue  # a comment
        if p.style in ("named", "pyformat"):
            if (p.style, p.name) in in_code or keys is None or p.name not in keys:
                continue
        elif p.style == "numeric":
            if (p.style, p.name) in in_code or elements is None:
                continue
            if p.number > len(elements):
                continue
        found.append(p)
    return found


def _literal_spans(text: str) -> list[tuple[int, int]]:
    return [(t.start, t.end) for t in tokenize(text) if t.kind in ("string", "dollar")]


def _suggestion(text: str, placeholder: Placeholder) -> str:
    shown = text[placeholder.start : placeholder.end]
    if "interval" in text.lower():
        return (
            f"Bind a number and build the interval from it, e.g. `{shown} * INTERVAL '1 day'` "
            f"or `make_interval(days => {shown})`."
        )
    return f"Write the placeholder without quotes (`{shown}`), and let the driver quote the value."


# --- the fix ---------------------------------------------------------------------------

# PostgreSQL's interval units, as people write them, and the unit `'1 <unit>'` names.
_UNITS = {
    **dict.fromkeys(("microsecond", "microseconds", "us", "usec", "usecs"), "microsecond"),
    **dict.fromkeys(("millisecond", "milliseconds", "ms", "msec", "msecs"), "millisecond"),
    **dict.fromkeys(("second", "seconds", "s", "sec", "secs"), "second"),
    **dict.fromkeys(("minute", "minutes", "m", "min", "mins"), "minute"),
    **dict.fromkeys(("hour", "hours", "h", "hr", "hrs"), "hour"),
    **dict.fromkeys(("day", "days", "d"), "day"),
    **dict.fromkeys(("week", "weeks", "w"), "week"),
    **dict.fromkeys(("month", "months", "mon", "mons"), "month"),
    **dict.fromkeys(("year", "years", "y", "yr", "yrs"), "year"),
    **dict.fromkeys(("decade", "decades"), "decade"),
    **dict.fromkeys(("century", "centuries"), "century"),
    **dict.fromkeys(("millennium", "millennia", "millenniums"), "millennium"),
}


def _fix(rendered: Rendered, placeholder: Placeholder, source: SourceText) -> Fix | None:
    """`INTERVAL '%s days'` (or `'%s days'::interval`) -> `%s * INTERVAL '1 day'`: safe,
    the same interval for every number that worked and a bound value now. `'%s'` alone
    -> `%s`: unsafe, the value is bound with its own type instead of as text."""
    text = rendered.text
    tokens = tokenize(text)
    at = next((i for i, t in enumerate(tokens) if t.start <= placeholder.start < t.end), None)
    if at is None:
        return None
    literal = tokens[at]
    if literal.kind != "string" or not literal.text.startswith("'") or len(literal.text) < 2:
        return None
    shown = text[placeholder.start : placeholder.end]
    body = literal.text[1:-1]
    code = [i for i, t in enumerate(tokens) if t.kind not in SKIP_KINDS]
    position = code.index(at)
    before = tokens[code[position - 1]] if position > 0 else None
    after = [tokens[i] for i in code[position + 1 : position + 3]]
    offsets = source_offsets(rendered, source)
    number = re.fullmatch(rf"\s*{re.escape(shown)}\s*([A-Za-z]+)\s*", body)
    unit = _UNITS.get(number.group(1).lower()) if number else None
    if unit is not None and before is not None and before.text.lower() == "interval":
        replacement = f"{shown} * {before.text} '1 {unit}'"
        edit = replace_span(rendered, offsets, before.start, literal.end, replacement, source)
        safe = True
    elif (
        unit is not None
        and len(after) == 2
        and after[0].kind == "cast"
        and after[1].text.lower() == "interval"
    ):
        replacement = f"{shown} * {after[1].text} '1 {unit}'"
        edit = replace_span(rendered, offsets, literal.start, after[1].end, replacement, source)
        safe = True
    elif body == shown:
        edit = replace_span(rendered, offsets, literal.start, literal.end, shown, source)
        safe = False
    else:
        return None
    if edit is None:
        return None
    if safe:
        return Fix("safe", "Bind the number and multiply a one-unit interval", (edit,))
    return Fix("unsafe", "Remove the quotes around the placeholder", (edit,))


RULE = Rule(
    code="PGL204",
    name="placeholder-in-string-literal",
    summary="a placeholder inside a quoted SQL literal is never bound",
    what_it_does=(
        "Checks for placeholders written inside a quoted SQL literal — "
        "`INTERVAL ':days days'`, `'%s'`, `'$1'` — while a value for them is passed."
    ),
    why_bad=(
        "Inside quotes a placeholder is just characters. SQLAlchemy and asyncpg leave it "
        "there, so the value passed for it is unused and the query errors or silently "
        "uses the literal text; psycopg substitutes the already-quoted value inside the "
        "quotes, producing `''value''`. Either way the query does not do what it says.\n\n"
        "Not reported when no values are passed (then the text is just text), nor for "
        "placeholders in comments."
    ),
    example=(
        "from sqlalchemy import text\n"
        "from sqlalchemy.orm import Session\n\n"
        "def recent(session: Session, days: int):\n"
        "    return session.execute(\n"
        "        text(\"SELECT * FROM orders WHERE created_at > now() - INTERVAL ':days days'\"),\n"
        '        {"days": days},\n'
        "    ).all()\n"
    ),
    use_instead=(
        "from sqlalchemy import text\n"
        "from sqlalchemy.orm import Session\n\n"
        "def recent(session: Session, days: int):\n"
        "    return session.execute(\n"
        "        text(\n"
        '            "SELECT * FROM orders "\n'
        '            "WHERE created_at > now() - make_interval(days => :days)"\n'
        "        ),\n"
        '        {"days": days},\n'
        "    ).all()\n"
    ),
    check=check,
    fix_availability="sometimes",
    fix_summary=(
        "`INTERVAL '%s days'` → `%s * INTERVAL '1 day'` (every placeholder style and unit); "
        "unsafe: `'%s'` alone → `%s`",
        "safe or unsafe",
    ),
    fix_safety=(
        "`INTERVAL '%s days'` (or `'%s days'::interval`, with `:days`, `%(days)s` or `$1`, "
        "and any unit PostgreSQL knows) becomes `%s * INTERVAL '1 day'`. Safe: proven "
        "against PostgreSQL for whole, negative and fractional numbers of seconds to "
        "years, it gives the interval the text spelled out wherever the value reached it "
        "(psycopg2 and SQLAlchemy interpolate it into the quotes), and binds it where it "
        "never did (psycopg 3 silently reads `'$1 days'` as one day; asyncpg has no "
        "parameter to bind). A placeholder that is the whole literal (`name = '%s'`) loses "
        "its quotes: unsafe, because the value is then bound with its own type, and a "
        "number compared with a text column that matched as `'7'` is now an error. "
        "Other literals (`'%s%'`, `'prefix-%s'`) get no fix: the right expression depends "
        "on what the text was meant to be."
    ),
    see_also="PGL205 for `%` signs in psycopg queries.",
    more_bad=(
        "import psycopg2\n\n"
        "def by_name(name: str):\n"
        "    cur = psycopg2.connect().cursor()\n"
        "    cur.execute(\"SELECT * FROM users WHERE name = '%s'\", (name,))\n",
    ),
    more_good=(
        "import psycopg2\n\n"
        "def docs():\n"
        "    cur = psycopg2.connect().cursor()\n"
        "    cur.execute(\"SELECT 'use %s for values' AS hint\")\n",
    ),
)
