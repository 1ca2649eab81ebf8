"""What the statements in a SQL text do: write, read, control a transaction, or need to
run outside one; which tables they write; where they compare with `= NULL`.

Read from the lexer's tokens (strings, comments and dollar bodies are never looked
into), one statement per `;` at the top level. Text pglint could not see (an
interpolated piece) is a word of its own, so an unknown verb or table stays unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pglint.sql.lexer import SKIP_KINDS, Token, tokenize, words

WRITE_VERBS = words(
    "INSERT UPDATE DELETE MERGE TRUNCATE CREATE ALTER DROP GRANT REVOKE COMMENT REFRESH"
)
# Statements that begin, end or undo a transaction, by what they do.
_CONTROL = {
    "COMMIT": "commit", "END": "commit", "ROLLBACK": "rollback", "ABORT": "rollback",
    "BEGIN": "begin", "START": "begin",
}  # fmt: skip
_DDL_VERBS = words("CREATE ALTER DROP")
_DDL_MODIFIERS = words("OR REPLACE UNIQUE TEMP TEMPORARY UNLOGGED IF NOT EXISTS GLOBAL LOCAL")
_MAIN_VERBS = words("SELECT INSERT UPDATE DELETE MERGE VALUES TABLE")
_DATA_VERBS = words("INSERT UPDATE DELETE MERGE")
_AGGREGATES = words(
    "count sum avg min max array_agg string_agg json_agg jsonb_agg json_object_agg "
    "jsonb_object_agg bool_and bool_or every bit_and bit_or stddev variance percentile_cont "
    "percentile_disc mode xmlagg"
)
_BOUNDS = words("WHERE LIMIT FETCH GROUP HAVING TABLESAMPLE OFFSET")
_CATALOG_PREFIXES = ("pg_", "information_schema")


@dataclass(frozen=True)
class Statement:
    """One statement of a SQL text."""

    verb: str  # the first keyword, upper case ("" when the text starts unknown)
    head: str  # the verb and, for DDL, what it acts on: "CREATE TABLE", "DROP INDEX"
    main: str  # what a WITH statement finally does (its main verb); else ``verb``
    start: int  # offset of the first token in the text
    writes: bool  # changes data or schema (INSERT, UPDATE, DDL, COPY ... FROM...)
    tables: tuple[str, ...]  # tables it writes, lower case; "?" where unknown
    returning: bool  # has RETURNING
    control: str | None  # "commit", "rollback" or "begin" for transaction control
    needs_autocommit: str | None  # what cannot run in a transaction block, as written
    single_row_insert: bool  # INSERT ... VALUES (one row), no SELECT
    unbounded_select: bool  # SELECT of a whole table: no WHERE, LIMIT, aggregate...


@lru_cache(maxsize=256)
def statements(text: str) -> tuple[Statement, ...]:
    """The statements of ``text`` in order."""
    tokens = [t for t in tokenize(text) if t.kind not in SKIP_KINDS]
    found = []
    current: list[Token] = []
    depth = 0
    for token in tokens:
        if token.kind == "punct":
            if token.text == "(":
                depth += 1
            elif token.text == ")":
                depth = max(depth - 1, 0)
            elif token.text == ";" and depth == 0:
                if current:
                    found.append(_statement(current))
                current = []
                continue
        current.append(token)
    if current:
        found.append(_statement(current))
    return tuple(found)


def _upper(token: Token) -> str:
    return token.text.upper() if token.kind == "word" else ""


def _statement(tokens: list[Token]) -> Statement:
    level = _levels(tokens)
    top = [t for t, d in zip(tokens, level, strict=True) if d == 0]
    top_words = [_upper(t) for t in top]
    first = next((i for i, t in enumerate(top) if not (t.kind == "punct" and t.text == "(")), 0)
    verb = top_words[first] if top else ""
    main = verb
    if verb == "WITH":
        main = next((w for w in top_words[first + 1 :] if w in _MAIN_VERBS), "")
    tables = _written_tables(tokens)
    writes = verb in WRITE_VERBS or bool(tables) or (verb == "COPY" and "FROM" in top_words)
    if verb == "COPY" and writes:
        tables = (_name_at(top, first + 1),)
    upper_all = {_upper(t) for t in tokens}
    control = _CONTROL.get(verb)
    if verb == "START" and (len(top_words) < 2 or top_words[1] != "TRANSACTION"):
        control = None
    if verb == "END" and len(top_words) > 1 and top_words[1] not in ("", "TRANSACTION", "WORK"):
        control = None
    head = verb
    if verb in _DDL_VERBS:
        what = next((w for w in top_words[first + 1 :] if w and w not in _DDL_MODIFIERS), "")
        head = f"{verb} {what}".strip()
    return Statement(
        verb=verb,
        head=head,
        main=main,
        start=tokens[0].start,
        writes=writes,
        tables=tables,
        returning="RETURNING" in upper_all,
        control=control,
        needs_autocommit=_needs_autocommit(top_words[first:], upper_all),
        single_row_insert=verb == "INSERT" and _one_values_row(top, top_words, tokens, level),
        unbounded_select=verb == "SELECT" and _unbounded(top, top_words, tokens),
    )


def _levels(tokens: list[Token]) -> list[int]:
    """The parenthesis depth of each token (a parenthesis itself is at the outer depth)."""
    depth = 0
    found = []
    for token in tokens:
        if token.kind == "punct" and token.text == ")":
            depth = max(depth - 1, 0)
        found.append(depth)
        if token.kind == "punct" and token.text == "(":
            depth += 1
    return found


def _name_at(tokens: list[Token], i: int) -> str:
    """The (possibly qualified) name starting at ``tokens[i]``, lower case; "?" when the
    text there is not a plain name."""
    parts = []
    while i < len(tokens) and tokens[i].kind in ("word", "qident"):
        token = tokens[i]
        parts.append(token.text.lower() if token.kind == "word" else token.text)
        if i + 1 < len(tokens) and tokens[i + 1].text == ".":
            i += 2
            continue
        break
    if not parts or "_pglint_" in parts[-1]:
        return "?"
    return ".".join(parts)


def _written_tables(tokens: list[Token]) -> tuple[str, ...]:
    """Tables written by the data-changing statements in the text, CTEs included."""
    found: list[str] = []
    for i, token in enumerate(tokens):
        word = _upper(token)
        if word not in _DATA_VERBS:
            continue
        before = _upper(tokens[i - 1]) if i else ""
        if word == "UPDATE" and before in ("FOR", "KEY", "DO"):
            continue  # FOR UPDATE, FOR NO KEY UPDATE, ON CONFLICT DO UPDATE
        if word == "DELETE" and before == "ON":
            continue  # ON DELETE CASCADE
        if word == "INSERT" and before == "THEN":
            continue  # MERGE ... THEN INSERT writes the MERGE target
        j = i + 1
        while j < len(tokens) and _upper(tokens[j]) in ("INTO", "FROM", "ONLY"):
            j += 1
        found.append(_name_at(tokens, j))
    return tuple(dict.fromkeys(found))


def _needs_autocommit(head: list[str], upper_all: set[str]) -> str | None:
    """The statement as PostgreSQL names it in "cannot run inside a transaction block"."""
    if not head:
        return None
    verb = head[0]
    second = head[1] if len(head) > 1 else ""
    if verb == "VACUUM":
        return "VACUUM"
    if verb in ("CREATE", "DROP"):
        rest = head[1:4]
        if "INDEX" in rest and "CONCURRENTLY" in head[1:5]:
            return f"{verb} INDEX CONCURRENTLY"
        if second in ("DATABASE", "TABLESPACE"):
            return f"{verb} {second}"
    if verb == "REINDEX":
        if "CONCURRENTLY" in upper_all:
            return "REINDEX CONCURRENTLY"
        kind = next((w for w in head[1:] if w in ("SYSTEM", "DATABASE", "SCHEMA")), None)
        if kind is not None:
            return f"REINDEX {kind}"
    if verb == "ALTER" and second == "SYSTEM" and head[2:3] in (["SET"], ["RESET"]):
        return "ALTER SYSTEM"  # PostgreSQL's; Oracle's ALTER SYSTEM FLUSH is another thing
    if verb == "ALTER" and second == "DATABASE" and "TABLESPACE" in head and "SET" in head:
        return "ALTER DATABASE SET TABLESPACE"
    if verb == "CLUSTER" and head[1:] in ([], ["VERBOSE"]):
        return "CLUSTER"  # every table: not one table's CLUSTER ... USING
    return None


def _one_values_row(
    top: list[Token], top_words: list[str], tokens: list[Token], level: list[int]
) -> bool:
    if "SELECT" in {_upper(t) for t in tokens} or "VALUES" not in top_words:
        return False
    at = top_words.index("VALUES")
    rows = 0
    for token in top[at + 1 :]:
        if token.kind != "punct" or token.text not in "(),":
            break
        rows += token.text == "("
    return rows == 1


def _unbounded(top: list[Token], top_words: list[str], tokens: list[Token]) -> bool:
    if "FROM" not in top_words or _BOUNDS.intersection(top_words):
        return False
    if "DISTINCT" in top_words and "ON" in top_words:
        return False
    at = top_words.index("FROM")
    if at + 1 >= len(top) or top[at + 1].kind not in ("word", "qident"):
        return False  # FROM (subquery), FROM an interpolated name...
    table = _name_at(top, at + 1)
    if table == "?" or table.startswith(_CATALOG_PREFIXES):
        return False
    following = [t for t in top[at + 2 :] if t.text != "."]
    if following and following[0].kind == "punct" and following[0].text == "(":
        return False  # a set-returning function, not a table
    for i, token in enumerate(tokens[:-1]):
        if token.kind == "word" and token.text.lower() in _AGGREGATES and tokens[i + 1].text == "(":
            return False
    return "_pglint_" not in {t.text for t in tokens} and "\ue000" not in {t.text for t in top}


@dataclass(frozen=True)
class NullComparison:
    """`x = NULL` / `x <> NULL` / `NULL = x` in a condition: never true."""

    op_start: int
    op_end: int
    null_start: int
    null_end: int
    replacement: str | None  # `IS` / `IS NOT` for the operator; None: `NULL` on the left
    in_write: bool  # part of a statement that changes data


_COMPARISON_STATEMENTS = words("SELECT WITH UPDATE DELETE INSERT MERGE VALUES TABLE")
_CONDITION_WORDS = words("WHERE ON HAVING WHEN AND OR NOT FILTER SELECT FROM RETURNING USING")


@lru_cache(maxsize=128)
def null_comparisons(text: str) -> tuple[NullComparison, ...]:
    tokens = [t for t in tokenize(text) if t.kind not in SKIP_KINDS]
    found: list[NullComparison] = []
    # One frame per parenthesis and per CASE ... END: whether the frame is an UPDATE's
    # SET list, where `col = NULL` assigns rather than compares.
    setting = [False]
    verb = ""
    writes = False
    for i, token in enumerate(tokens):
        word = _upper(token)
        if i == 0 or tokens[i - 1].text == ";":
            verb = word
            statement = next((s for s in statements(text) if s.start == token.start), None)
            writes = statement.writes if statement is not None else False
            setting = [False]
        if (token.kind == "punct" and token.text == "(") or word == "CASE":
            setting.append(False)
        elif (token.kind == "punct" and token.text == ")") or word == "END":
            if len(setting) > 1:
                setting.pop()
        elif word == "SET":
            setting[-1] = True
        elif word in _CONDITION_WORDS:
            setting[-1] = False
        if verb not in _COMPARISON_STATEMENTS or token.kind != "op":
            continue
        if token.text not in ("=", "<>", "!="):
            continue
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        before = tokens[i - 1] if i else None
        if after is not None and _upper(after) == "NULL" and not setting[-1]:
            replacement = "IS" if token.text == "=" else "IS NOT"
            found.append(
                NullComparison(token.start, token.end, after.start, after.end, replacement,
                               writes)
            )  # fmt: skip
        elif before is not None and _upper(before) == "NULL" and not setting[-1]:
            prior = _upper(tokens[i - 2]) if i >= 2 else ""
            if prior not in ("IS", "NOT", "DEFAULT"):
                found.append(
                    NullComparison(token.start, token.end, before.start, before.end, None,
                                   writes)
                )  # fmt: skip
    return tuple(found)
