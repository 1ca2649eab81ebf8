"""Measure pglint's SQL lexer against sqlparse and sqlglot on a generated corpus.

Run from the repository root:  .venv/bin/python bench/sql_lexer.py

Not a test: it prints a table of timings (median of 5 runs over ~2,000 queries) and of
the lexing cases pglint depends on, so the choice of tokenizer rests on numbers.
"""

from __future__ import annotations

import contextlib
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

try:
    from pglint.sql.lexer import scan, tokenize
except ImportError:  # running from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    from pglint.sql.lexer import scan, tokenize

import sqlglot
import sqlparse
import sqlparse.lexer
import sqlparse.tokens as sqlparse_tokens
from sqlglot.dialects.postgres import Postgres

Lexed = list[tuple[str, str]]  # (category, text) for each token a tool reports

TABLES = ["users", "orders", "order_items", "events", "accounts", "audit_log", "products"]
COLUMNS = ["id", "user_id", "email", "name", "created_at", "status", "total", "data", "tags"]


def _corpus(size: int = 2000, seed: int = 7) -> list[str]:
    rnd = random.Random(seed)

    def t() -> str:
        return rnd.choice(TABLES)

    def c() -> str:
        return rnd.choice(COLUMNS)

    def ph(style: str, n: int) -> str:
        return {"format": "%s", "numeric": f"${n}", "named": f":p{n}", "qmark": "?"}[style]

    def short() -> str:
        style = rnd.choice(["format", "numeric", "named", "qmark"])
        kind = rnd.randrange(4)
        if kind == 0:
            return f"SELECT {c()}, {c()} FROM {t()} WHERE {c()} = {ph(style, 1)} LIMIT 1"
        if kind == 1:
            return (
                f"INSERT INTO {t()} ({c()}, {c()}, {c()}) "
                f"VALUES ({ph(style, 1)}, {ph(style, 2)}, {ph(style, 3)}) RETURNING id"
            )
        if kind == 2:
            return f"UPDATE {t()} SET {c()} = {ph(style, 1)} WHERE id = {ph(style, 2)}"
        return f"DELETE FROM {t()} WHERE {c()} < now() - INTERVAL '30 days'"

    def long() -> str:
        return f"""
            -- monthly totals per {c()}
            WITH recent AS (
                SELECT o.user_id, sum(o.total) AS total, count(*) AS n
                FROM {t()} o
                JOIN {t()} u ON u.id = o.user_id /* inner join: /* nested */ ok */
                WHERE o.created_at >= %(since)s AND o.status <> 'it''s cancelled'
                  AND u.email ILIKE '%%' || %(domain)s
                GROUP BY o.user_id
            )
            SELECT r.*, row_number() OVER (PARTITION BY r.n ORDER BY r.total DESC) AS rank
            FROM recent r
            WHERE r.total > {rnd.randint(1, 999)}.{rnd.randint(0, 99)}
            ORDER BY r.total DESC
            LIMIT %(limit)s OFFSET %(offset)s;
        """

    def function() -> str:
        tag = rnd.choice(["$$", "$fn$", "$body$"])
        return f"""
            CREATE OR REPLACE FUNCTION touch_{t()}() RETURNS trigger AS {tag}
            BEGIN
                NEW.updated_at := now();  -- keep 'quotes' and $1 inside
                RAISE NOTICE 'touched %', NEW.id;
                RETURN NEW;
            END;
            {tag} LANGUAGE plpgsql;
        """

    def jsonb() -> str:
        return rnd.choice(
            [
                f"SELECT data ->> 'name' FROM {t()} WHERE data ? 'email' AND id = $1",
                f"SELECT * FROM {t()} WHERE tags ?| array['a', 'b'] AND data @> %s::jsonb",
                f"SELECT data #>> '{{a,b}}' FROM {t()} WHERE data ?& ARRAY[:k1, :k2]",
                f"SELECT id FROM {t()} WHERE data -> 'x' = :val::jsonb AND arr[1:2] <@ %s",
                f"SELECT E'line\\nnext', U&'d\\0061t' FROM {t()} WHERE {c()} = ?",
            ]
        )

    makers: list[Callable[[], str]] = [short] * 6 + [long, function] + [jsonb] * 2
    return [rnd.choice(makers)() for _ in range(size)]


# --- each tool, reduced to (category, text) -------------------------------------


def _pglint(sql: str) -> Lexed:
    return [(t.kind, t.text) for t in tokenize(sql) if t.kind != "ws"]


_SQLPARSE_LEXER = sqlparse.lexer.Lexer.get_default_instance()


def _sqlparse(sql: str) -> Lexed:
    out = []
    for ttype, text in _SQLPARSE_LEXER.get_tokens(sql):
        if ttype in sqlparse_tokens.Whitespace or ttype in sqlparse_tokens.Newline:
            continue
        if ttype in sqlparse_tokens.Name.Placeholder:
            category = "param"
        elif ttype in sqlparse_tokens.Comment:
            category = "comment"
        elif ttype in sqlparse_tokens.Number:
            category = "number"
        elif ttype in sqlparse_tokens.Literal:
            category = "string"
        elif ttype in sqlparse_tokens.Operator or ttype in sqlparse_tokens.Wildcard:
            category = "op"
        else:
            category = "other"
        out.append((category, text))
    return out


_POSTGRES = Postgres()
_SQLGLOT_KINDS = {
    "PLACEHOLDER": "param",
    "STRING": "string",
    "HEREDOC_STRING": "string",
    "BYTE_STRING": "string",
    "NATIONAL_STRING": "string",
    "NUMBER": "number",
}


def _sqlglot(sql: str) -> Lexed:
    out: Lexed = []
    for token in _POSTGRES.tokenize(sql):
        name = token.token_type.name
        if out and out[-1] == ("param", "$") and name == "NUMBER":
            # sqlglot splits `$1` into PARAMETER + NUMBER; joining them is fair.
            out[-1] = ("param", "$" + token.text)
            continue
        out.append(("param" if name == "PARAMETER" else _SQLGLOT_KINDS.get(name, name), token.text))
    return out


# --- the lexing facts pglint relies on ------------------------------------------


def _params(lexed: Lexed) -> list[str]:
    return [text for category, text in lexed if category == "param"]


CASES: list[tuple[str, str, Callable[[Lexed], bool]]] = [
    ("%s in quotes is not a param", "SELECT '%s', %s", lambda r: _params(r) == ["%s"]),
    (
        "$tag$ body is one literal",
        "SELECT $fn$ it's $1 $fn$, $1",
        lambda r: _params(r) == ["$1"] and any("it's" in text for _, text in r),
    ),
    (
        "?| is an operator",
        "SELECT 1 WHERE d ?| array['a'] AND x = ?",
        lambda r: _params(r) == ["?"],
    ),
    ("? after operand is jsonb", "SELECT 1 FROM t WHERE data ? 'key'", lambda r: _params(r) == []),
    ("`::` cast vs :name", "SELECT a::text, :name", lambda r: _params(r) == [":name"]),
    ("arr[1:n] is a slice", "SELECT arr[1:n], arr[lo:hi]", lambda r: _params(r) == []),
    ("%(name)s pyformat", "SELECT %(name)s, 100%%", lambda r: _params(r) == ["%(name)s"]),
    (
        "nested /* */ comment",
        "SELECT /* a /* b */ still */ 1",
        lambda r: all("still" not in text or cat == "comment" for cat, text in r),
    ),
    ("E'' backslash quote", "SELECT E'it\\'s %s', %s", lambda r: _params(r) == ["%s"]),
    ("unterminated string", "SELECT 1 WHERE a = 'abc", lambda r: True),  # only must not raise
]


def _check(lex: Callable[[str], Lexed]) -> int:
    passed = 0
    for _name, sql, ok in CASES:
        with contextlib.suppress(Exception):  # a tool that raises fails the case
            passed += bool(ok(lex(sql)))
    return passed


def _time(run: Callable[[str], object], corpus: list[str], repeat: int = 5) -> float:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        for sql in corpus:
            with contextlib.suppress(Exception):  # a tokenizer error still cost its time
                run(sql)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main() -> None:
    corpus = _corpus()
    chars = sum(map(len, corpus))
    print(f"corpus: {len(corpus)} queries, {chars} characters, Python {sys.version.split()[0]}")
    tools: list[tuple[str, Callable[[str], object], Callable[[str], Lexed]]] = [
        ("pglint tokenize", tokenize, _pglint),
        ("pglint scan (tuples)", lambda s: list(scan(s)), _pglint),
        (
            f"sqlparse {sqlparse.__version__}",
            lambda s: list(_SQLPARSE_LEXER.get_tokens(s)),
            _sqlparse,
        ),
        (f"sqlglot {sqlglot.__version__}", _POSTGRES.tokenize, _sqlglot),
    ]
    print(f"{'tool':<22} {'median s':>9} {'us/query':>9} {'cases':>7}")
    for name, run, lex in tools:
        seconds = _time(run, corpus)
        print(
            f"{name:<22} {seconds:>9.4f} {seconds / len(corpus) * 1e6:>9.1f} "
            f"{_check(lex):>3}/{len(CASES)}"
        )
    print()
    for tool_name, _, lex in tools:
        if "scan" in tool_name:
            continue
        failed = []
        for case_name, sql, ok in CASES:
            try:
                good = bool(ok(lex(sql)))
            except Exception:
                good = False
            if not good:
                failed.append(case_name)
        print(f"{tool_name} fails: {', '.join(failed) or '-'}")


if __name__ == "__main__":
    main()
