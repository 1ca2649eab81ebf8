import pytest

from pglint.sql import Placeholder, find_placeholders, stray_percents


def found(sql: str) -> list[tuple[str, str | None, str | None, str, bool]]:
    return [
        (p.style, p.name, p.conversion, sql[p.start : p.end], p.in_literal)
        for p in find_placeholders(sql)
    ]


def test_placeholder_is_frozen_value():
    (p,) = find_placeholders("x = %s")
    assert p == Placeholder("format", None, "s", 4, 6, False)
    with pytest.raises(AttributeError):
        p.name = "y"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("a = %s", [("format", None, "s", "%s", False)]),
        ("a = %b AND c = %t", [("format", None, "b", "%b", False),
                               ("format", None, "t", "%t", False)]),
        ("a = %(user_id)s", [("pyformat", "user_id", "s", "%(user_id)s", False)]),
        ("a = %(blob)b", [("pyformat", "blob", "b", "%(blob)b", False)]),
        ("a = $1 AND b = $12", [("numeric", "1", None, "$1", False),
                                ("numeric", "12", None, "$12", False)]),
        ("a = :name", [("named", "name", None, ":name", False)]),
        ("a = :_x1", [("named", "_x1", None, ":_x1", False)]),
        ("a = ?", [("qmark", None, None, "?", False)]),
        ("a = :v::int", [("named", "v", None, ":v", False)]),
    ],
)  # fmt: skip
def test_placeholders_in_code(sql, expected):
    assert found(sql) == expected


@pytest.mark.parametrize(
    "sql",
    [
        "100%%",
        "a %% b",
        "%%s",
        "a$1",
        "x::text",
        "a:b",
        "arr[1:2]",
        "arr[lo:hi]",
        "arr[:lo]",
        "data ? 'key'",
        "data ?| array['a']",
        "data ?& array['a']",
        "a % b",
        "%d %(x)d",
        ":1",
        "$tag$$tag$",
    ],
)
def test_not_placeholders(sql):
    assert found(sql) == []


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("INTERVAL ':days days'", [("named", "days", None, ":days", True)]),
        ("'%s'", [("format", None, "s", "%s", True)]),
        ("'%(n)s'", [("pyformat", "n", "s", "%(n)s", True)]),
        ("'$1'", [("numeric", "1", None, "$1", True)]),
        ("E'it\\'s %s'", [("format", None, "s", "%s", True)]),
        ("$$ RETURN $1; $$", [("numeric", "1", None, "$1", True)]),
        ("$fn$ x := :v; $fn$", [("named", "v", None, ":v", True)]),
        ('"%s"', [("format", None, "s", "%s", True)]),
        ("-- uses %s\nx", [("format", None, "s", "%s", True)]),
        ("/* :name */", [("named", "name", None, ":name", True)]),
    ],
)
def test_placeholders_inside_literals(sql, expected):
    assert found(sql) == expected


@pytest.mark.parametrize(
    "sql",
    [
        "'?'",
        "'a ? b'",
        "'100%%'",
        "'%%s'",
        "'x::text'",
        "'12:30'",
        "'a:b'",
        "'cost$1'",
        "'it''s'",
        "$$ $$",
        "/* ? */",
        "'\\:esc'",
    ],
)
def test_literals_without_placeholders(sql):
    assert found(sql) == []


def test_mixed_text_order_and_flags():
    sql = "SELECT * FROM t WHERE name LIKE '%' || %s || '%' AND note = '%s' AND d > :since"
    assert found(sql) == [
        ("format", None, "s", "%s", False),
        ("format", None, "s", "%s", True),
        ("named", "since", None, ":since", False),
    ]


def test_qmark_and_jsonb_in_one_query():
    sql = "SELECT * FROM t WHERE data ? 'k' AND tags ?| array['a'] AND id = ?"
    assert found(sql) == [("qmark", None, None, "?", False)]


@pytest.mark.parametrize(
    ("sql", "conversions", "expected"),
    [
        ("LIKE 'a%'", "s", [7]),
        ("100%%", "s", []),
        ("%s", "s", []),
        ("%(x)s", "s", []),
        ("%d", "s", [0]),
        ("%(x)d", "s", [0]),
        ("%%s", "s", []),
        ("%%%s", "s", []),
        ("%b %t", "s", [0, 3]),
        ("%b %t %s", "sbt", []),
        ("%", "s", [0]),
        ("%(", "s", [0]),
        ("%()s", "s", [0]),
        ("a %s %", "s", [5]),
        ("-- 50% off\n%s", "s", [5]),
        ("'%s'", "", [1]),
        ("no percent", "s", []),
        ("%%%", "s", [2]),
    ],
)
def test_stray_percents(sql, conversions, expected):
    assert stray_percents(sql, conversions) == expected


def test_stray_percents_defaults_to_psycopg2():
    assert stray_percents("%s %b") == [3]
