"""Inputs that once sank a run: each sits beside a good file whose finding must still
appear, and goes through every front end: `pglint check` over a directory, standard
input (the hostile text with a known finding appended) and the real flake8.

What each hostile input itself must get is stated per case: a finding, a PGL0xx
diagnostic, or nothing, but never a traceback, an internal error, or the loss of the
findings of the files (or the rules) around it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import INJECTION, invoke, write

KNOWN = "known_bad.py:7:5: PGL101"
# Appended to a hostile text on standard input: its finding must survive what precedes.
PASSWORD = '\n\nimport psycopg2\n\nconn2 = psycopg2.connect(password="hunter2")\n'
DIGITS = "9" * 5_000


@dataclass(frozen=True)
class Case:
    name: str
    source: str
    # (code, row) findings the hostile file must have; the code alone for any row.
    expected: tuple[tuple[str, int], ...] = ()
    absent: tuple[str, ...] = ("PGL000",)


def _asyncpg(call: str) -> str:
    return (
        "import asyncpg\n\n\n"
        "async def f(conn: asyncpg.Connection, x):\n"
        f"    await conn.fetch({call}, x)\n"
    )


def _psycopg(call: str) -> str:
    return (
        "import psycopg2\n\n\n"
        "def f(x):\n"
        "    cur = psycopg2.connect().cursor()\n"
        f"    cur.execute({call}, (x,))\n"
    )


CASES = [
    # Once a search through every number below the highest: minutes and gigabytes.
    Case("placeholder_gap_huge", _asyncpg('"SELECT $1, $99999999999"'), (("PGL203", 5),)),
    # int() refuses more than 4,300 digits.
    Case("placeholder_5000_digits", _asyncpg(f'"SELECT $1, ${DIGITS}"'), (("PGL203", 5),)),
    # Once quadratic: 30,000 numbered placeholders took most of a minute.
    Case(
        "placeholders_30k",
        _asyncpg('"SELECT ' + ", ".join(f"${i}" for i in range(1, 30_001)) + '"'),
        (("PGL203", 5),),
    ),
    # "²".isdigit() is true, int("²") fails; str.format reads it as a keyword.
    Case("format_field_superscript", _psycopg('"SELECT {²} FROM t WHERE a = %s".format(x)')),
    # A field of 5,000 digits: isdigit() true, int() refused.
    Case("format_field_5000_digits", _psycopg(f'"SELECT {{{DIGITS}}} FROM t".format(x)')),
]


def _lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if ": PGL" in line]


def _codes(lines: list[str], filename: str) -> list[tuple[str, int]]:
    found = []
    for line in lines:
        place, rest = line.split(": ", 1)
        name, row, _ = place.rsplit(":", 2)
        if Path(name).name == filename:
            found.append((rest.split()[0], int(row)))
    return found


def _assert_case(case: Case, found: list[tuple[str, int]]) -> None:
    codes = {code for code, _ in found}
    for code, row in case.expected:
        assert (code, row) in found, found
    for code in case.absent:
        assert code not in codes, found


def _clean(output: str) -> None:
    assert "Traceback" not in output
    assert "internal error" not in output


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_check_beside_a_good_file(project, case):
    write(project, "hostile.py", case.source)
    write(project, "known_bad.py", INJECTION)
    run = invoke("check", "--no-cache", "--output-format", "concise", ".")
    _clean(run.stdout + run.stderr)
    lines = _lines(run.stdout)
    assert any(line.startswith(KNOWN + " ") for line in lines), run.stdout + run.stderr
    _assert_case(case, _codes(lines, "hostile.py"))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_stdin_keeps_the_findings_after_it(project, case):
    source = case.source + PASSWORD
    run = invoke(
        "check", "--output-format", "concise", "--stdin-filename", "hostile.py", "-",
        input=source.encode(),
    )  # fmt: skip
    _clean(run.stdout + run.stderr)
    found = _codes(_lines(run.stdout), "hostile.py")
    assert ("PGL601", source.count("\n")) in found, run.stdout + run.stderr
    _assert_case(case, found)


def flake8(root: Path, *paths: str, prelude: str = "") -> subprocess.CompletedProcess[str]:
    """The real flake8 over ``paths``; ``prelude`` runs first in its process."""
    program = f"{prelude}\nimport sys\nfrom flake8.main.cli import main\nsys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", program, "--isolated", "--select", "PGL", *paths],
        cwd=root, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_flake8_beside_a_good_file(project, case):
    write(project, "hostile.py", case.source)
    write(project, "known_bad.py", INJECTION)
    done = flake8(project, "hostile.py", "known_bad.py")
    _clean(done.stdout + done.stderr)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = _lines(done.stdout)
    assert any(line.startswith("known_bad.py:7:5: PGL101") for line in lines), done.stdout
    _assert_case(case, _codes(lines, "hostile.py"))


def test_json_output_is_whole(project):
    """The report of a run with hostile files is still one valid JSON document."""
    for case in CASES:
        write(project, f"{case.name}.py", case.source)
    write(project, "known_bad.py", INJECTION)
    run = invoke("check", "--no-cache", "--output-format", "json", ".")
    found = json.loads(run.stdout)
    assert {d["code"] for d in found} >= {"PGL101", "PGL203"}
    assert "PGL000" not in {d["code"] for d in found}
