"""`# noqa` handling, with flake8's semantics so the CLI and the plugin agree.

flake8 applies a `# noqa` comment to every physical line of the logical line it sits on
(a multi-line call or string is one logical line), and `# noqa: PGL1` suppresses every
code that starts with `PGL1`. A bare `# noqa` suppresses everything on the line.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

# The same pattern flake8 uses (case-insensitive, optional space after the colon).
NOQA_INLINE = re.compile(
    r"# noqa"
    r"(?::[\s]?(?P<codes>[A-Z][0-9]+(?:[,\s]+)?(?:[A-Z][0-9]+(?:[,\s]+)?)*))?",
    re.IGNORECASE,
)
_CODE_SPLIT = re.compile(r"[,\s]+")


@dataclass(frozen=True)
class NoqaDirective:
    codes: frozenset[str] | None  # None: a bare `# noqa`

    def suppresses(self, code: str) -> bool:
        if self.codes is None:
            return True
        return any(code.startswith(c) for c in self.codes)


def logical_line_ranges(text: str) -> dict[int, tuple[int, int]]:
    """Map each physical row to the (first, last) rows of its logical line."""
    ranges: dict[int, tuple[int, int]] = {}
    first: int | None = None
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT):
                if tok.type == tokenize.COMMENT and first is None:
                    ranges[tok.start[0]] = (tok.start[0], tok.start[0])
                continue
            if tok.type == tokenize.ENDMARKER:
                break
            if first is None:
                first = tok.start[0]
            if tok.type == tokenize.NEWLINE:
                last = tok.end[0]
                for row in range(first, last + 1):
                    ranges[row] = (first, last)
                first = None
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return ranges


class NoqaMap:
    """Answers "is this code suppressed on this row?" for one file."""

    def __init__(self, lines: list[str], text: str) -> None:
        self._lines = lines
        self._text = text
        self._ranges: dict[int, tuple[int, int]] | None = None

    def logical_range(self, row: int) -> tuple[int, int]:
        if self._ranges is None:
            self._ranges = logical_line_ranges(self._text)
        return self._ranges.get(row, (row, row))

    def directive(self, row: int) -> NoqaDirective | None:
        first, last = self.logical_range(row)
        joined = "".join(self._lines[first - 1 : last])
        match = NOQA_INLINE.search(joined)
        if match is None:
            return None
        codes = match.group("codes")
        if not codes:
            return NoqaDirective(None)
        return NoqaDirective(frozenset(c.upper() for c in _CODE_SPLIT.split(codes) if c))

    def suppressed(self, code: str, row: int) -> bool:
        directive = self.directive(row)
        return directive is not None and directive.suppresses(code)
