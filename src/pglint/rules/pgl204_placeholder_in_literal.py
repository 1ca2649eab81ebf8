"""PGL204: a placeholder written inside a quoted SQL literal, where it is never bound."""

from __future__ import annotations

from collections.abc import Iterator

from pglint.facts.model import DbCall, ModuleFacts
from pglint.rules._sqltext import Rendered, params_supplied, renderings, shorten
from pglint.rules.base import Finding, Rule
from pglint.sql import Placeholder, tokenize


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
            yield Finding(
                source.start(call.node), source.end(call.node), message,
                suggestion=_suggestion(rendered.text, quoted[0]),
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
    fix_availability="none",
    fix_safety=(
        "No automatic fix: the right expression depends on the type the literal was "
        "meant to have (an interval, a pattern, a string)."
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
