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


# --- notebooks ---------------------------------------------------------------------------


def notebook(cells: list, metadata: object = None, **top: object) -> str:
    return json.dumps({"cells": cells, "metadata": metadata or {}, "nbformat": 4,
                       "nbformat_minor": 5, **top})  # fmt: skip


def code_cell(source: object) -> dict:
    return {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
            "source": source}  # fmt: skip


NOTEBOOK_INJECTION = [code_cell(INJECTION.splitlines(keepends=True))]
DEEP = "[" * 1_000 + "]" * 1_000

BAD_NOTEBOOKS = {
    # Each: the notebook's text, and what its own report must say (None: linted cleanly).
    # Past what the JSON reader nests: this notebook's error, not the run's.
    "nested_1000_deep": ('{"cells": [], "metadata": {"x": ' + DEEP + "}}", "nested too deeply"),
    "nested_100000_deep": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "language_info_a_string": (notebook(NOTEBOOK_INJECTION, {"language_info": "python"}), None),
    "kernelspec_a_string": (notebook(NOTEBOOK_INJECTION, {"kernelspec": "python3"}), None),
    "metadata_a_list": (notebook(NOTEBOOK_INJECTION, ["python"]), None),
    "source_a_number_list": (notebook([code_cell([1])]), "source of cell 1 is not text"),
    "source_a_number": (notebook([code_cell(7)]), "source of cell 1 is not text"),
    "source_null": (notebook([code_cell(None)]), "source of cell 1 is not text"),
    "cell_a_string": (notebook(["import os"]), None),
    "cells_a_dict": ('{"cells": {"a": 1}}', "no list of cells"),
    "huge_number": ('{"cells": [], "x": ' + "9" * 5_000 + "}", "not a valid notebook"),
}


@pytest.mark.parametrize("name", BAD_NOTEBOOKS)
def test_a_bad_notebook_is_its_own_error(project, name):
    text, error = BAD_NOTEBOOKS[name]
    write(project, "bad.ipynb", text)
    write(project, "known_bad.py", INJECTION)
    write(project, "good.ipynb", notebook(NOTEBOOK_INJECTION))
    run = invoke("check", "--no-cache", "--output-format", "concise", ".")
    _clean(run.stdout + run.stderr)
    assert any(line.startswith(KNOWN + " ") for line in run.stdout.splitlines()), run.stdout
    assert "good.ipynb:cell 1:7:5: PGL101" in run.stdout
    if error is None:
        assert "bad.ipynb" not in run.stderr
    else:
        assert "pglint: error: bad.ipynb: " in run.stderr and error in run.stderr, run.stderr
        assert run.exit_code == 2
    # On standard input the same, and under --fix the input always comes back.
    run = invoke("check", "--fix", "--stdin-filename", "bad.ipynb", "-", input=text.encode())
    _clean(run.stdout + run.stderr)
    if error is None and "INJECTION" not in text:
        assert run.stdout_bytes.decode() == text or "PGL" in run.stderr
    if error is not None:
        assert run.stdout_bytes == text.encode()


def test_a_notebook_fix_on_stdin_never_swallows_the_input(project):
    text = notebook([code_cell(["import psycopg2\n", "cur = psycopg2.connect().cursor()\n",
                                'cur.execute("SELECT %s", (42))\n'])],
                    {"x": json.loads("[" * 400 + "]" * 400)})  # fmt: skip
    run = invoke("check", "--fix", "--stdin-filename", "nb.ipynb", "-", input=text.encode())
    _clean(run.stdout + run.stderr)
    assert run.stdout_bytes, run.stderr
    fixed = json.loads(run.stdout_bytes)  # the fixed notebook, or the input as it came
    assert fixed["cells"][0]["source"][2] in ('cur.execute("SELECT %s", (42,))\n',
                                              'cur.execute("SELECT %s", (42))\n')  # fmt: skip


@pytest.mark.slow
def test_a_notebook_of_30000_cells_is_linted_within_budget(project):
    cells = [code_cell(["import psycopg2\n", "x = input()\n"]) for _ in range(30_000)]
    cells.append(code_cell(["cur = psycopg2.connect().cursor()\n",
                            "cur.execute(f\"SELECT * FROM t WHERE a = '{x}'\")\n"]))  # fmt: skip
    write(project, "big.ipynb", notebook(cells))
    write(project, "known_bad.py", INJECTION)
    run = invoke("check", "--no-cache", "--output-format", "concise", ".")
    _clean(run.stdout + run.stderr)
    assert "PGL002" not in run.stdout
    assert "big.ipynb:cell 30001:2:1: PGL101" in run.stdout, run.stdout
    assert any(line.startswith(KNOWN + " ") for line in run.stdout.splitlines())


# --- configuration, baselines, caches ----------------------------------------------------


BAD_CONFIGS = {
    "array_nested_1000_deep": "[tool.pglint]\nselect = " + DEEP + "\n",
    "table_nested_1000_deep": "[tool.pglint]\nx = " + "{a = " * 1_000 + "1" + "}" * 1_000 + "\n",
    "integer_5000_digits": "[tool.pglint]\nmax-file-size = " + DIGITS + "\n",
}


@pytest.mark.parametrize("name", BAD_CONFIGS)
def test_a_bad_configuration_is_a_configuration_error(project, name):
    write(project, "pyproject.toml", BAD_CONFIGS[name])
    write(project, "known_bad.py", INJECTION)
    run = invoke("check", "--no-cache", ".")
    _clean(run.stdout + run.stderr)
    assert run.exit_code == 2
    assert run.stderr.startswith("pglint: error: ") and "pyproject.toml" in run.stderr
    # flake8 reads the same file: its report says so, and flake8 itself goes on.


BAD_BASELINES = {
    "nested_5000_deep": "[" * 5_000 + "]" * 5_000,
    "findings_a_number": '{"version": 1, "findings": 3}',
    "count_a_string": '{"version": 1, "findings": [{"file": "a.py", "code": "PGL101", '
    '"context": "x", "count": "' + DIGITS + '"}]}',
    "entry_a_list": '{"version": 1, "findings": [[1, 2]]}',
    "file_a_dict": '{"version": 1, "findings": [{"file": {}, "code": "PGL101", "context": ""}]}',
}


@pytest.mark.parametrize("name", BAD_BASELINES)
def test_a_bad_baseline_is_a_clear_error(project, name):
    write(project, "baseline.json", BAD_BASELINES[name])
    write(project, "known_bad.py", INJECTION)
    run = invoke("check", "--no-cache", "--baseline", "baseline.json", ".")
    _clean(run.stdout + run.stderr)
    assert run.exit_code == 2
    assert run.stderr.startswith("pglint: error: baseline.json: "), run.stderr
    assert len(run.stderr.splitlines()) == 1


BAD_CACHES = {
    "files_a_list": '{"version": "V", "files": [], "results": {}}',
    "results_a_list": '{"version": "V", "files": {}, "results": [1]}',
    "entries_of_another_shape": '{"version": "V", "files": {"F": [1, 2]}, '
    '"results": {"F": {"key": "K", "digest": "D", "diagnostics": [["PGL101", 1, "a", 1, 1, 1,'
    ' null, null, "n", null]], "suppressed": []}}}',
    "uses_unhashable": '{"version": "V", "files": {"F": [1, 2, "D", [[1], {}]]}, "results": {}}',
    "nested_5000_deep": "[" * 5_000 + "]" * 5_000,
    "not_json": "{",
}


@pytest.mark.parametrize("name", BAD_CACHES)
def test_a_bad_cache_is_rebuilt(project, name):
    from pglint import __version__

    write(project, "known_bad.py", INJECTION)
    first = invoke("check", "--output-format", "concise", ".")
    [cache_file] = (project / ".pglint_cache" / __version__).glob("*.json")
    recorded = json.loads(cache_file.read_text())
    [entry_file] = [f for f in recorded["files"] if f.endswith("known_bad.py")]
    [key] = {r["key"] for r in recorded["results"].values()}
    text = BAD_CACHES[name].replace('"V"', json.dumps(__version__))
    text = text.replace('"F"', json.dumps(entry_file)).replace('"K"', json.dumps(key))
    cache_file.write_text(text)
    for _ in range(2):  # the bad cache is replaced by a good one
        run = invoke("check", "--output-format", "concise", ".")
        _clean(run.stdout + run.stderr)
        assert run.stdout == first.stdout
        assert run.exit_code == 1
    assert json.loads(cache_file.read_text())["results"]
