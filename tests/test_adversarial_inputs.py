"""No catastrophic backtracking: every regular expression in pglint and the SQL lexer
finish on 10,000-fold repeated inputs within a time bound.

The patterns are found, not listed: every `re.<function>("literal", ...)` call in the
package's source, plus every compiled pattern a module holds (some are built at import).
The inputs repeat each pattern's own literal pieces, which is where backtracking bites,
and end in a character that makes the match fail late.
"""

from __future__ import annotations

import ast
import functools
import importlib
import pkgutil
import re
import time
from pathlib import Path

import pytest

import pglint
from pglint.engine import lint_source
from pglint.noqa import NoqaMap
from pglint.sql.detect import looks_like_sql
from pglint.sql.lexer import tokenize
from pglint.sql.placeholders import find_placeholders, stray_percents
from pglint.sql.positions import classify_holes

REPEAT = 10_000
BOUND = 2.0  # seconds per pattern and input; linear work on 10,000 pieces takes ~10 ms
PACKAGE = Path(pglint.__file__).parent
RE_FUNCTIONS = {"compile", "match", "search", "fullmatch", "findall", "finditer", "sub", "split"}


SCANNING = ("search", "findall", "finditer", "sub", "split")


def source_patterns() -> set[tuple[str, int, str]]:
    """(pattern, flags, how it is applied) of every `re.<function>("literal")` call."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "re"
                and node.func.attr in RE_FUNCTIONS
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                continue
            flags = 0
            for arg in [*node.args[1:], *(k.value for k in node.keywords if k.arg == "flags")]:
                if isinstance(arg, ast.Attribute) and arg.attr in re.RegexFlag.__members__:
                    flags |= re.RegexFlag[arg.attr]
            if node.func.attr != "compile":  # compiled ones are found with their uses below
                found.add((node.args[0].value, flags, _how((node.func.attr,))))
    return found


def module_patterns() -> set[tuple[str, int, str]]:
    """Every compiled pattern a module holds, with how that module's code applies it."""
    found = set()
    for info in pkgutil.walk_packages(pglint.__path__, "pglint."):
        if info.name.endswith("__main__"):  # importing it runs the command line
            continue
        module = importlib.import_module(info.name)
        text = Path(module.__file__).read_text(encoding="utf-8")
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
                methods = re.findall(rf"\b{name}\.(\w+)", text)
                found.add((value.pattern, value.flags & ~re.UNICODE, _how(methods)))
    from pglint.sql.placeholders import _percent_pattern

    for conversions in ("", "s", "sbt"):
        found.add((_percent_pattern(conversions).pattern, 0, "scan"))
    return found


def _how(methods) -> str:
    """ "match": only ever tried at one offset; "scan": tried along the text."""
    known = set(methods) & (RE_FUNCTIONS | {"match", "fullmatch"})
    return "match" if known and known <= {"match", "fullmatch"} else "scan"


@functools.cache
def patterns() -> list[tuple[str, int, str]]:
    """Found when a test asks: importing every module of pglint (its server and its MCP
    server with their libraries) takes seconds a run of the fast tests need not pay."""
    return sorted(source_patterns() | module_patterns())


def pieces(pattern: str) -> list[str]:
    """The literal runs of a pattern (what it can actually match), and a few generic
    troublemakers."""
    literal = re.sub(r"\\[dDwWsSbB]|\(\?P?<?\w*>?|[\\()\[\]{}*+?|^$.]", " ", pattern)
    runs = {run for run in literal.split() if run}
    runs |= {ch for run in runs for ch in run}
    return sorted(runs | {"a", " ", "a ", "\t", "'", '"', "%", "%s", "#", "\\", "\n"})


def adversarial(pattern: str) -> list[str]:
    inputs = []
    for piece in pieces(pattern):
        body = piece * REPEAT
        inputs += [body, body + "\x00", body + "!x"]
    return inputs


@pytest.mark.slow
def test_every_regex_is_linear_on_repeated_input():
    slow = []
    for pattern, flags, how in patterns():
        compiled = re.compile(pattern, flags)
        for text in adversarial(pattern):
            start = time.perf_counter()
            compiled.match(text)
            if how == "scan":  # a pattern tried at every offset must not backtrack per offset
                compiled.search(text)
                for _ in compiled.finditer(text):
                    pass
            elapsed = time.perf_counter() - start
            if elapsed >= BOUND:
                slow.append(f"{pattern!r}: {elapsed:.1f} s on {text[:20]!r} x {REPEAT}")
                break
    assert not slow, "\n".join(slow)


@pytest.mark.slow
def test_patterns_were_found():
    # The lexer's master pattern, the noqa comment and the stray-percent one at least.
    assert len(patterns()) >= 25
    joined = "\n".join(p for p, *_ in patterns())
    assert "noqa" in joined and "?P<dollar>" in joined and "stray" in joined


SQL_PIECES = [
    "'", '"', "--", "/*", "*/", "/* /*", "$$", "$tag$", "$1", "%s", "%(name)s", "%%", "%",
    ":name", "?", "(", ")", "[", "E'\\'", "::", "SELECT ", "WHERE x = ", "IN (", "{x}",
]  # fmt: skip
SQL_FUNCTIONS = [tokenize, find_placeholders, stray_percents, classify_holes, looks_like_sql]


@pytest.mark.slow
@pytest.mark.parametrize("piece", SQL_PIECES)
def test_sql_lexer_is_linear_on_repeated_input(piece):
    for text in (piece * REPEAT, "SELECT " + piece * REPEAT + " FROM t WHERE a = %s"):
        for function in SQL_FUNCTIONS:
            start = time.perf_counter()
            function(text)
            elapsed = time.perf_counter() - start
            assert elapsed < BOUND, f"{function.__name__}: {elapsed:.1f} s on {piece!r}"


@pytest.mark.slow
@pytest.mark.parametrize("piece", ["'", "%", "%s", "/*", "$$", "{x}", "--", "# noqa"])
def test_a_repeated_sql_string_through_the_engine(piece):
    literal = (piece * REPEAT).replace("\\", "\\\\").replace('"', '\\"')
    source = (
        "import psycopg2\n\n\ndef run(x):\n    cur = psycopg2.connect().cursor()\n"
        f'    cur.execute("SELECT {literal} FROM t WHERE a = %s", (x,))  # noqa: PGL205\n'
    )
    start = time.perf_counter()
    result = lint_source(source)
    elapsed = time.perf_counter() - start
    assert not [d for d in result.diagnostics if d.code in ("PGL000", "PGL001")]
    assert elapsed < 4 * BOUND, f"{elapsed:.1f} s"


@pytest.mark.parametrize("piece", ["# noqa", "# noqa: PGL101", ", PGL1", ":", "#", " "])
def test_noqa_comments_are_linear(piece):
    line = "x = 1  " + piece * REPEAT
    start = time.perf_counter()
    noqa = NoqaMap([line + "\n"], line + "\n")
    noqa.suppressed("PGL101", 1)
    assert time.perf_counter() - start < BOUND
