import time

import pytest

from pglint.sql import HOLE, Token, looks_like_sql, tokenize


def lexed(sql: str) -> list[tuple[str, str]]:
    return [(t.kind, t.text) for t in tokenize(sql) if t.kind != "ws"]


def test_token_is_frozen_value():
    token = tokenize("SELECT")[0]
    assert token == Token("word", 0, 6, "SELECT")
    with pytest.raises(AttributeError):
        token.kind = "op"  # type: ignore[misc]


def test_positions_and_whitespace():
    assert [(t.kind, t.start, t.end) for t in tokenize("a  b\n")] == [
        ("word", 0, 1),
        ("ws", 1, 3),
        ("word", 3, 4),
        ("ws", 4, 5),
    ]
    assert tokenize("") == []


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("'it''s'", [("string", "'it''s'")]),
        ("E'it\\'s'", [("string", "E'it\\'s'")]),
        ("e'a\\\\' x", [("string", "e'a\\\\'"), ("word", "x")]),
        ("E'ends in backslash\\", [("string", "E'ends in backslash\\")]),
        ("B'101' X'1F' N'abc' U&'d\\0061t'", [("string", "B'101'"), ("string", "X'1F'"),
                                             ("string", "N'abc'"), ("string", "U&'d\\0061t'")]),
        ("'--not a comment' x", [("string", "'--not a comment'"), ("word", "x")]),
        ("'unterminated", [("string", "'unterminated")]),
        ("'a' 'b'", [("string", "'a'"), ("string", "'b'")]),
        ("name'x'", [("word", "name"), ("string", "'x'")]),
    ],
)  # fmt: skip
def test_strings(sql, expected):
    assert lexed(sql) == expected


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("$$ body $$", [("dollar", "$$ body $$")]),
        ("$fn$ body with 'quotes' $fn$", [("dollar", "$fn$ body with 'quotes' $fn$")]),
        ("$a$ $b$ inner $b$ $a$ x", [("dollar", "$a$ $b$ inner $b$ $a$"), ("word", "x")]),
        ("$a$ never closed $ab$", [("dollar", "$a$ never closed $ab$")]),
        ("$1 $12", [("param", "$1"), ("param", "$12")]),
        ("$1$", [("param", "$1"), ("other", "$")]),
        ("a$1 a$b$", [("word", "a$1"), ("word", "a$b$")]),
        ("$_tag$x$_tag$", [("dollar", "$_tag$x$_tag$")]),
        ("$ alone", [("other", "$"), ("word", "alone")]),
    ],
)
def test_dollar_quotes_and_numeric_params(sql, expected):
    assert lexed(sql) == expected


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("-- note\nx", [("comment", "-- note"), ("word", "x")]),
        ("x--tail", [("word", "x"), ("comment", "--tail")]),
        ("/* a */ x", [("comment", "/* a */"), ("word", "x")]),
        ("/* /* */ */ x", [("comment", "/* /* */ */"), ("word", "x")]),
        ("/* /* */ still open", [("comment", "/* /* */ still open")]),
        ("/*/ x", [("comment", "/*/ x")]),
        ("/**/x", [("comment", "/**/"), ("word", "x")]),
    ],
)
def test_comments(sql, expected):
    assert lexed(sql) == expected


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ('"Weird ""name"""', [("qident", '"Weird ""name"""')]),
        ('U&"d\\0061t"', [("qident", 'U&"d\\0061t"')]),
        ('"open', [("qident", '"open')]),
        ("café_1 _x Ünïcode", [("word", "café_1"), ("word", "_x"), ("word", "Ünïcode")]),
    ],
)
def test_identifiers(sql, expected):
    assert lexed(sql) == expected


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("1 1.5 .5 1e10 2.5E-3 0x1F 1_000", ["1", "1.5", ".5", "1e10", "2.5E-3", "0x1F", "1_000"]),
    ],
)
def test_numbers(sql, expected):
    assert lexed(sql) == [("number", n) for n in expected]


@pytest.mark.parametrize(
    "op",
    ["->", "->>", "#>", "#>>", "@>", "<@", "||", "=", "<>", "!=", "<=", ">=", "<", ">", "+",
     "-", "*", "/", "~", "!~", "~~", "~*", "!~*", "&&", "@@", "?|", "?&", "#-", "@?"],
)  # fmt: skip
def test_operators(op):
    assert lexed(f"a {op} b") == [("word", "a"), ("op", op), ("word", "b")]


def test_operator_glued_to_placeholder_splits():
    assert lexed("a=%s") == [("word", "a"), ("op", "="), ("param", "%s")]
    assert lexed("a<>$1") == [("word", "a"), ("op", "<>"), ("param", "$1")]
    assert lexed("a=-1") == [("word", "a"), ("op", "="), ("op", "-"), ("number", "1")]


def test_punctuation_and_casts():
    assert lexed("f(a, b); t.c [1]") == [
        ("word", "f"), ("punct", "("), ("word", "a"), ("punct", ","), ("word", "b"),
        ("punct", ")"), ("punct", ";"), ("word", "t"), ("punct", "."), ("word", "c"),
        ("punct", "["), ("number", "1"), ("punct", "]"),
    ]  # fmt: skip
    assert lexed("a::text") == [("word", "a"), ("cast", "::"), ("word", "text")]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("%s %b %t", [("param", "%s"), ("param", "%b"), ("param", "%t")]),
        ("%(name)s %(n)b", [("param", "%(name)s"), ("param", "%(n)b")]),
        ("100%%", [("number", "100"), ("percent_escape", "%%")]),
        ("%%s", [("percent_escape", "%%"), ("word", "s")]),
        ("%%%s", [("percent_escape", "%%"), ("param", "%s")]),
        ("a % b", [("word", "a"), ("op", "%"), ("word", "b")]),
        ("%d", [("op", "%"), ("word", "d")]),
        ("%(x)d", [("op", "%"), ("punct", "("), ("word", "x"), ("punct", ")"), ("word", "d")]),
    ],
)
def test_percent_placeholders(sql, expected):
    assert lexed(sql) == expected


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (":name", [("param", ":name")]),
        ("a = :id::int", [("word", "a"), ("op", "="), ("param", ":id"), ("cast", "::"),
                          ("word", "int")]),
        ("a::text", [("word", "a"), ("cast", "::"), ("word", "text")]),
        ("x:::y", [("word", "x"), ("cast", "::"), ("punct", ":"), ("word", "y")]),
        ("a:b", [("word", "a"), ("punct", ":"), ("word", "b")]),
        (":1", [("punct", ":"), ("number", "1")]),
        ("\\:esc", [("other", "\\"), ("punct", ":"), ("word", "esc")]),
        ("arr[1:2]", [("word", "arr"), ("punct", "["), ("number", "1"), ("punct", ":"),
                      ("number", "2"), ("punct", "]")]),
        ("arr[:lo]", [("word", "arr"), ("punct", "["), ("punct", ":"), ("word", "lo"),
                      ("punct", "]")]),
        ("arr[lo:hi]", [("word", "arr"), ("punct", "["), ("word", "lo"), ("punct", ":"),
                        ("word", "hi"), ("punct", "]")]),
        ("ARRAY[:a, :b]", [("word", "ARRAY"), ("punct", "["), ("param", ":a"), ("punct", ","),
                           ("param", ":b"), ("punct", "]")]),
        ("arr[1] = :v", [("word", "arr"), ("punct", "["), ("number", "1"), ("punct", "]"),
                         ("op", "="), ("param", ":v")]),
    ],
)  # fmt: skip
def test_named_placeholders(sql, expected):
    assert lexed(sql) == expected


@pytest.mark.parametrize(
    ("sql", "kinds"),
    [
        ("?", ["param"]),
        ("x = ?", ["word", "op", "param"]),
        ("data ? 'key'", ["word", "op", "string"]),
        ("(?, ?)", ["punct", "param", "punct", "param", "punct"]),
        ("VALUES (?) LIMIT ? OFFSET ?", ["word", "punct", "param", "punct", "word", "param",
                                         "word", "param"]),
        ("x IN (?) AND y LIKE ?", ["word", "word", "punct", "param", "punct", "word", "word",
                                   "word", "param"]),
        ("f(x) ? 'k'", ["word", "punct", "word", "punct", "op", "string"]),
        ("a[1] ? 'k'", ["word", "punct", "number", "punct", "op", "string"]),
        ("'s' ? 'k'", ["string", "op", "string"]),
        ("d ?| array['a']", ["word", "op", "word", "punct", "string", "punct"]),
        ("d ?& %s", ["word", "op", "param"]),
        ("x = /* c */ ?", ["word", "op", "comment", "param"]),
        ("x = ?||'%'", ["word", "op", "param", "op", "string"]),
        ("a ?|| b", ["word", "op", "word"]),
        ("? ?", ["param", "op"]),
    ],
)  # fmt: skip
def test_question_mark_is_placeholder_only_in_operand_position(sql, kinds):
    assert [k for k, _ in lexed(sql)] == kinds


def test_holes():
    assert lexed(f"id = {HOLE}") == [("word", "id"), ("op", "="), ("hole", HOLE)]
    tokens = tokenize(f"logs_{HOLE}_old")
    assert [(t.kind, t.text) for t in tokens] == [
        ("word", "logs_"),
        ("hole", HOLE),
        ("word", "_old"),
    ]
    assert tokens[0].end == tokens[1].start and tokens[1].end == tokens[2].start
    for sql, kind in [
        (f"'a{HOLE}'", "string"),
        (f'"{HOLE}"', "qident"),
        (f"$$ {HOLE} $$", "dollar"),
        (f"-- {HOLE}", "comment"),
        (f"/* {HOLE} */", "comment"),
    ]:
        assert [t.kind for t in tokenize(sql)] == [kind]


def test_other_characters():
    assert lexed("{ } ` \\") == [("other", "{"), ("other", "}"), ("other", "`"), ("other", "\\")]


@pytest.mark.parametrize(
    "unit",
    ["'", "$a$", "/*", "%(", ":", "$", "?", "[", "(", "E'", '"', "%(a", "e'\\", "[:a", "*/",
     "$$", "%", "::", HOLE, "a" + HOLE, "(SELECT ", "'a", "--", "/*/", "U&'", "1e", "EXPLAIN "],
)  # fmt: skip
def test_adversarial_input_is_linear(unit):
    from pglint.sql import classify_holes, find_placeholders, stray_percents

    text = unit * 10_000
    started = time.perf_counter()
    tokens = tokenize(text)
    find_placeholders(text)
    stray_percents(text)
    classify_holes(text)
    looks_like_sql(text)
    # Linear work takes ~0.2 s; quadratic work on 10,000 repeats takes minutes. The
    # margin is for a loaded machine.
    assert time.perf_counter() - started < 5.0
    assert "".join(t.text for t in tokens) == text


# --- looks_like_sql ------------------------------------------------------------

SQL = [
    "SELECT * FROM users",
    f"SELECT DISTINCT {HOLE} FROM users",
    "select distinct country from users",
    # An alias without AS, after a call or a name, before `,` or FROM.
    "SELECT date_trunc('month', created_at) m, sum(total) FROM orders GROUP BY 1",
    "SELECT count(*) total FROM orders",
    "select name n, age a from people",
    "select id, name from users where id = %s",
    "SELECT 1",
    "SELECT count(*) FROM t",
    f"SELECT {HOLE} FROM t",
    "  -- leading comment\n  SELECT * FROM t",
    "(SELECT 1)",
    "/* hint */ select a from b",
    "INSERT INTO t (a) VALUES (%s)",
    f"INSERT INTO {HOLE} VALUES (%s)",
    "UPDATE users SET name = $1",
    "update t as x set a = 1",
    "DELETE FROM t WHERE id = ?",
    "WITH cte AS (SELECT 1) SELECT * FROM cte",
    "WITH RECURSIVE r(n) AS (SELECT 1) SELECT * FROM r",
    "CREATE TABLE t (id int)",
    "create index i on t (a)",
    "DROP TABLE IF EXISTS t",
    "ALTER TABLE t ADD COLUMN c int",
    "TRUNCATE t",
    "BEGIN",
    "commit",
    "ROLLBACK;",
    "VACUUM",
    "VACUUM (VERBOSE) t",
    "ANALYZE users",
    "SHOW search_path",
    "show search_path",
    "SET search_path TO public",
    "set statement_timeout = 5000",
    "EXPLAIN ANALYZE SELECT 1",
    "EXPLAIN SELECT * FROM t",
    "GRANT SELECT ON t TO bob",
    "COPY t FROM STDIN",
    "COPY (SELECT 1) TO STDOUT",
    "VALUES (1, 2)",
    "CALL proc(1)",
    "DO $$ BEGIN END $$",
    "MERGE INTO t USING s ON t.id = s.id",
    "REFRESH MATERIALIZED VIEW v",
    "LOCK TABLE t",
    "COMMENT ON TABLE t IS 'x'",
    "LISTEN events",
    "NOTIFY events, 'x'",
    "START TRANSACTION",
    "SAVEPOINT sp1",
    "PREPARE q (int) AS SELECT $1",
    "DECLARE c CURSOR FOR SELECT 1",
    "DISCARD ALL",
    "RESET ALL",
    "TABLE users_archive",
]

NOT_SQL = [
    # A word after a select item that is not followed by `,` or FROM is prose.
    "Select one option or more",
    "select one thing, then another",
    "Select item x from the list",
    "Select a user",
    "Select a user from the list",
    "Select distinct values from the list",
    "Select items from the list.",
    "Select one",
    "select one, two or three",
    "Delete from cart",
    "Delete user?",
    "Commit",
    "Begin",
    "Update your profile",
    "Update profile settings",
    "Update: the server restarted",
    "update available",
    "Insert coin",
    "Show more",
    "show more",
    "Create a new account",
    "Create account",
    "Drop it like it's hot",
    "/select/items",
    "https://example.com/select/items?id=1",
    "select_items",
    "selected items",
    "Analyze results",
    "Set value to 5",
    "With a little help",
    "Values (in USD)",
    "Call me maybe",
    "Do it now",
    "Grant access to users",
    "Copy link to clipboard",
    "Reset password",
    "Execute order 66",
    "Comment on this post",
    "Table of contents",
    "Lock screen",
    "Listen up",
    "Explain this to me",
    "Prepare the data",
    "Release notes",
    "Truncate the text",
    "Start now",
    "Refresh page",
    "Import foreign goods!",
    f"{HOLE} WHERE x = 1",
    "The SELECT statement",
    "",
    "   ",
    "SELECT",
    "Returns the rows. Use SELECT to read them.",
]


@pytest.mark.parametrize("text", SQL)
def test_looks_like_sql(text):
    assert looks_like_sql(text)


@pytest.mark.parametrize("text", NOT_SQL)
def test_does_not_look_like_sql(text):
    assert not looks_like_sql(text)
