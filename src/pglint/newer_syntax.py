"""Telling a syntax error from syntax newer than the running interpreter.

A file written for Python 3.12 or 3.14 parses under 3.10 with errors that say nothing of
versions ("invalid syntax" at `type X = int`, "unterminated string literal" inside an
f-string that nests quotes). The line the parser stopped at shows which feature it was;
the hint then says which Python the file needs.
"""

from __future__ import annotations

import re
import sys

# (what, the version it needs, the line it shows in). Only the features the parser of
# an older version rejects with a message that does not name a version.
_FEATURES = (
    ("type aliases (`type X = ...`)", (3, 12), re.compile(r"^\s*type\s+[^\W\d]\w*\s*[\[=]")),
    (
        "type parameters (`def f[T]`, `class C[T]`)",
        (3, 12),
        re.compile(r"^\s*(?:(?:async\s+)?def|class)\s+[^\W\d]\w*\s*\["),
    ),
    (
        'template strings (`t"..."`)',
        (3, 14),
        re.compile(r"(?<![\w'\"])(?:[tT][rR]?|[rR][tT])['\"]"),
    ),
    (
        "`except A, B:` without parentheses",
        (3, 14),
        re.compile(r"^\s*except\*?\s+[^():#]+,[^:#]*:"),
    ),
)
_F_STRING = re.compile(r"(?<![\w'\"])(?:[fF][rR]?|[rR][fF])['\"]")
_F_STRING_ERRORS = ("f-string", "unterminated string literal", "unterminated triple-quoted")


def needs_newer_python(msg: str, line: str) -> str | None:
    """A hint for a syntax error at ``line`` that newer syntax explains, or None."""
    running = sys.version_info[:2]
    here = f"{running[0]}.{running[1]}"
    if "only supported in Python" in msg or "is a Python 3." in msg:
        return f"it may use syntax newer than the running Python {here}"
    for what, version, pattern in _FEATURES:
        if running < version and pattern.search(line):
            return f"{what} need Python {version[0]}.{version[1]}; this is Python {here}"
    # Python 3.12 lets f-strings nest quotes and hold comments and line breaks; older
    # parsers reject those with an "f-string: ..." message or an unterminated string.
    if running < (3, 12) and (
        msg.startswith("f-string") or (msg.startswith(_F_STRING_ERRORS) and _F_STRING.search(line))
    ):
        return f"f-strings that nest quotes need Python 3.12; this is Python {here}"
    return None
