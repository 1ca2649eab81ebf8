"""Placeholders in SQL text, in code or hidden inside quoted literals and comments."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pglint.sql.lexer import scan


@dataclass(frozen=True, slots=True)
class Placeholder:
    style: str
    name: str | None
    conversion: str | None
    start: int
    end: int
    in_literal: bool

    @property
    def number(self) -> int:
        """The number of a `$n` placeholder, at most ``MAX_NUMBER``: a number past any
        query's count of values is as wrong at any size, and never needs converting whole
        (``int`` refuses more than 4,300 digits)."""
        digits = (self.name or "0").lstrip("0")
        if len(digits) > len(str(MAX_NUMBER)):
            return MAX_NUMBER
        return min(int(digits or "0"), MAX_NUMBER)


# PostgreSQL numbers parameters with a 32-bit integer.
MAX_NUMBER = 2**31
# Tokens whose bodies the server never parses as code.
_LITERAL_KINDS = frozenset({"string", "dollar", "qident", "comment"})

# Inside a literal there is no token context, so the lexer's rules are restated by
# character: `%%` and `::` runs are consumed first so that neither half can start a
# placeholder, and `$1`/`:name` glued to a word are part of that word.
_IN_LITERAL = re.compile(
    r"%%"
    r"|%\((?P<pyname>[^)%]+)\)(?P<pyconv>[sbt])"
    r"|%(?P<conv>[sbt])"
    r"|(?<![\w$])\$(?P<num>\d+)"
    r"|::+"
    r"|(?<![\w\\]):(?P<named>[^\W\d]\w*)"
)


def _from_code(text: str, start: int, end: int) -> Placeholder:
    first = text[0]
    if first == "?":
        return Placeholder("qmark", None, None, start, end, False)
    if first == "$":
        return Placeholder("numeric", text[1:], None, start, end, False)
    if first == ":":
        return Placeholder("named", text[1:], None, start, end, False)
    if text[1] == "(":
        return Placeholder("pyformat", text[2:-2], text[-1], start, end, False)
    return Placeholder("format", None, text[1], start, end, False)


def _from_literal(sql: str, start: int, end: int) -> list[Placeholder]:
    found = []
    for m in _IN_LITERAL.finditer(sql, start, end):
        group = m.lastgroup
        if group is None:
            continue
        s, e = m.span()
        if group == "pyconv":
            found.append(Placeholder("pyformat", m["pyname"], m["pyconv"], s, e, True))
        elif group == "conv":
            found.append(Placeholder("format", None, m["conv"], s, e, True))
        elif group == "num":
            found.append(Placeholder("numeric", m["num"], None, s, e, True))
        else:
            found.append(Placeholder("named", m["named"], None, s, e, True))
    return found


def find_placeholders(sql: str) -> list[Placeholder]:
    """Every placeholder in text order, flagged when it sits inside a literal or comment.

    A ``?`` inside a literal is never reported: it is ordinary text in every driver
    that uses ``?``, while ``%s``, ``$1`` and ``:name`` in a literal are the classic
    "quoted placeholder" mistake.
    """
    found: list[Placeholder] = []
    for kind, start, end in scan(sql):
        if kind == "param":
            found.append(_from_code(sql[start:end], start, end))
        elif kind in _LITERAL_KINDS:
            found.extend(_from_literal(sql, start, end))
    return found


@lru_cache(maxsize=16)
def _percent_pattern(conversions: str) -> re.Pattern[str]:
    if not conversions:
        return re.compile(r"%%|(?P<stray>%)")
    chars = "".join(re.escape(c) for c in conversions)
    return re.compile(rf"%%|%\([^)%]+\)[{chars}]|%[{chars}]|(?P<stray>%)")


def stray_percents(sql: str, conversions: str = "s") -> list[int]:
    """Offsets of ``%`` signs that %-formatting would choke on.

    psycopg and psycopg2 format the whole query text when parameters are passed,
    quotes and comments included, so SQL structure is deliberately ignored here.
    """
    if "%" not in sql:
        return []
    return [m.start() for m in _percent_pattern(conversions).finditer(sql) if m["stray"]]
