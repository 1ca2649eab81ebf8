"""What several rules need from a call's SQL text: the text with its interpolations marked,
the placeholders in it, and where each character came from in the Python source (for
fixes that edit the string literal).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass, replace
from functools import cached_property

from pglint.diagnostics import Edit
from pglint.facts.model import DbCall, Piece, SqlText
from pglint.source import SourceText, line_starts
from pglint.sql import HOLE, HoleContext, Placeholder, classify_holes, find_placeholders

# Words that, in the name of an interpolated expression, say it holds a table or column
# name (`table_name`, `col`, `self.field`), unless the name ends in one that says a value.
_IDENTIFIER_WORDS = frozenset(
    {"column", "columns", "col", "cols", "colname", "table", "tables", "tbl", "tablename",
     "field", "fields", "fieldname", "schema", "schemas", "identifier", "ident", "relation",
     "alias", "reference"}
)  # fmt: skip
_VALUE_WORDS = frozenset(
    {"id", "ids", "value", "values", "val", "data", "count", "num", "number", "size",
     "length", "len", "text", "json", "body", "content"}
)  # fmt: skip
# Stand-in for a safe interpolation whose text is unknown: a plain word changes neither
# placeholder counts nor the position of other interpolations.
_NEUTRAL = "_pglint_"


@dataclass
class Rendered:
    """One SQL text variant as the SQL lexer sees it."""

    sql: SqlText
    text: str
    holes: list[Piece]  # unsafe interpolations, in the order of HOLE characters
    spans: list[tuple[int, int, Piece]]  # (start, end, piece) for every piece

    @cached_property
    def hole_contexts(self) -> list[HoleContext]:
        contexts = classify_holes(self.text) if self.holes else []
        return [
            replace(c, position="identifier")
            if c.argument and names_identifier(self.holes[c.index].expr)
            else c
            for c in contexts
        ]

    @cached_property
    def placeholders(self) -> list[Placeholder]:
        return find_placeholders(self.text)

    @property
    def code_placeholders(self) -> list[Placeholder]:
        return [p for p in self.placeholders if not p.in_literal]

    def unsafe_at(self, positions: tuple[str, ...]) -> list[tuple[HoleContext, Piece]]:
        return [
            (context, self.holes[context.index])
            for context in self.hole_contexts
            if context.position in positions
        ]


def names_identifier(expr: ast.expr | None) -> bool:
    """`column`, `table_name`, `self.field`, `row["column_name"]`, `get_table_name()`:
    the expression is called a table or column name."""
    while isinstance(expr, ast.Call):
        expr = expr.func
    if isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Constant):
        name = str(expr.slice.value)
    elif isinstance(expr, ast.Attribute):
        name = expr.attr
    elif isinstance(expr, ast.Name):
        name = expr.id
    else:
        return False
    parts = [p for p in re.split(r"_|(?<=[a-z])(?=[A-Z])", name) if p]
    lowered = [p.lower() for p in parts]
    return (
        bool(lowered)
        and bool(_IDENTIFIER_WORDS & set(lowered))
        and (lowered[-1] not in _VALUE_WORDS)
    )


def render(sql: SqlText) -> Rendered:
    return _render(sql)


def _render(sql: SqlText) -> Rendered:
    parts: list[str] = []
    holes: list[Piece] = []
    spans: list[tuple[int, int, Piece]] = []
    offset = 0
    for piece in sql.pieces:
        if piece.text is not None:
            chunk = piece.text.replace(HOLE, "")
        elif not piece.safe:
            chunk = HOLE
            holes.append(piece)
        else:
            chunk = piece.hint if piece.hint is not None else _NEUTRAL
        spans.append((offset, offset + len(chunk), piece))
        parts.append(chunk)
        offset += len(chunk)
    return Rendered(sql, "".join(parts), holes, spans)


def renderings(call: DbCall) -> list[Rendered]:
    """The call's SQL variants as the lexer sees them; worked out once per call, since
    most SQL rules read them (and their placeholders and hole positions). Shared: callers
    must not change them."""
    known = call.__dict__.get("_renderings")
    if known is None:
        known = call.__dict__["_renderings"] = [_render(variant) for variant in call.sql]
    return known


def exact_rendering(call: DbCall) -> Rendered | None:
    """The SQL text when it is fully known (one variant, no unknown pieces)."""
    if len(call.sql) != 1 or not call.sql[0].exact:
        return None
    return renderings(call)[0]


# --- mapping SQL text back to the Python source -----------------------------------------


def source_offsets(rendered: Rendered, source: SourceText) -> list[int | None]:
    """For each character of ``rendered.text``, its offset in the Python source, or None
    where the character does not come verbatim from a plain string literal."""
    result: list[int | None] = [None] * len(rendered.text)
    cache: dict[int, list[int] | None] = {}
    for start, end, piece in rendered.spans:
        if piece.origin is None or piece.text is None:
            continue
        key = id(piece.origin)
        if key not in cache:
            cache[key] = literal_char_offsets(piece.origin, source)
        mapping = cache[key]
        if mapping is None:
            continue
        for i in range(end - start):
            j = piece.origin_offset + i
            if j < len(mapping):
                result[start + i] = mapping[j]
    return result


def literal_char_offsets(node: ast.Constant, source: SourceText) -> list[int] | None:
    """Source offsets of each character of a plain ``str`` literal (implicit
    concatenation and triple quotes allowed); None when escapes or prefixes make the
    mapping other than one-to-one."""
    base = source.offset(source.start(node))
    segment = source.text[base : source.offset(source.end(node))]
    offsets: list[int] = []
    starts = line_starts(segment)
    try:
        # newline="" makes readline break rows exactly where line_starts does.
        tokens = list(tokenize.generate_tokens(io.StringIO(segment, newline="").readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    for token in tokens:
        if token.type != tokenize.STRING:
            continue
        text = token.string
        quote_at = min(i for i in (text.find("'"), text.find('"')) if i >= 0)
        prefix = text[:quote_at].lower()
        if "b" in prefix or "f" in prefix:
            return None
        quote = (
            text[quote_at : quote_at + 3]
            if text[quote_at : quote_at + 3] in ('"""', "'''")
            else text[quote_at]
        )
        body_start = quote_at + len(quote)
        body = text[body_start : len(text) - len(quote)]
        if "\\" in body and "r" not in prefix:
            return None
        token_offset = starts[token.start[0] - 1] + token.start[1]
        offsets.extend(base + token_offset + body_start + i for i in range(len(body)))
    if len(offsets) != len(node.value):
        return None
    # Line endings inside triple-quoted strings are normalised in the value.
    for i, char in enumerate(node.value):
        if source.text[offsets[i]] != char:
            return None
    return offsets


# --- writing Python -----------------------------------------------------------------------


def python_string(text: str) -> str:
    """A Python literal for ``text`` that reads well in a suggestion. The text is the
    value, escapes decoded: a control character goes back as an escape (`'\\r'` written
    raw would end the line, a NUL would not parse)."""
    if "\n" in text:
        body = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
        return f'"""{_escaped(body)}"""'
    if '"' in text and "'" not in text:
        return "'" + _escaped(text.replace("\\", "\\\\")) + "'"
    return '"' + _escaped(text.replace("\\", "\\\\").replace('"', '\\"')) + '"'


# What a string literal cannot hold as written (or not as an escape would show it): line
# breaks other than the newline a triple-quoted string keeps, tabs, NUL, other controls.
_UNWRITABLE = re.compile("[\x00-\x09\x0b-\x1f\x7f\x85\u2028\u2029]")


def _escaped(body: str) -> str:
    if body.isprintable():
        return body
    return _UNWRITABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), body)


def source_of(node: ast.AST, source: SourceText) -> str:
    return source.segment(node)


def shorten(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def named(texts: list[str], limit: int = 20) -> str:
    """The first of ``texts`` as code, and how many more: messages stay one short line."""
    first = f"`{shorten(texts[0], limit)}`"
    return first if len(texts) == 1 else f"{first} and {len(texts) - 1} more"


# --- parameters ---------------------------------------------------------------------------


def params_supplied(call: DbCall) -> bool:
    params = call.params
    if params.shape == "varargs":
        return bool(params.elements)
    if params.shape == "dict" and params.keys is not None and not params.starred:
        return bool(params.keys) or params.node is not None
    return params.shape not in ("absent", "none")


def params_count(call: DbCall) -> int | None:
    """How many positional values the call passes, when the code shows it."""
    params = call.params
    if params.starred or params.elements is None:
        return None
    return len(params.elements)


def replace_span(
    rendered: Rendered, offsets: list[int | None], start: int, end: int, content: str,
    source: SourceText,
) -> Edit | None:  # fmt: skip
    """An edit replacing SQL characters [start, end) when they map onto one literal run."""
    if start >= end or end > len(offsets):
        return None
    mapped = offsets[start:end]
    if any(m is None for m in mapped):
        return None
    first = mapped[0]
    if any(m != first + i for i, m in enumerate(mapped)):  # type: ignore[operator]
        return None
    return Edit(source.location_at(first), source.location_at(first + (end - start)), content)  # type: ignore[operator]


def call_with_edits(call: DbCall, edits: tuple[Edit, ...], source: SourceText) -> str | None:
    """The call's source text with ``edits`` applied: the suggestion a fix makes."""
    start = source.offset(source.start(call.node))
    end = source.offset(source.end(call.node))
    text = source.text
    out: list[str] = []
    cursor = start
    for edit in sorted(edits, key=lambda e: (e.location, e.end_location)):
        a, b = source.offset(edit.location), source.offset(edit.end_location)
        if a < cursor or b > end:
            return None
        out += [text[cursor:a], edit.content]
        cursor = b
    out.append(text[cursor:end])
    line = source.line(call.node.lineno)
    indent = line[: len(line) - len(line.lstrip())]
    lines = "".join(out).split("\n")
    lines[1:] = [ln[len(indent) :] if ln.startswith(indent) else ln for ln in lines[1:]]
    return ("await " if call.site.awaited else "") + "\n".join(lines)


def has_comment(code: str) -> bool:
    """Whether a span of Python source (an expression) holds a `#` comment."""
    if "#" not in code:
        return False
    try:
        tokens = tokenize.generate_tokens(io.StringIO(f"({code}\n)").readline)
        return any(token.type == tokenize.COMMENT for token in tokens)
    except (tokenize.TokenError, SyntaxError):
        return True
