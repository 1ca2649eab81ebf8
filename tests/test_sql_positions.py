import pytest

from pglint.sql import HOLE, HoleContext, classify_holes

H = HOLE


def positions(sql: str) -> list[str]:
    return [h.position for h in classify_holes(sql)]


def test_index_and_offset():
    sql = f"SELECT * FROM {H} WHERE id = {H} -- {H}"
    assert classify_holes(sql) == [
        HoleContext(0, 14, "identifier"),
        HoleContext(1, sql.index(H, 15), "value"),
        HoleContext(2, sql.rindex(H), "comment"),
    ]


def test_no_holes():
    assert classify_holes("SELECT 1") == []


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (f"SELECT * FROM t WHERE name LIKE '%{H}%'", ["literal"]),
        (f"SELECT * FROM t WHERE d > now() - INTERVAL '{H} days'", ["literal"]),
        (f"SELECT E'{H}', $x${H}$x$, $${H}$$", ["literal", "literal", "literal"]),
        (f'SELECT "{H}" FROM t', ["identifier"]),
        (f"SELECT 1 -- {H}", ["comment"]),
        (f"SELECT /* {H} */ 1", ["comment"]),
    ],
)
def test_inside_tokens(sql, expected):
    assert positions(sql) == expected


VALUES = [
    f"SELECT * FROM users WHERE id = {H}",
    f"SELECT * FROM t WHERE a < {H}",
    f"SELECT * FROM t WHERE a >= {H}",
    f"SELECT * FROM t WHERE a <> {H}",
    f"SELECT * FROM t WHERE a != {H}",
    f"SELECT a + {H} FROM t",
    f"SELECT a || {H} FROM t",
    f"SELECT * FROM t WHERE data ->> {H} = %s",
    f"SELECT * FROM t WHERE a = {H}::int",
    f"SELECT * FROM t WHERE x LIKE {H}",
    f"SELECT * FROM t WHERE x ILIKE {H}",
    f"SELECT * FROM t WHERE x NOT LIKE {H}",
    f"SELECT * FROM t WHERE x SIMILAR TO {H}",
    f"SELECT * FROM t WHERE x IS {H}",
    f"SELECT * FROM t WHERE x IS NOT {H}",
    f"SELECT * FROM t WHERE x IS DISTINCT FROM {H}",
    f"SELECT * FROM t WHERE x IN {H}",
    f"SELECT * FROM t WHERE x IN ({H})",
    f"SELECT * FROM t WHERE x = ANY({H})",
    f"SELECT * FROM t LIMIT {H}",
    f"SELECT * FROM t OFFSET {H}",
    f"SELECT * FROM t FETCH FIRST {H} ROWS ONLY",
    f"SELECT CASE WHEN a THEN {H} END",
    f"SELECT CASE WHEN a THEN 1 ELSE {H} END",
    f"SELECT CASE x WHEN {H} THEN 1 END",
    f"SELECT lower({H})",
    f"SELECT coalesce({H}, 0)",
    f"SELECT extract(year FROM {H})",
    f"SELECT CAST({H} AS int)",
    f"SELECT arr[{H}] FROM t",
    f"SELECT * FROM t WHERE a = ({H})",
    f"INSERT INTO t (a) VALUES ({H})",
    f"UPDATE t SET a = {H}",
]


@pytest.mark.parametrize("sql", VALUES)
def test_value_positions(sql):
    assert positions(sql) == ["value"]


IDENTIFIERS = [
    f"SELECT * FROM {H} WHERE id = %s",
    f"SELECT * FROM logs_{H}",
    f"SELECT * FROM {H}_archive",
    f"SELECT * FROM ONLY {H}",
    f"SELECT * FROM a JOIN {H} ON a.id = b.id",
    f"SELECT * FROM a LEFT JOIN {H} USING (id)",
    f"SELECT * FROM t WHERE {H}.id = 1",
    f"SELECT * FROM t WHERE t.{H} = 1",
    f"SELECT * FROM t ORDER BY {H}",
    f"SELECT * FROM t GROUP BY {H}",
    f"SELECT {H} FROM t",
    f"SELECT DISTINCT {H} FROM t",
    f"SELECT a AS {H} FROM t",
    f"SELECT * FROM t WHERE {H} = %s",
    f"SELECT * FROM t WHERE {H} IS NULL",
    f"SELECT * FROM t WHERE {H} IN (1, 2)",
    f"SELECT * FROM t WHERE a = 1 AND {H} > 2",
    f"SELECT * FROM t WHERE a = 1 OR {H} LIKE %s",
    f"SELECT * FROM t WHERE ({H} = 1 OR b = 2)",
    f"SELECT * FROM a JOIN b ON {H} = b.id",
    f"SELECT * FROM t WHERE {H}::date = %s",
    f"UPDATE {H} SET a = 1",
    f"UPDATE t SET {H} = %s",
    f"INSERT INTO {H} VALUES (%s)",
    f"DELETE FROM {H} WHERE id = %s",
    f"TRUNCATE {H}",
    f"TRUNCATE TABLE {H}",
    f"DROP TABLE IF EXISTS {H}",
    f"ALTER TABLE {H} ADD COLUMN x int",
    f"ALTER TABLE t ADD COLUMN {H} int",
    f"VACUUM {H}",
    f"SELECT * FROM t RETURNING {H}",
    f"SELECT * FROM t WHERE id IN (SELECT {H} FROM u)",
]


@pytest.mark.parametrize("sql", IDENTIFIERS)
def test_identifier_positions(sql):
    assert positions(sql) == ["identifier"]


FRAGMENTS = [
    f"{H}",
    f"SELECT * FROM t WHERE {H}",
    f"SELECT * FROM t WHERE a = 1 AND {H}",
    f"SELECT * FROM t WHERE a = 1 {H}",
    f"SELECT * FROM t {H}",
    f"SELECT * FROM t WHERE id = %s {H}",
    f"SELECT 1; {H}",
    f"SELECT * FROM t WHERE NOT {H}",
    f"SELECT CASE WHEN {H} THEN 1 END",
    f"INSERT INTO t VALUES {H}",
    f"SELECT CAST(x AS {H})",
    f"SELECT * FROM t WHERE (a, {H}) IN (%s)",
    f"{H} WHERE x = 1",
    f"SELECT * FROM t WHERE x = 1 {H} {H}",
]


@pytest.mark.parametrize("sql", FRAGMENTS)
def test_fragment_positions(sql):
    assert set(positions(sql)) == {"fragment"}


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (f"SELECT * FROM t ORDER BY {H} {H}", ["identifier", "identifier"]),
        (f"SELECT * FROM t ORDER BY {H} {H} LIMIT {H}", ["identifier", "identifier", "value"]),
        (f"SELECT * FROM t ORDER BY {H} + {H}", ["identifier", "value"]),
        (f"SELECT * FROM t ORDER BY a, {H} DESC", ["identifier"]),
        (f"SELECT * FROM t GROUP BY {H}, {H} HAVING count(*) > {H}",
         ["identifier", "identifier", "value"]),
        (f"SELECT {H}, {H} FROM t", ["identifier", "identifier"]),
        (f"SELECT f({H}, {H}), {H} FROM t", ["value", "value", "identifier"]),
        (f"INSERT INTO {H} ({H}, {H}) VALUES ({H}, {H})",
         ["identifier"] * 3 + ["value"] * 2),
        (f"INSERT INTO t (a, b) VALUES ({H}, lower({H})), ({H}, {H})", ["value"] * 4),
        (f"UPDATE t SET a = {H}, b = {H} WHERE id = {H}", ["value"] * 3),
        (f"UPDATE t SET {H} = %s, {H} = %s WHERE {H} = %s", ["identifier"] * 3),
        (f"SELECT * FROM t WHERE x BETWEEN {H} AND {H}", ["value", "value"]),
        (f"SELECT * FROM t WHERE x BETWEEN {H} AND {H} AND {H}",
         ["value", "value", "fragment"]),
        (f"SELECT * FROM t WHERE x IN ({H}, {H})", ["value", "value"]),
        (f"SELECT * FROM {H}.{H}", ["identifier", "identifier"]),
        (f"SELECT * FROM {H}{H}", ["identifier", "identifier"]),
        (f"SELECT * FROM a JOIN {H} ON a.id = {H}.aid", ["identifier", "identifier"]),
        (f"INSERT INTO t (a) VALUES (%s) ON CONFLICT ({H}) DO UPDATE SET {H} = EXCLUDED.{H}",
         ["identifier"] * 3),
        (f"SELECT row_number() OVER (PARTITION BY {H} ORDER BY {H} DESC) FROM t",
         ["identifier", "identifier"]),
        (f"SELECT array_agg(x ORDER BY {H}) FROM t", ["identifier"]),
        (f"CREATE INDEX {H} ON {H} ({H})", ["identifier"] * 3),
        (f"GRANT SELECT, INSERT ON {H} TO {H}", ["identifier"] * 2),
        (f"REVOKE ALL ON {H} FROM {H}", ["identifier"] * 2),
        (f"CREATE VIEW v AS SELECT * FROM a JOIN b ON {H}", ["fragment"]),
        (f"CREATE TABLE {H} ({H} text, id int)", ["identifier"] * 2),
        (f"SELECT DISTINCT ON ({H}) * FROM t", ["identifier"]),
        (f"select * from {H} where {H} = %s order by {H}", ["identifier"] * 3),
        (f"SELECT * FROM t WHERE a = '{H}' AND b = {H}", ["literal", "value"]),
        (f"WITH x AS (SELECT * FROM {H} WHERE a = {H}) SELECT {H} FROM x",
         ["identifier", "value", "identifier"]),
        (f"SELECT * FROM t WHERE a IN (SELECT b FROM u WHERE c = {H}) AND {H} = 1",
         ["value", "identifier"]),
    ],
)  # fmt: skip
def test_mixed_positions(sql, expected):
    assert positions(sql) == expected
