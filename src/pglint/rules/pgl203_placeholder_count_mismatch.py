"""PGL203: the number (or names) of placeholders does not match the values passed."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from pglint.diagnostics import Edit
from pglint.facts.model import DbCall, ModuleFacts
from pglint.rules._sqltext import Rendered, call_with_edits, exact_rendering, named, shorten
from pglint.rules.base import Finding, Rule
from pglint.source import SourceText
from pglint.sql import Placeholder

_POSITIONAL = ("format", "qmark")
_NAMED = ("pyformat", "named")
# The most `...` a suggestion adds for missing values.
_SHOWN_MISSING = 20


def check(facts: ModuleFacts) -> Iterator[Finding]:
    source = facts.source
    for call in facts.db_calls:
        found = _mismatch(call)
        if found is not None:
            message, missing = found
            yield Finding(
                source.start(call.node), source.end(call.node), message,
                suggestion=_suggestion(call, missing, source),
            )  # fmt: skip


def _suggestion(call: DbCall, missing: list[str] | int, source: SourceText) -> str | None:
    """The call with a `...` for each missing value, to be filled in by hand."""
    params = call.params
    if isinstance(missing, int) and missing <= 0:
        return "Remove the values that have no placeholder, or add placeholders for them."
    node = params.node if params.node is not None and params.node is params.arg_node else None
    if isinstance(missing, int) and missing > _SHOWN_MISSING:
        return None  # a call with thousands of `...` helps nobody
    if isinstance(missing, int):
        extra = ", ".join(["..."] * missing)
        if params.shape == "varargs" and params.elements:
            anchor = source.end(params.elements[-1])
            return call_with_edits(call, (Edit(anchor, anchor, f", {extra}"),), source)
        if isinstance(node, ast.Tuple | ast.List) and node.elts:
            anchor = source.end(node.elts[-1])
            return call_with_edits(call, (Edit(anchor, anchor, f", {extra}"),), source)
        return None
    if len(missing) > _SHOWN_MISSING:
        return None
    entries = ", ".join(f'"{name}": ...' for name in missing)
    if isinstance(node, ast.Dict) and node.values:
        anchor = source.end(node.values[-1])
        return call_with_edits(call, (Edit(anchor, anchor, f", {entries}"),), source)
    return None


def counted_placeholders(call: DbCall, rendered: Rendered) -> list[Placeholder]:
    """The placeholders the driver will try to bind. With parameters, psycopg-style
    drivers %-format the whole text, quotes included; the others bind only placeholders
    in code."""
    percent_formats = call.driver is not None and call.driver.percent_conversions is not None
    if percent_formats and call.params.shape not in ("absent", "none"):
        return [
            p for p in rendered.placeholders
            if not p.in_literal or p.style in ("format", "pyformat")
        ]  # fmt: skip
    return rendered.code_placeholders


def _mismatch(call: DbCall) -> tuple[str, list[str] | int] | None:
    """The problem and what is missing: names, or how many positional values."""
    if not call.resolved or call.spec.many or call.params.starred:
        return None
    if call.name == "text" and call.text_call is None:
        return None  # a standalone text() gets its values where it is executed
    rendered = exact_rendering(call)
    if rendered is None:
        return None
    driver = call.driver
    assert driver is not None
    placeholders = counted_placeholders(call, rendered)
    if any(p.style not in driver.styles for p in placeholders):
        return None  # PGL201 reports the style first
    label = driver.label
    positional = [p for p in placeholders if p.style in _POSITIONAL]
    numbered = [p for p in placeholders if p.style == "numeric"]
    names = list(dict.fromkeys(p.name for p in placeholders if p.style in _NAMED and p.name))
    given = _given_count(call)
    if numbered:
        numbered_by = {p.number: p for p in numbered}
        highest = numbered_by[max(numbered_by)]
        numbers = numbered_by.keys()
        # The first number missing is at most one past how many there are: found in
        # linear time however large the highest is.
        gap = next(n for n in range(1, len(numbers) + 2) if n not in numbers)
        if gap < highest.number:
            message = (
                f"`${shorten(str(gap), 12)}` is never used while "
                f"`${_written(highest)}` is, so the query fails; number them "
                "`$1..$n` without gaps"
            )
            return message, 0
        if given is not None and given != highest.number:
            return _count_message(highest.number, given, label), highest.number - given
    if positional and given is not None and given != len(positional):
        return _count_message(len(positional), given, label), len(positional) - given
    if names:
        keys = _given_names(call)
        if keys is not None:
            missing = [n for n in names if n not in keys]
            if missing:
                shown = named(missing)
                message = (
                    f"No value for {shown}, so {label} raises on every call; add "
                    f"{'it' if len(missing) == 1 else 'them'} to the parameters"
                )
                return message, missing
    if not positional and not numbered and not names and given:
        return _count_message(0, given, label), -given
    return None


def _written(placeholder: Placeholder) -> str:
    digits = placeholder.name or ""
    return digits if len(digits) <= 20 else f"{digits[:12]}…({len(digits):,} digits)"


def _count_message(expected: int, given: int, label: str) -> str:
    return (
        f"{expected} placeholder{'s' if expected != 1 else ''} but {given} "
        f"value{'s' if given != 1 else ''}, so {label} raises on every call; pass one value "
        "per placeholder"
    )


def _given_count(call: DbCall) -> int | None:
    params = call.params
    if params.shape in ("absent", "none"):
        return 0 if not params.extra_positional else None
    if params.shape == "varargs" and params.elements is not None:
        if len(params.elements) == 1 and isinstance(params.elements[0], ast.Tuple | ast.List):
            return None  # PGL202: a sequence given to asyncpg
        return len(params.elements)
    if params.shape in ("tuple", "list") and params.elements is not None:
        if params.parenthesized:
            return None
        return len(params.elements)
    return None


def _given_names(call: DbCall) -> frozenset[str] | None:
    params = call.params
    if params.shape in ("absent", "none"):
        return frozenset()
    if params.shape == "dict":
        return params.keys
    return None


RULE = Rule(
    code="PGL203",
    checks_test_modules=False,
    test_code=(
        "a test that passes them wrongly fails when it runs, and tests provoke the "
        "driver's error on purpose (`pytest.raises`, `assertRaises`)."
    ),
    name="placeholder-count-mismatch",
    summary="the number or names of placeholders do not match the values passed",
    what_it_does=(
        "Checks for queries with fully known text whose values do not match their "
        "placeholders: a positional placeholder without its value, a gap in asyncpg's "
        "`$n` numbers, or a named placeholder with no key in the mapping."
    ),
    why_bad=(
        "A query with three placeholders and two values fails on every call — psycopg "
        "with `IndexError` or `ProgrammingError`, asyncpg with `the server expects 3 "
        "arguments`, SQLAlchemy with `A value is required for bind parameter`. It is "
        "typically introduced by editing the SQL and not the values (or the other way "
        "round) and only shows when that code path runs.\n\n"
        "The rule runs only when the driver is known, the SQL text is fully known and the "
        "values are written out (a tuple, list or dict display, or asyncpg's separate "
        "arguments). Extra keys in a dict are allowed: the drivers ignore them."
    ),
    example=(
        "import psycopg\n\n"
        "def add(conn: psycopg.Connection, name: str, email: str):\n"
        "    conn.execute(\n"
        '        "INSERT INTO users (name, email, role) VALUES (%s, %s, %s)", (name, email)\n'
        "    )\n"
    ),
    use_instead=(
        "import psycopg\n\n"
        "def add(conn: psycopg.Connection, name: str, email: str):\n"
        "    conn.execute(\n"
        '        "INSERT INTO users (name, email, role) VALUES (%s, %s, %s)",\n'
        '        (name, email, "member"),\n'
        "    )\n"
    ),
    check=check,
    fix_availability="none",
    fix_safety="No automatic fix: which value is missing or extra is not knowable.",
    see_also="PGL201 for placeholder style, PGL202 for the shape of the values.",
    more_bad=(
        "from sqlalchemy import text\n"
        "from sqlalchemy.orm import Session\n\n"
        "def recent(session: Session, limit: int):\n"
        "    return session.execute(\n"
        '        text("SELECT * FROM events WHERE kind = :kind LIMIT :limit"),\n'
        '        {"limit": limit},\n'
        "    ).all()\n",
    ),
    more_good=(
        "from sqlalchemy import text\n"
        "from sqlalchemy.orm import Session\n\n"
        "def recent(session: Session, kind: str, limit: int):\n"
        "    return session.execute(\n"
        '        text("SELECT * FROM events WHERE kind = :kind LIMIT :limit"),\n'
        '        {"kind": kind, "limit": limit, "unused": 1},\n'
        "    ).all()\n",
    ),
)
