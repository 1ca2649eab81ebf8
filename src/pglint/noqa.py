"""`# noqa` handling for the command line, matching flake8 so both front ends agree.

The comment syntax is flake8's, to the character: `# noqa` (any case), optionally
followed by `:` and codes; `# noqa: PGL1` suppresses every code starting with `PGL1`
(compared case-sensitively, as flake8 does); `# noqa:` followed by something that is
not a code list is a bare `# noqa`; a line that is only `# flake8: noqa` silences the
whole file.

Where the comment goes is flake8's rule too, which ruff shares: on the reported row.
Rows joined by one token (a multi-line string) or by backslash continuations count as
one row, so the comment may sit at the end of a multi-line string; the rows of a
parenthesized multi-line call do not, so a comment on its closing `)` does not cover a
finding on an inner row. Under flake8 the plugin leaves `# noqa` to flake8 itself.
"""

from __future__ import annotations

import bisect
import io
import itertools
import re
import tokenize
from dataclasses import dataclass

NOQA_INLINE = re.compile(
    r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?",
    re.IGNORECASE,
)
NOQA_FILE = re.compile(r"\s*# flake8[:=]\s*noqa", re.IGNORECASE)
_CODE_SPLIT = re.compile(r"[,\s]+")
_ANY_NOQA = re.compile("# noqa", re.IGNORECASE)


@dataclass(frozen=True)
class NoqaDirective:
    codes: frozenset[str] | None  # None: a bare `# noqa`

    def suppresses(self, code: str) -> bool:
        if self.codes is None:
            return True
        return any(code.startswith(c) for c in self.codes)


def noqa_line_ranges(text: str) -> dict[int, tuple[int, int]]:
    """Map each physical row to the (first, last) rows a `# noqa` comment may cover it from.

    A range ends at every NL or NEWLINE token, as flake8 draws it: only a token that spans
    rows (a multi-line string) or a backslash continuation makes a range longer than one.
    """
    ranges: dict[int, tuple[int, int]] = {}
    first: int | None = None
    last = 0
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text, newline="").readline):
            if tok.type in (tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            first = tok.start[0] if first is None else min(first, tok.start[0])
            last = max(last, tok.end[0])
            if tok.type in (tokenize.NL, tokenize.NEWLINE):
                for row in range(first, last + 1):
                    ranges[row] = (first, last)
                first, last = None, 0
    except (tokenize.TokenError, SyntaxError):
        pass
    return ranges


def noqa_row(ranges: dict[int, tuple[int, int]], row: int) -> int:
    """Where a `# noqa` comment for a finding on ``row`` goes: the last row of its range."""
    return ranges.get(row, (row, row))[1]


def file_is_exempt(lines: list[str]) -> bool:
    return any(NOQA_FILE.match(line) for line in lines)


class NoqaMap:
    """Answers "is this code suppressed on this row?" for one file."""

    def __init__(self, lines: list[str], text: str) -> None:
        self._lines = lines
        self._text = text
        self._ranges: dict[int, tuple[int, int]] | None = None
        self._exempt: bool | None = None
        # Most files hold no noqa comment at all: they need no tokenizing to find its reach.
        self._commented = _ANY_NOQA.search(text) is not None

    def logical_range(self, row: int) -> tuple[int, int]:
        if self._ranges is None:
            self._ranges = noqa_line_ranges(self._text)
        return self._ranges.get(row, (row, row))

    def directives(self, row: int) -> list[NoqaDirective]:
        """Every `# noqa` comment that covers ``row``."""
        first, last = self.logical_range(row)
        joined = "".join(self._lines[first - 1 : last])
        found = []
        for match in NOQA_INLINE.finditer(joined):
            codes = match.group("codes")
            if codes:
                found.append(NoqaDirective(frozenset(c for c in _CODE_SPLIT.split(codes) if c)))
            else:
                found.append(NoqaDirective(None))
        return found

    def suppressed(self, code: str, row: int) -> bool:
        if self._exempt is None:
            self._exempt = file_is_exempt(self._lines)
        if self._exempt:
            return True
        if not self._commented:
            return False
        return any(d.suppresses(code) for d in self.directives(row))


# pglint's own conditions are not findings in the code: `--add-noqa` leaves them alone.
_NOT_ADDED = ("PGL000", "PGL001", "PGL002", "PGL003")


def add_noqa(text: str, findings: list[tuple[str, int]]) -> tuple[str, int]:
    """Add `# noqa: CODE` for each (code, row) finding at its noqa row.

    The comment goes where flake8 and pglint look for it (``noqa_row``). A row that
    already has `# noqa: CODES` gets the new codes added to that list; a row with another
    comment gets `  # noqa: ...` after it. Returns the new text and the number of rows
    changed.
    """
    ranges = noqa_line_ranges(text)
    wanted: dict[int, list[str]] = {}
    for code, row in findings:
        if code in _NOT_ADDED:
            continue
        codes = wanted.setdefault(noqa_row(ranges, row), [])
        if code not in codes:
            codes.append(code)
    if not wanted:
        return text, 0
    lines = _rows(text)
    changed = 0
    for row, codes in sorted(wanted.items()):
        if not 1 <= row <= len(lines):
            continue
        line = lines[row - 1]
        body = line.rstrip("\r\n")
        ending = line[len(body) :]
        new = _with_codes(body, sorted(codes))
        if new != body:
            lines[row - 1] = new + ending
            changed += 1
    return "".join(lines), changed


def _rows(text: str) -> list[str]:
    from pglint.source import line_starts

    starts = line_starts(text)
    return [text[a:b] for a, b in itertools.pairwise(starts)]


def _with_codes(body: str, codes: list[str]) -> str:
    match = NOQA_INLINE.search(body)
    if match is not None and match.group("codes"):
        present = [c for c in _CODE_SPLIT.split(match.group("codes")) if c]
        directive = NoqaDirective(frozenset(present))
        new = [c for c in codes if not directive.suppresses(c)]
        if not new:
            return body
        listed = match.group("codes").rstrip(", \t")
        end = match.start("codes") + len(listed)
        return body[:end] + ", " + ", ".join(new) + body[end:]
    if match is not None:  # a bare `# noqa` already covers every code
        return body
    return body.rstrip() + "  # noqa: " + ", ".join(codes)


# --- unused suppressions (PGL003) -----------------------------------------------------------

UNUSED_NOQA = "PGL003"


@dataclass(frozen=True)
class NoqaComment:
    """A `# noqa: CODES` comment as written: where it is and what it lists."""

    row: int
    start: int  # columns (0-based) of the directive within its row, `# noqa` to the codes' end
    end: int
    codes_start: int
    codes: tuple[str, ...]
    comment_end: int  # where the comment itself ends


def noqa_comments(text: str) -> list[NoqaComment]:
    """The `# noqa: CODES` directives in real comments (not in strings), in order."""
    found = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text, newline="").readline):
            if tok.type != tokenize.COMMENT or "noqa" not in tok.string.lower():
                continue
            for match in NOQA_INLINE.finditer(tok.string):
                codes = match.group("codes")
                if not codes:
                    continue
                listed = codes.rstrip(", \t")
                row, column = tok.start
                end = column + match.start("codes") + len(listed)
                found.append(
                    NoqaComment(
                        row,
                        column + match.start(),
                        end,
                        column + match.start("codes"),
                        tuple(_CODE_SPLIT.split(listed)),
                        tok.end[1],
                    )
                )
    except (tokenize.TokenError, SyntaxError):
        pass
    return found


def unused_codes(
    text: str, lines: list[str], diagnostics: list, known: tuple[str, ...], enabled
) -> list[tuple[NoqaComment, list[str], list[str]]]:
    """Each `# noqa` comment that lists pglint codes silencing nothing: (comment, unused
    codes, the codes it keeps). A code is ours when it starts with `PGL`; it is unused when
    it is a code or prefix of an enabled rule (``enabled(code)``) and no finding on a row
    the comment covers starts with it, or when no rule has it at all. Codes of other tools
    are left to them, and so is a bare `# noqa`."""
    if file_is_exempt(lines):
        return []
    comments = [c for c in noqa_comments(text) if any(k.startswith("PGL") for k in c.codes)]
    if not comments:
        return []
    ranges = noqa_line_ranges(text)
    # Each finding's codes go to the comment rows its range covers: one look per finding.
    rows = sorted({c.row for c in comments})
    covering: dict[int, list[str]] = {}
    for d in diagnostics:
        first, last = ranges.get(d.location.row, (d.location.row, d.location.row))
        for row in rows[bisect.bisect_left(rows, first) : bisect.bisect_right(rows, last)]:
            covering.setdefault(row, []).append(d.code)
    out = []
    for comment in comments:
        ours = [c for c in comment.codes if c.startswith("PGL")]
        covered = covering.get(comment.row, [])
        unused = []
        for code in ours:
            matching = [k for k in known if k.startswith(code)]
            if any(c.startswith(code) for c in covered):
                continue
            if not matching or any(enabled(k) for k in matching):
                unused.append(code)
        if unused:
            kept = [c for c in comment.codes if c not in unused]
            out.append((comment, unused, kept))
    return out


def removal(line: str, comment: NoqaComment, kept: list[str]) -> tuple[int, int, str]:
    """The columns to replace, and with what, to drop a comment's unused codes: the codes
    that stay are written back; with none, the directive goes, and with it the comment
    when nothing else is in it (the text of a longer comment stays a comment)."""
    if kept:
        return comment.codes_start, comment.end, ", ".join(kept)
    start = comment.start
    if line[comment.end : comment.comment_end].strip():
        return start, comment.end, "#"
    while start > 0 and line[start - 1] in " \t":
        start -= 1
    return start, comment.comment_end, ""
