"""A linear-time PostgreSQL lexer for SQL text found in Python strings.

The lexer never raises: an unterminated string, identifier, dollar body or comment
runs to the end of the text. Every pattern below is written so that a failed attempt
stops at the first character that cannot continue it, which keeps the whole scan
linear even on adversarial input (``"'" * 10000``, ``"%(" * 10000`` ...).

``HOLE`` marks where a Python expression was interpolated into the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from pglint.budget import check

HOLE = "\ue000"


def words(text: str) -> frozenset[str]:
    """A keyword set written as one whitespace-separated string."""
    return frozenset(text.split())


@dataclass(frozen=True, slots=True)
class Token:
    """One token; ``text == sql[start:end]``.

    Kinds: ws, comment, string, dollar, qident, word, number, param, percent_escape,
    cast, op, punct, hole, other.
    """

    kind: str
    start: int
    end: int
    text: str


# Listed explicitly rather than munched like the server does: pglint must split
# `=%s` into `=` and a placeholder, which a greedy operator rule would swallow.
_OPERATORS = (
    "->>", "#>>", "!~~*", "!~~", "~~*", "!~*", "<->", "<#>", "<=>", "-|-", "@@@", "<<=",
    ">>=", "&<|", "|&>", "<<|", "|>>", "||/",
    "->", "#>", "#-", "@>", "<@", "||", "<>", "!=", "<=", ">=", "!~", "~~", "~*", "&&",
    "@@", "@?", "<<", ">>", "&<", "&>", "=>", ":=", "|/", "^@", "!!",
)  # fmt: skip

_PARTS = (
    ("ws", r"\s+"),
    # Words are the commonest token, so they are tried early, minus string prefixes.
    ("word", r"(?![eEbBxXnN]'|[uU]&['\"])[^\W\d][\w$]*"),
    # E'' strings are the only ones where a backslash can hide a quote.
    ("string", r"[eE]'[^'\\]*(?:(?:\\[\s\S]?|'')[^'\\]*)*'?"),
    ("string", r"(?:[bBxXnN]|[uU]&)?'[^']*(?:''[^']*)*'?"),
    ("qident", r'(?:[uU]&)?"[^"]*(?:""[^"]*)*"?'),
    ("comment", r"--[^\r\n]*"),
    ("block", r"/\*"),
    ("dollar", r"\$(?:[^\W\d]\w*)?\$"),
    ("percent_escape", r"%%"),
    # A pyformat name cannot contain `%`, so a failed attempt stops at the next `%`.
    ("param", r"\$\d+|%\([^)%]+\)[sbt]|%[sbt]"),
    ("cast", r"::"),
    ("named", r":[^\W\d]\w*"),
    ("number", r"0[xXoObB][0-9a-fA-F_]+|(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"),
    ("qmark", r"\?(?:\|\|?|&)?"),
    ("op", "|".join(re.escape(op) for op in _OPERATORS) + r"|[-+*/<>=~!@#%^&|]"),
    ("lbracket", r"\["),
    ("rbracket", r"\]"),
    ("punct", r"[(),;.:]"),
    ("hole", HOLE),
    ("other", r"[\s\S]"),
)


def _master() -> re.Pattern[str]:
    seen: dict[str, int] = {}
    alternatives = []
    for kind, pattern in _PARTS:
        count = seen.get(kind, 0)
        seen[kind] = count + 1
        name = kind if count == 0 else f"{kind}_{count}"
        alternatives.append(f"(?P<{name}>{pattern})")
    return re.compile("|".join(alternatives))


_MASTER = _master()
# Repeated kinds carry a numeric suffix in their group name.
_KIND = {name: name.rstrip("_0123456789") or name for name in _MASTER.groupindex}
_SPECIAL = frozenset({"block", "dollar", "named", "qmark", "lbracket", "rbracket"})
_COMMENT_DELIM = re.compile(r"/\*|\*/")

# Words after which a `?` starts an operand, so it can only be a qmark placeholder.
_OPERAND_KEYWORDS = words("""
    ALL AND ANY ARRAY AS BETWEEN BY CASE DEFAULT DISTINCT ELSE ESCAPE EXISTS FETCH FIRST
    FROM HAVING ILIKE IN INTERVAL IS LIKE LIMIT NEXT NOT OFFSET ON OR RETURN RETURNING
    SELECT SET SIMILAR SOME THEN TO USING VALUES WHEN WHERE
    """)

SKIP_KINDS = frozenset({"ws", "comment"})


def _block_comment_end(sql: str, pos: int) -> int:
    """End of the block comment opened at ``pos``; PostgreSQL comments nest."""
    depth = 1
    search = _COMMENT_DELIM.search
    pos += 2
    while True:
        m = search(sql, pos)
        if m is None:
            return len(sql)
        pos = m.end()
        depth += 1 if m.group() == "/*" else -1
        if depth == 0:
            return pos


def _operand_expected(sql: str, kind: str | None, start: int, end: int) -> bool:
    """Whether the previous significant token leaves the parser waiting for an operand."""
    if kind is None or kind == "op":
        return True
    if kind == "punct":
        return sql[start] in "(,;"
    if kind == "lbracket":
        return True
    if kind == "word":
        return sql[start:end].upper() in _OPERAND_KEYWORDS
    return False


def scan(sql: str) -> tuple[tuple[str, int, int], ...]:
    """``(kind, start, end)`` for every token; the spans tile the text exactly.

    Remembered for the last texts seen: the placeholders, the interpolation positions
    and several rules all read the tokens of the same query text.
    """
    return _scan_cached(sql) if len(sql) <= _CACHED_LENGTH else tuple(_within_budget(_scan(sql)))


def _within_budget(tokens: Iterator[tuple[str, int, int]]) -> Iterator[tuple[str, int, int]]:
    """A long text's tokens, the file's budget (pglint.budget) checked every few thousand:
    a generated query of megabytes is lexed for seconds."""
    for i, token in enumerate(tokens):
        if not i & 4095:
            check()
        yield token


# Texts longer than this (generated, or adversarial) are lexed again rather than kept.
_CACHED_LENGTH = 10_000


@lru_cache(maxsize=32)
def _scan_cached(sql: str) -> tuple[tuple[str, int, int], ...]:
    return tuple(_scan(sql))


def _scan(sql: str) -> Iterator[tuple[str, int, int]]:
    n = len(sql)
    pos = 0
    match = _MASTER.match
    kinds = _KIND
    special = _SPECIAL
    last_kind: str | None = None
    last_start = last_end = 0
    # One entry per open `[`: True for a subscript, where `:x` is a slice bound.
    brackets: list[bool] = []
    while pos < n:
        m = match(sql, pos)
        assert m is not None  # the last alternative matches any character
        kind = kinds[m.lastgroup]  # type: ignore[index]
        end = m.end()
        if kind in special:
            if kind == "block":
                kind, end = "comment", _block_comment_end(sql, pos)
            elif kind == "dollar":
                close = sql.find(sql[pos:end], end)
                kind, end = "dollar", (n if close < 0 else close + end - pos)
            elif kind == "named":
                before = sql[pos - 1] if pos else " "
                glued = before.isalnum() or before in "_$:\\"
                if glued or (brackets and brackets[-1]):
                    kind, end = "punct", pos + 1
                else:
                    kind = "param"
            elif kind == "qmark":
                text = sql[pos:end]
                operand = _operand_expected(sql, last_kind, last_start, last_end)
                if text == "?" or (operand and text == "?||"):
                    kind, end = ("param", pos + 1) if operand else ("op", end)
                else:
                    kind = "op"
            elif kind == "lbracket":
                # ARRAY[...] (and brackets nested in one) build arrays; any other `[`
                # subscripts, and there `arr[lo:hi]` must not read `:hi` as a param.
                constructor = (
                    last_kind == "word" and sql[last_start:last_end].upper() == "ARRAY"
                ) or (
                    bool(brackets)
                    and not brackets[-1]
                    and (last_kind == "lbracket" or sql[last_start:last_end] == ",")
                )
                brackets.append(not constructor)
                yield "punct", pos, end
                last_kind, last_start, last_end = "lbracket", pos, end
                pos = end
                continue
            else:
                if brackets:
                    brackets.pop()
                kind = "punct"
        yield kind, pos, end
        if kind != "ws" and kind != "comment":
            last_kind, last_start, last_end = kind, pos, end
        pos = end


# A frozen dataclass's __init__ goes through object.__setattr__ once per field, which
# made building Tokens cost twice as much as lexing. Filling the slots through their
# descriptors stores exactly the same values without that detour.
_new_token = Token.__new__
_set_kind, _set_start = Token.kind.__set__, Token.start.__set__  # type: ignore[attr-defined]
_set_end, _set_text = Token.end.__set__, Token.text.__set__  # type: ignore[attr-defined]


def tokenize(sql: str) -> list[Token]:
    """Split ``sql`` into tokens whose texts concatenate back to ``sql``."""
    return list(_tokens(sql) if len(sql) <= _CACHED_LENGTH else _build_tokens(sql))


@lru_cache(maxsize=32)
def _tokens(sql: str) -> tuple[Token, ...]:
    return _build_tokens(sql)


def _build_tokens(sql: str) -> tuple[Token, ...]:
    # Tokens are frozen, so the lists handed out can share them.
    tokens = []
    append = tokens.append
    for kind, start, end in scan(sql):
        token = _new_token(Token)
        _set_kind(token, kind)
        _set_start(token, start)
        _set_end(token, end)
        _set_text(token, sql[start:end])
        append(token)
    return tuple(tokens)
