"""Valid Python programs never make pglint raise: not the engine, the CLI or the flake8
plugin. The programs come from hypothesmith (from Python's grammar, and from libcst's
syntax tree); each is also tried after a few lines of database code, so the rules'
checks have a driver to follow into whatever the generator wrote."""

from __future__ import annotations

import ast
import warnings

import hypothesmith
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import invoke
from pglint.engine import lint_source
from pglint.flake8_plugin import Plugin

DATABASE_PRELUDE = (
    "import psycopg2\n"
    "conn = psycopg2.connect()\n"
    "cur = conn.cursor()\n"
    "cur.execute(f'SELECT {conn}')\n"
)

# Deferred: building the grammar takes seconds, paid only by a run that draws from it.
PROGRAMS = st.deferred(lambda: st.one_of(hypothesmith.from_grammar(), hypothesmith.from_node()))
# 100 programs in all, so CI time stays low.
BOUNDED = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


# hypothesmith compiles what it generates; its compiler warnings are not pglint's.
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::SyntaxWarning")]


def parses(source: str) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences and the like
            return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def assert_no_crash(source: str) -> None:
    tree = parses(source)
    assume(tree is not None)
    found = lint_source(source, "program.py").diagnostics
    assert not [d for d in found if d.code in ("PGL000", "PGL001")], found
    reports = list(Plugin(tree, source.splitlines(keepends=True), "program.py").run())
    assert not [r for r in reports if r[2].startswith(("PGL000", "PGL001"))], reports
    # The plugin sees the same findings the engine does (flake8 applies noqa itself).
    assert len(reports) >= len(found)
    run = invoke("check", "--stdin-filename", "program.py", "-", input=source.encode())
    assert run.exit_code in (0, 1), run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert "PGL000" not in run.stdout


@BOUNDED
@given(PROGRAMS)
def test_valid_programs_never_crash(source):
    assert_no_crash(source)


@BOUNDED
@given(PROGRAMS)
def test_valid_programs_after_database_code_never_crash(source):
    # A `from __future__` import must come first; such a program is tried on its own.
    assume("__future__" not in source)
    assert_no_crash(DATABASE_PRELUDE + source)
