"""Does a string look like a SQL statement? Used only when the driver is unknown."""

from __future__ import annotations

from collections.abc import Collection

from pglint.sql.lexer import SKIP_KINDS, scan, words

_OBJECTS = words("""
    TABLE INDEX VIEW SEQUENCE SCHEMA DATABASE FUNCTION PROCEDURE TRIGGER TYPE EXTENSION
    ROLE USER DOMAIN POLICY AGGREGATE COLLATION CAST PUBLICATION SUBSCRIPTION RULE SERVER
    TABLESPACE EVENT OPERATOR LANGUAGE STATISTICS CONVERSION MATERIALIZED FOREIGN ROUTINE
    GROUP OWNED
    """)
# A statement keyword is SQL when the next word is one of these.
_NEXT_WORDS = {
    "INSERT": {"INTO"}, "DELETE": {"FROM"}, "MERGE": {"INTO"}, "REFRESH": {"MATERIALIZED"},
    "START": {"TRANSACTION"}, "IMPORT": {"FOREIGN"}, "SECURITY": {"LABEL"},
    "CREATE": _OBJECTS | {"OR", "TEMP", "TEMPORARY", "UNLOGGED", "UNIQUE", "TRUSTED"},
    "ALTER": _OBJECTS | {"SYSTEM", "DEFAULT", "COLUMN"}, "DROP": _OBJECTS,
    "REINDEX": {"INDEX", "TABLE", "SCHEMA", "DATABASE", "SYSTEM"},
    "DISCARD": {"ALL", "PLANS", "SEQUENCES", "TEMP", "TEMPORARY"},
    "EXPLAIN": {"ANALYZE", "VERBOSE"},
    "BEGIN": {"TRANSACTION", "WORK", "ISOLATION"}, "COMMIT": {"WORK", "TRANSACTION", "PREPARED"},
    "ROLLBACK": {"WORK", "TRANSACTION", "PREPARED"}, "VACUUM": {"FULL", "FREEZE", "VERBOSE"},
    "ANALYZE": {"VERBOSE"}, "CLUSTER": {"VERBOSE"}, "RELEASE": {"SAVEPOINT"},
    "DEALLOCATE": {"PREPARE", "ALL"}, "SHOW": {"ALL"}, "RESET": {"ALL", "ROLE"},
    "SET": {"LOCAL", "SESSION", "ROLE", "TRANSACTION", "CONSTRAINTS"},
    "TRUNCATE": {"TABLE", "ONLY"}, "LOCK": {"TABLE"}, "PREPARE": {"TRANSACTION"},
    "DO": {"LANGUAGE"}, "SELECT": {"DISTINCT"},
}  # fmt: skip
# Statements that may be the whole text.
_ALONE = frozenset({"BEGIN", "COMMIT", "ROLLBACK", "VACUUM", "ANALYZE", "CLUSTER", "CHECKPOINT"})
# Statements of the form `KEYWORD name`.
_NAMED = words(
    "SHOW RESET LISTEN UNLISTEN NOTIFY SAVEPOINT RELEASE DEALLOCATE EXECUTE TABLE TRUNCATE "
    "VACUUM ANALYZE CLUSTER"
)
# Statements of the form `KEYWORD name [(...)] WORD`.
_NAME_THEN = {
    "UPDATE": {"SET"}, "WITH": {"AS"}, "LOCK": {"IN"}, "CALL": {"("}, "EXECUTE": {"("},
    "DECLARE": {"CURSOR", "BINARY", "SCROLL", "NO", "INSENSITIVE", "ASENSITIVE"},
    "PREPARE": {"AS"}, "SET": {"=", "TO"}, "TRUNCATE": {",", "CASCADE", "RESTART", "CONTINUE"},
    "COPY": {"FROM", "TO"}, "NOTIFY": {","}, "SELECT": {"FROM", "AS", ","},
}  # fmt: skip
_PRIVILEGES = words(
    "SELECT INSERT UPDATE DELETE TRUNCATE REFERENCES TRIGGER USAGE EXECUTE CONNECT CREATE "
    "TEMPORARY TEMP ALL"
)
# Options inside `VACUUM (...)`, `EXPLAIN (...)` and the like.
_OPTIONS = words(
    "VERBOSE ANALYZE FULL FREEZE COSTS BUFFERS FORMAT SETTINGS TIMING SUMMARY WAL SKIP_LOCKED "
    "INDEX_CLEANUP PARALLEL TRUNCATE CONCURRENTLY TABLESPACE GENERIC_PLAN PROCESS_TOAST"
)
_STOPWORDS = words("THE AN YOUR YOU PLEASE OUR MY THIS THESE THOSE WE IT ITS")
_STATEMENTS = (
    frozenset(_NEXT_WORDS)
    | _ALONE
    | _NAMED
    | frozenset(_NAME_THEN)
    | frozenset({"GRANT", "REVOKE", "VALUES", "COMMENT"})
)
_LIMIT = 32


def looks_like_sql(text: str) -> bool:
    """Guess whether ``text`` is a SQL statement rather than prose, a path or a label.

    The first significant word (after whitespace, comments and ``(``) must be a
    statement keyword; a leading HOLE never is. Then the statement must show a second
    piece of SQL shape: the word that must follow it (``INSERT INTO``, ``DELETE FROM``,
    ``CREATE TABLE``, ``UPDATE t SET``, ``SELECT * / 1 / 'x' / %s``, ``SELECT a, b
    FROM``, ``GRANT SELECT ... ON``, ...). Single-word statements (``BEGIN``,
    ``VACUUM``) and ``KEYWORD name`` forms (``SHOW search_path``) count only when
    they cannot be ordinary words: a Title-case keyword alone ("Commit") is a label,
    and a plain lowercase name after a lowercase keyword ("show more") is prose, while
    upper-case keywords, names with ``_``, ``.`` or digits, quoted names and holes
    pass. A Title-case keyword followed by lowercase evidence ("Delete from cart")
    is read as prose. English articles and pronouns in the first words, or a final
    ``.`` or ``!``, rule the text out.
    """
    sig: list[tuple[str, str]] = []
    for kind, start, end in scan(text):
        leading_paren = kind == "punct" and not sig and text[start] == "("
        if kind not in SKIP_KINDS and not leading_paren:
            sig.append((kind, text[start:end]))
            if len(sig) > _LIMIT:
                break
    if not sig or sig[0][0] != "word":
        return False
    keyword = sig[0][1]
    up = keyword.upper()
    if up not in _STATEMENTS:
        return False
    rest = sig[1:]
    if len(sig) <= _LIMIT and rest and rest[-1][1] in (".", "!"):
        return False
    if any(k == "word" and t.upper() in _STOPWORDS for k, t in rest[:12]):
        return False
    return _statement_shape(up, keyword, rest)


def _statement_shape(up: str, keyword: str, rest: list[tuple[str, str]]) -> bool:
    title = len(keyword) > 1 and keyword[0].isupper() and keyword[1:].islower()

    def word_in(i: int, options: Collection[str]) -> bool:
        kind, tok = rest[i] if i < len(rest) else ("", "")
        if kind == "word":
            return tok.upper() in options and not (title and tok.islower())
        return kind in ("op", "punct") and tok in options

    def ends(i: int) -> bool:
        return i >= len(rest) or rest[i][1] in (";", ")")

    if ends(0):
        return up in _ALONE and not title
    if word_in(0, _NEXT_WORDS.get(up, ())):
        return True
    first_kind, first = rest[0]
    if first == "(" and up in ("EXPLAIN", "VACUUM", "ANALYZE", "CLUSTER", "REINDEX"):
        return word_in(1, _OPTIONS)
    if up == "EXPLAIN":
        return looks_like_sql(" ".join(tok for _, tok in rest))
    if up == "SELECT" and first == "*":
        return True
    if up in ("GRANT", "REVOKE") and word_in(0, _PRIVILEGES):
        return any(word_in(i, {"ON"}) for i in range(1, len(rest)))
    if up == "VALUES":
        return first == "(" and len(rest) > 1 and rest[1][0] in ("number", "string", "param")
    if up == "DO":
        return first_kind in ("dollar", "string")
    if up == "COMMENT":
        return word_in(0, {"ON"}) and word_in(1, _OBJECTS | {"COLUMN", "CONSTRAINT"})
    if up == "COPY" and first == "(":
        return word_in(1, {"SELECT", "WITH", "VALUES"})
    literal = first == "*" or first_kind in ("number", "string", "param")
    after = 1 if up == "SELECT" and literal else _skip_name(rest, 0)
    if after < 0:
        return False
    shaped = any(c.isdigit() or c in "_." for _, tok in rest[:after] for c in tok)
    technical = literal or shaped or first_kind in ("qident", "hole")
    plain_ok = keyword.isupper() or (technical and first_kind != "hole" and not title)
    follows = _NAME_THEN.get(up)
    if ends(after) or (up == "NOTIFY" and word_in(after, {","})):
        return (up in _NAMED or up == "SELECT") and plain_ok
    if follows is None:
        return False
    if up in ("SELECT", "WITH", "PREPARE", "COPY") and word_in(after, {"("}):
        after = _skip_group(rest, after)
    if up == "SELECT" and _implicit_alias(rest, after) and word_in(after + 1, {",", "FROM"}):
        after += 1  # `SELECT date_trunc('month', created_at) m, ...`: an alias without AS
    if up == "UPDATE" and not word_in(after, follows):
        after += 1 + word_in(after, {"AS"})  # an alias: UPDATE t [AS] x SET
    if up == "SELECT" and word_in(after, {","}):
        return any(word_in(i, {"FROM"}) for i in range(after, len(rest))) or plain_ok
    if not word_in(after, follows):
        return False
    then = after + 1
    if up == "COPY":
        return (
            rest[then][0] == "string" or word_in(then, {"STDIN", "STDOUT", "PROGRAM"})
            if then < len(rest)
            else False
        )
    if up == "PREPARE":
        return word_in(then, {"SELECT", "INSERT", "UPDATE", "DELETE", "VALUES", "WITH"})
    if up == "WITH":
        return word_in(then, {"(", "MATERIALIZED", "NOT"})
    return True


def _implicit_alias(rest: list[tuple[str, str]], i: int) -> bool:
    """A plain word at ``i`` that is no keyword a select list continues with."""
    return i < len(rest) and rest[i][0] == "word" and rest[i][1].upper() not in _NOT_ALIASES


# Words after a select item that are SQL, not an alias.
_NOT_ALIASES = words("FROM AS INTO WHERE AND OR NOT IS IN LIKE ILIKE BETWEEN OVER FILTER")


def _skip_name(rest: list[tuple[str, str]], i: int) -> int:
    """Index after a possibly qualified name starting at ``i``, or -1 if there is none."""
    if i < len(rest) and rest[i][1].upper() in ("ONLY", "RECURSIVE"):
        i += 1
    while i < len(rest) and rest[i][0] in ("word", "qident", "hole"):
        i += 1
        if i >= len(rest) or rest[i][1] != ".":
            return i
        i += 1
    return -1


def _skip_group(rest: list[tuple[str, str]], i: int) -> int:
    """Index after the parenthesized group opening at ``i`` (or the end of ``rest``)."""
    depth = 0
    for j in range(i, len(rest)):
        tok = rest[j][1]
        depth += (tok == "(") - (tok == ")")
        if depth == 0:
            return j + 1
    return len(rest)
