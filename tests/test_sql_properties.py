"""Property tests: the lexer and its analyses hold their contracts on any text."""

from hypothesis import given, settings
from hypothesis import strategies as st

from pglint.sql import (
    HOLE,
    classify_holes,
    find_placeholders,
    looks_like_sql,
    stray_percents,
    tokenize,
)

KINDS = {"ws", "comment", "string", "dollar", "qident", "word", "number", "param",
         "percent_escape", "cast", "op", "punct", "hole", "other"}  # fmt: skip

# Characters that start or end tokens, mixed with arbitrary ones.
TRICKY = [*"'\"$%():?|&;,.[]-/*\\eEuUxXbBnN_sbt1 \n\t#@<>=~!{}", HOLE, "é", "€"]
sql_text = st.text(alphabet=st.sampled_from(TRICKY) | st.characters(), max_size=120)
FAST = settings(max_examples=300, deadline=None)


@FAST
@given(sql_text)
def test_tokens_tile_the_input(sql):
    tokens = tokenize(sql)
    assert "".join(t.text for t in tokens) == sql
    position = 0
    for token in tokens:
        assert token.start == position < token.end
        assert sql[token.start : token.end] == token.text
        assert token.kind in KINDS
        position = token.end
    assert position == len(sql)


@FAST
@given(sql_text)
def test_analyses_never_raise_and_stay_in_bounds(sql):
    placeholders = find_placeholders(sql)
    starts = [p.start for p in placeholders]
    assert starts == sorted(starts)
    assert all(0 <= p.start < p.end <= len(sql) for p in placeholders)
    holes = classify_holes(sql)
    assert [h.index for h in holes] == list(range(sql.count(HOLE)))
    assert all(sql[h.offset] == HOLE for h in holes)
    assert {h.position for h in holes} <= {"value", "identifier", "literal", "comment",
                                           "fragment"}  # fmt: skip
    assert all(sql[i] == "%" for i in stray_percents(sql, "sbt"))
    assert looks_like_sql(sql) in (True, False)


@FAST
@given(sql_text, st.sampled_from(["s", "sbt", "", "b"]))
def test_doubled_percents_are_never_stray(sql, conversions):
    assert stray_percents(sql.replace("%", "%%"), conversions) == []


# --- literals built the way SQL quotes them -------------------------------------

PLACEHOLDERS = ["%s", "%b", "%t", "%(name)s", "$1", "$23", ":name", ":_x"]
content = st.text(alphabet=st.sampled_from(TRICKY) | st.characters(), max_size=40)


def single_quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def escape_quoted(text: str) -> str:
    return "E'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def dollar_quoted(text: str) -> str:
    return "$q$" + text.replace("$", "") + "$q$"


def double_quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


@FAST
@given(content, st.sampled_from(PLACEHOLDERS), content)
def test_placeholder_inside_a_literal_is_flagged(before, placeholder, after):
    literal = single_quoted(f"{before} {placeholder} {after}")
    sql = f"SELECT * FROM t WHERE a = {literal} AND b = {placeholder}"
    literal_start = sql.index("'")
    literal_end = literal_start + len(literal)
    target = literal_start + 1 + len(before.replace("'", "''")) + 1
    found = find_placeholders(sql)
    assert all(p.in_literal for p in found if p.start < literal_end)
    assert any(p.start <= target < p.end for p in found)
    code = [p for p in found if p.start >= literal_end]
    assert [sql[p.start : p.end] for p in code] == [placeholder]
    assert not code[0].in_literal


quoting = st.sampled_from([single_quoted, escape_quoted, dollar_quoted, double_quoted])
CODE_PLACEHOLDERS = ["%s", "%(k)s", "$1", ":name"]
fragment = st.sampled_from(
    ["SELECT", "*", "FROM t", "WHERE", "a =", "AND", "(", ")", ",", "::text", "LIKE", "||",
     "IN", "ORDER BY x", "1", "100%%", "data ->", "-- note\n", "/* c */"]
)  # fmt: skip
piece = st.one_of(
    fragment.map(lambda f: ("code", f)),
    st.sampled_from(CODE_PLACEHOLDERS).map(lambda p: ("param", p)),
    st.tuples(quoting, content).map(lambda q: ("quoted", q[0](q[1]))),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(piece, max_size=25))
def test_placeholders_never_leak_out_of_quotes(pieces):
    sql = ""
    quoted_spans = []
    expected_code = []
    for role, text in pieces:
        start = len(sql) + 1
        sql += " " + text
        if role == "quoted" or text.startswith(("--", "/*")):
            quoted_spans.append((start, start + len(text)))
        elif role == "param":
            expected_code.append(start)
    sql += " "

    def quoted(offset: int) -> bool:
        return any(s <= offset < e for s, e in quoted_spans)

    found = find_placeholders(sql)
    for p in found:
        assert p.in_literal == quoted(p.start), (sql, p)
    assert [p.start for p in found if not p.in_literal and p.style != "qmark"] == expected_code


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(fragment, st.tuples(quoting, content)), max_size=15))
def test_holes_inside_quotes_are_never_code(pieces):
    parts = []
    for item in pieces:
        if isinstance(item, tuple):
            quote, text = item
            parts.append(quote(text.replace(HOLE, "") + HOLE))
        else:
            parts.append(item.replace(HOLE, ""))
    sql = " ".join(parts)
    expected = ["identifier" if p.startswith('"') else "literal" for p in parts if HOLE in p]
    assert [h.position for h in classify_holes(sql)] == expected
