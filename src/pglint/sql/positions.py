"""Where an interpolated Python expression (a HOLE) sits in SQL text.

The answer decides between "this should have been a bound parameter" (value) and
"this names a table or column" (identifier). When the grammar around a hole does not
say which, the answer is "fragment" and rules stay silent: precision first.
"""

from __future__ import annotations

from dataclasses import dataclass

from pglint.sql.lexer import HOLE, scan, words


@dataclass(frozen=True, slots=True)
class HoleContext:
    index: int
    offset: int
    position: str
    # The plain quote (`'` or `"`) of the string or name the hole sits in; "" elsewhere,
    # and in `E'...'`, `U&'...'` or `$$...$$`, where doubling a quote is not all it takes.
    quoted_by: str = ""
    # A value position where a column fits as well: an argument of a function call
    # (`lower({x})`, `PRAGMA table_info({x})`). What the interpolated expression is
    # called may say which (see pglint.rules._sqltext).
    argument: bool = False


# A hole inside a placeholder (`%({name})s`) names the parameter: like a table name, a
# crafted one rewrites the query around it.
_INSIDE = {
    "string": "literal", "dollar": "literal", "qident": "identifier", "comment": "comment",
    "param": "identifier",
}  # fmt: skip

# Words that name what follows them.
_NAMES_NEXT = words("""
    JOIN INTO UPDATE TABLE TRUNCATE ONLY USING INDEX VIEW SEQUENCE SCHEMA COLUMN VACUUM
    ANALYZE RETURNING DISTINCT SELECT BY CONSTRAINT
    """)
# Words after which an operand is expected.
_VALUE_NEXT = words("LIKE ILIKE IN BETWEEN LIMIT OFFSET THEN ELSE IS ESCAPE")
# Words that open a boolean condition or an assignment list.
_CONDITION_NEXT = words("WHERE AND OR HAVING ON SET NOT WHEN")
# A hole followed by one of these words is the left operand of a comparison.
_COMPARISON_WORDS = words("LIKE ILIKE IN IS BETWEEN NOT SIMILAR ISNULL NOTNULL")
# Words that change which clause the tokens that follow belong to.
_CLAUSES = words("""
    SELECT FROM WHERE SET VALUES RETURNING HAVING LIMIT OFFSET ON USING INTO UPDATE
    INSERT DELETE JOIN UNION INTERSECT EXCEPT WINDOW FETCH FOR
    """)
# Words that precede `(` without being a function name.
_KEYWORDS = (
    _NAMES_NEXT
    | _VALUE_NEXT
    | _CONDITION_NEXT
    | _CLAUSES
    | words("""
        AS ALL ANY SOME EXISTS OVER FILTER WITHIN WITH CASE CONFLICT DO KEY REFERENCES
        CHECK PRIMARY UNIQUE LATERAL CAST TO ARRAY ROW PARTITION OF DEFAULT
        """)
)
_OPENERS = {"VALUES": "values", "IN": "in", "ANY": "in", "ALL": "in", "SOME": "in",
            "CONFLICT": "conflict", "USING": "columns", "CAST": "cast"}  # fmt: skip
_VALUE_LISTS = frozenset({"values", "in", "call", "expr", "cast"})
_NAME_LISTS = frozenset({"columns", "conflict", "distinct_on"})
# Statements in which `ON` introduces an object name rather than a join condition.
_DDL = frozenset({"CREATE", "GRANT", "REVOKE", "COMMENT", "SECURITY"})


class _Level:
    """State of one parenthesis level (the outermost level is the statement)."""

    __slots__ = ("between", "case_simple", "clause", "into", "opener")

    def __init__(self, opener: str | None, clause: str | None) -> None:
        self.opener = opener
        self.clause = clause
        self.between = False  # a BETWEEN waits for its AND
        self.into = False  # the next `(` is a column list (INSERT INTO t (...))
        self.case_simple = False  # CASE expr WHEN ... compares against values


class _Walker:
    def __init__(self, sql: str, sig: list[tuple[str, int, int, str]]) -> None:
        self.sql = sql
        self.sig = sig
        self.stack = [_Level(None, None)]
        self.statement: str | None = None
        self.saw_select = False
        self.between_ands: set[int] = set()

    def _at(self, i: int) -> tuple[str, int, int, str]:
        return self.sig[i] if 0 <= i < len(self.sig) else ("", -1, -1, "")

    def run(self, found: dict[int, str]) -> None:
        for i, (kind, start, _end, _up) in enumerate(self.sig):
            if kind == "hole":
                found[start] = self.classify(i, found)
            self.advance(i)

    # --- state -----------------------------------------------------------------
    def advance(self, i: int) -> None:
        kind, start, _end, up = self.sig[i]
        level = self.stack[-1]
        prev_kind, _, _, prev_up = self._at(i - 1)
        if prev_up == "CASE":
            level.case_simple = up != "WHEN"
        if kind == "word":
            self._word(i, up, prev_kind, prev_up, level)
        elif kind == "punct":
            char = self.sql[start]
            if char == "(":
                self._open(i, level)
            elif char == ")" and len(self.stack) > 1:
                self.stack.pop()
            elif char == ";":
                self.stack = [_Level(None, None)]
                self.statement = None
                self.saw_select = False

    def _word(self, i: int, up: str, prev_kind: str, prev_up: str, level: _Level) -> None:
        if self.statement is None:
            self.statement = up
        if up == "SELECT":
            self.saw_select = True
            if prev_kind == "punct" and prev_up == "(":
                level.opener = "subquery"
        if up == "BETWEEN":
            level.between = True
        elif up == "AND" and level.between:
            level.between = False
            self.between_ands.add(i)
        if up in ("INTO", "TABLE") or (up == "ON" and self._ddl_on()):
            level.into = True
        elif up in _KEYWORDS and up not in ("IF", "NOT", "EXISTS", "ONLY", "AS"):
            level.into = False
        if up == "BY":
            level.clause = "BY"
        elif up in _CLAUSES and not (up == "FROM" and level.opener in ("call", "cast")):
            level.clause = up

    def _ddl_on(self) -> bool:
        """Whether `ON` names an object (CREATE INDEX ... ON t, GRANT ... ON t)."""
        if self.statement == "CREATE":
            return not self.saw_select  # CREATE VIEW ... AS SELECT ... JOIN ... ON cond
        return self.statement in _DDL

    def _open(self, i: int, level: _Level) -> None:
        kind, _, _, up = self._at(i - 1)
        _, _, _, up2 = self._at(i - 2)
        clause = None
        if level.into:
            opener = "columns"
            level.into = False
        elif kind == "word" and up in _OPENERS:
            opener = _OPENERS[up]
        elif up == "," and level.clause == "VALUES" and level.opener in (None, "subquery"):
            opener = "values"  # the next row of VALUES (...), (...)
        elif kind == "word" and up == "ON" and up2 == "DISTINCT":
            opener = "distinct_on"
        elif kind == "word" and up in _VALUE_NEXT:
            opener = "expr"
        elif (kind == "word" and up not in _KEYWORDS) or kind in ("qident", "hole"):
            opener = "call"
        elif kind == "op" or (up in ("(", ",") and level.opener in _VALUE_LISTS):
            opener = "expr"
        else:
            opener, clause = "group", level.clause
        self.stack.append(_Level(opener, clause))

    # --- classification --------------------------------------------------------
    def classify(self, i: int, found: dict[int, str]) -> str:
        _, start, end, _ = self.sig[i]
        prev_kind, prev_start, prev_end, prev_up = self._at(i - 1)
        next_kind, next_start, _, next_up = self._at(i + 1)
        level = self.stack[-1]
        if prev_end == start and self._bind_marker(i - 1):
            # `:{name}`, `${n}`, `:v_{i}`: the name of a bind parameter. Text there is
            # SQL, so a crafted name (`x OR true`) adds to the query; it is checked as
            # an identifier is.
            return "identifier"
        if prev_end == start and (
            (prev_kind == "word" and prev_up not in _KEYWORDS) or prev_kind == "hole"
        ):
            # `logs_{x}` names a table; `{a}{b}` continues whatever `{a}` was.
            return "identifier" if prev_kind == "word" else found[prev_start]
        if next_start == end and next_kind == "word" and next_up not in _KEYWORDS:
            return "identifier"
        if prev_up == "." or (next_up == "." and next_start == end):
            return "identifier"
        if prev_kind == "op":
            return "value"
        if level.clause == "BY" and prev_kind != "cast":
            return "identifier"
        if prev_kind == "word":
            return self._after_word(i, prev_up, level)
        if prev_up in ("(", ",") and level.opener == "call":
            return "argument"  # `lower({x})`: a column or a value, as the name says
        if prev_up == "(":
            if level.opener in _VALUE_LISTS:
                return "value"
            if level.opener in _NAME_LISTS:
                return "identifier"
            return self._condition(i)
        if prev_up == ",":
            if level.opener in _VALUE_LISTS:
                return "value"
            if level.opener in _NAME_LISTS or level.clause in ("SELECT", "RETURNING", "FROM"):
                return "identifier"
            return self._condition(i) if level.clause == "SET" else "fragment"
        if prev_up == "[":
            return "value"
        return "fragment"

    def _bind_marker(self, i: int) -> bool:
        """A placeholder (`:name`, `$1`), or a `:` or `$` that starts one: not a slice
        bound (`a[1:{n}]`) nor a cast (`::`)."""
        kind, start, _end, _up = self._at(i)
        if kind == "param":
            return True
        if kind not in ("punct", "other") or self.sql[start] not in ":$":
            return False
        before_kind, _, before_end, before_up = self._at(i - 1)
        return before_end != start or before_kind == "op" or before_up in ("(", ",")

    def _after_word(self, i: int, word: str, level: _Level) -> str:
        before = self._at(i - 2)[3]
        if word == "FROM":
            inside_call = level.opener in ("call", "cast")
            return "value" if before == "DISTINCT" or inside_call else "identifier"
        if word == "AS":
            return "fragment" if level.opener == "cast" else "identifier"
        if word == "EXISTS":
            return "identifier" if before in ("IF", "NOT") else "fragment"
        if word == "ONLY" and before in ("ROWS", "ROW"):
            return "fragment"
        if word in _NAMES_NEXT:
            return "identifier"
        if word in _VALUE_NEXT or (word == "NOT" and before == "IS"):
            return "value"
        if word == "TO" and self.statement == "GRANT":
            return "identifier"  # the grantee role
        if (word == "TO" and before == "SIMILAR") or (
            word in ("FIRST", "NEXT") and before == "FETCH"
        ):
            return "value"
        if word == "AND" and (i - 1) in self.between_ands:
            return "value"
        if word == "ON" and self._ddl_on():
            return "identifier"
        if word == "WHEN":
            if self._followed_by_comparison(i):
                return "identifier"
            return "value" if level.case_simple else "fragment"
        if word in _CONDITION_NEXT:
            return self._condition(i)
        return "fragment"

    def _condition(self, i: int) -> str:
        """At the start of a condition, a hole compared with something is a column."""
        return "identifier" if self._followed_by_comparison(i) else "fragment"

    def _followed_by_comparison(self, i: int) -> bool:
        kind, _, _, up = self._at(i + 1)
        return kind in ("op", "cast") or (kind == "word" and up in _COMPARISON_WORDS)


def is_keyword(word: str) -> bool:
    """A word that is SQL syntax here, not a name (`FROM`, `ORDER`, `DESC` is not)."""
    return word.upper() in _KEYWORDS


def classify_holes(sql: str) -> list[HoleContext]:
    """Classify every HOLE in ``sql``: value, identifier, literal, comment or fragment."""
    if HOLE not in sql:
        return []
    found: dict[int, str] = {}
    quoted_by: dict[int, str] = {}
    sig: list[tuple[str, int, int, str]] = []
    for kind, start, end in scan(sql):
        if kind == "ws":
            continue
        inside = _INSIDE.get(kind)
        if inside is not None:
            quote = sql[start] if kind in ("string", "qident") and sql[start] in "'\"" else ""
            offset = sql.find(HOLE, start, end)
            while offset >= 0:
                found[offset] = inside
                quoted_by[offset] = quote
                offset = sql.find(HOLE, offset + 1, end)
            if kind == "comment":
                continue
        text = sql[start:end]
        sig.append((kind, start, end, text.upper() if kind == "word" else text))
    _Walker(sql, sig).run(found)
    return [
        HoleContext(
            index,
            offset,
            "value" if found[offset] == "argument" else found[offset],
            quoted_by.get(offset, ""),
            found[offset] == "argument",
        )
        for index, offset in enumerate(sorted(found))
    ]
