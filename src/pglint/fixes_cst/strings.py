"""SQL text rewritten where it is written: only the string literals whose text changes
are rewritten, each in place, so implicitly concatenated pieces keep their rows, their
quotes and their comments.

The plan names the SQL argument's span in the file, the pieces of its rendered text
(which runs are written text and which are `{...}` fields), and the changes in rendered
offsets (`'{email}'` -> `%s`). libcst reads the literal's parts; a part none of whose
fields survive is no longer an f-string (its `f` goes, and its doubled braces are undone
unless the text becomes a `sql.SQL` template, which wants them doubled).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import libcst as cst

from pglint.diagnostics import Edit, Location
from pglint.fixes_cst._region import NotAsPlanned
from pglint.source import line_starts

# One-character escapes a string literal may hold; others (\x41, \N{...}, octal) make
# the text and its value differ in ways this does not map.
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t", "r": "\r", "a": "\a",
            "b": "\b", "f": "\f", "v": "\v", "0": "\0"}  # fmt: skip


# A unit of the literal's value: (part, start, end, is a field) — one character, or a
# whole `{...}` field; offsets in the argument's text.
_Unit = tuple[int, int, int, bool]


@dataclass
class _Part:
    """One string literal of the (implicitly concatenated) argument."""

    start: int  # offsets in the argument's text
    end: int
    prefix: str
    quote: str
    formatted: bool
    fields: list[tuple[int, int]]  # the `{...}` fields of an f-string


def rewrite_sql_text(
    text: str,
    span: tuple[int, int, int, int],
    pieces: tuple[tuple[int, int, bool], ...],
    changes: tuple[tuple[int, int, str], ...],
    compose: bool,
) -> tuple[Edit, ...]:
    """Carry out ``changes`` (rendered start, end, new text) in the literal at ``span``
    (row, column, end row, end column; columns 0-based). ``pieces`` are the rendered
    text's runs: (start, end, is a field). With ``compose`` the result is a `sql.SQL`
    template: no field may remain, and braces stay doubled."""
    starts = line_starts(text)
    begin = starts[span[0] - 1] + span[1]
    finish = starts[span[2] - 1] + span[3]
    code = text[begin:finish]
    expression = cst.parse_expression("(" + code + ")")
    parts: list[_Part] = []
    units: list[_Unit] = []
    _walk(expression, -1, code, parts, units)
    mapping = _rendered_units(pieces, units)
    by_part: dict[int, list[tuple[int, int, str]]] = {}
    for start, end, new in changes:
        if not 0 <= start < end <= len(mapping):
            raise NotAsPlanned("a change outside the text")
        first, last = mapping[start], mapping[end - 1]
        if first[0] != last[0]:
            raise NotAsPlanned("a change spans two string literals")
        by_part.setdefault(first[0], []).append((first[1], last[2], new))
    edits = []
    for index, part in enumerate(parts):
        replacements = sorted(by_part.get(index, []))
        if not replacements and not (compose and not part.formatted):
            continue
        new_text = _rewritten(code, part, replacements, compose)
        if new_text == code[part.start : part.end]:
            continue
        at, to = begin + part.start, begin + part.end
        edits.append(Edit(_location(starts, at), _location(starts, to), new_text))
    return tuple(edits)


def _walk(node: cst.CSTNode, at: int, code: str, parts: list[_Part], units: list[_Unit]) -> int:
    """Record the parts of a string expression written at ``at`` (offset in ``code``,
    which the parsed text has one character more of in front); returns where it ends."""
    for paren in getattr(node, "lpar", ()):
        at += len(_code(paren))
    if isinstance(node, cst.ConcatenatedString):
        at = _walk(node.left, at, code, parts, units)
        at += len(_code(node.whitespace_between))
        at = _walk(node.right, at, code, parts, units)
    elif isinstance(node, cst.SimpleString):
        at = _simple(node, at, code, parts, units)
    elif isinstance(node, cst.FormattedString):
        at = _formatted(node, at, code, parts, units)
    else:
        raise NotAsPlanned("not a string literal")
    for paren in getattr(node, "rpar", ()):
        at += len(_code(paren))
    return at


def _simple(node: cst.SimpleString, at: int, code: str, parts: list[_Part], units) -> int:
    prefix, quote = node.prefix, node.quote
    index = len(parts)
    body_at = at + len(prefix) + len(quote)
    body = node.value[len(prefix) + len(quote) : len(node.value) - len(quote)]
    if "b" in prefix.lower():
        raise NotAsPlanned("bytes")
    units += [(index, a, b, False) for a, b in _characters(body, body_at, "r" in prefix.lower())]
    end = at + len(node.value)
    parts.append(_Part(at, end, prefix, quote, False, []))
    return end


def _formatted(node: cst.FormattedString, at: int, code: str, parts: list[_Part], units) -> int:
    index = len(parts)
    prefix = node.start[: len(node.start) - len(node.quote)]  # e.g. "f", "rf"
    start = at
    at += len(node.start)
    fields = []
    raw = "r" in prefix.lower()
    for piece in node.parts:
        written = _code(piece)
        if isinstance(piece, cst.FormattedStringText):
            units += [(index, a, b, False) for a, b in _characters(written, at, raw, True)]
        else:
            units.append((index, at, at + len(written), True))
            fields.append((at, at + len(written)))
        at += len(written)
    at += len(node.end)
    parts.append(_Part(start, at, prefix, node.quote, True, fields))
    return at


def _characters(body: str, at: int, raw: bool, braces: bool = False):
    """(start, end) in the written text of each character of the literal's value."""
    i = 0
    while i < len(body):
        char = body[i]
        if braces and char in "{}" and body[i : i + 2] == char * 2:
            yield at + i, at + i + 2
            i += 2
        elif char == "\\" and not raw:
            follower = body[i + 1 : i + 2]
            if follower in ("\n",):  # a line continuation: no character at all
                i += 2
                continue
            if follower not in _ESCAPES:
                raise NotAsPlanned("an escape this does not map")
            yield at + i, at + i + 2
            i += 2
        else:
            yield at + i, at + i + 1
            i += 1


def _rendered_units(pieces: tuple[tuple[int, int, bool], ...], units: list[_Unit]) -> list[_Unit]:
    """For each character of the rendered text, the written place it comes from: a
    character of a literal, or the whole `{...}` field an interpolation was written as."""
    mapping: list[_Unit] = []
    cursor = 0
    for start, end, is_field in pieces:
        count = 1 if is_field else end - start
        for _ in range(count):
            if cursor >= len(units) or units[cursor][3] != is_field:
                raise NotAsPlanned("the rendered text does not line up with the literal")
            cursor += 1
        taken = units[cursor - count : cursor]
        mapping += taken * (end - start) if is_field else taken
    if cursor != len(units):
        raise NotAsPlanned("the literal holds more than the rendered text")
    return mapping


def _rewritten(
    code: str, part: _Part, replacements: list[tuple[int, int, str]], compose: bool
) -> str:
    """The part's new text: the replacements made, its `f` kept only while a field is
    left, braces as its new kind of literal wants them."""
    body_start = part.start + len(part.prefix) + len(part.quote)
    body_end = part.end - len(part.quote)
    out: list[tuple[str, bool]] = []  # (text, written as before)
    cursor = body_start
    for start, end, new in replacements:
        if start < cursor:
            raise NotAsPlanned("changes overlap")
        out += [(code[cursor:start], True), (new, False)]
        cursor = end
    out.append((code[cursor:body_end], True))
    left = [f for f in part.fields if not any(s <= f[0] and f[1] <= e for s, e, _ in replacements)]
    prefix = part.prefix
    if part.formatted and not left:
        prefix = prefix.replace("f", "").replace("F", "")
        if not compose:  # a plain string now: `{{` was one brace
            out = [(_single(t) if kept else t, kept) for t, kept in out]
    elif compose and left:
        raise NotAsPlanned("a field would stay in a sql.SQL template")
    elif compose and not part.formatted:
        out = [(t.replace("{", "{{").replace("}", "}}") if kept else t, kept) for t, kept in out]
    return prefix + part.quote + "".join(t for t, _ in out) + part.quote


def _single(text: str) -> str:
    return text.replace("{{", "{").replace("}}", "}")


def _code(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def _location(starts: list[int], offset: int) -> Location:
    row = bisect.bisect_right(starts, offset) - 1
    return Location(row + 1, offset - starts[row] + 1)
