"""The per-file budget covers every phase of a file, and one failing rule costs only its
own findings.

A phase is made slow (or a rule made to fail) for the hostile file only, by wrapping the
function that does it: a file marked HOSTILE burns CPU time there (the budget counts CPU
time, so sleeping would not do). The good file beside it must keep its finding; the
hostile one gets PGL002 naming the phase, or PGL000 naming the rule.
"""

from __future__ import annotations

import dataclasses
from time import thread_time

import pytest

from conftest import FIXABLE, INJECTION, invoke, write
from pglint import budget, engine, fixes, notebooks, project
from pglint.engine import lint_source
from pglint.rules import all_rules
from pglint.settings import Settings
from test_hostile_inputs import flake8

KNOWN = "known_bad.py:7:5: PGL101"
BUDGET = 0.3
MARK = "HOSTILE"
# The hostile file: a finding of a rule that runs before PGL601 and one of PGL601.
HOSTILE = (
    f"# {MARK}\nimport psycopg2\n\n\ndef f(email):\n"
    "    cur = psycopg2.connect().cursor()\n"
    "    cur.execute(f\"SELECT * FROM t WHERE e = '{email}'\")\n\n\n"
    'conn = psycopg2.connect(password="hunter2")\n'
)


def burn(seconds: float = BUDGET * 1.5) -> None:
    end = thread_time() + seconds
    while thread_time() < end:
        pass


def _marked(value: object) -> bool:
    text = getattr(getattr(value, "source", None), "text", None) or getattr(value, "text", value)
    if isinstance(text, bytes):
        return MARK.encode() in text
    return isinstance(text, str) and MARK in text


def slow(function):
    def wrapper(*args, **kwargs):
        if any(_marked(a) for a in args):
            burn()
        return function(*args, **kwargs)

    return wrapper


@pytest.fixture
def tight(project):
    write(project, "pyproject.toml", f"[tool.pglint]\nmax-file-seconds = {BUDGET}\n")
    write(project, "known_bad.py", INJECTION)
    return project


def check(*args: str, input: bytes | None = None) -> tuple[list[str], str]:
    run = invoke("check", "--no-cache", "--output-format", "concise", *args, input=input)
    assert "Traceback" not in run.stdout + run.stderr
    return [line for line in run.stdout.splitlines() if ": PGL" in line], run.stderr


@pytest.mark.parametrize(
    ("target", "phase"),
    [
        ((project, "decode_source"), "decoding"),
        ((project, "parse_module"), "parsing"),
        ((project, "walk"), "building its facts"),
        ((project, "resolve_calls"), "building its facts"),
    ],
)
def test_each_phase_of_a_file_is_under_its_budget(tight, monkeypatch, target, phase):
    module, name = target
    monkeypatch.setattr(module, name, slow(getattr(module, name)))
    write(tight, "hostile.py", HOSTILE)
    lines, _ = check(".")
    assert any(line.startswith(KNOWN + " ") for line in lines), lines
    [skipped] = [line for line in lines if line.startswith("hostile.py")]
    assert skipped.startswith(f"hostile.py:1:1: PGL002 file skipped while {phase}: "), skipped


def test_resolving_imports_is_under_the_budget(tight, monkeypatch):
    """Summaries made before the budget ran out are kept for the next file."""
    summary = project.Project.summary

    def slow_summary(self, path):
        if path.endswith("helpers.py"):
            burn()
        return summary(self, path)

    monkeypatch.setattr(project.Project, "summary", slow_summary)
    write(tight, "helpers.py", "import psycopg2\n\ndef get():\n    return psycopg2.connect()\n")
    write(tight, "hostile.py", "from helpers import get\n" + HOSTILE)
    lines, _ = check("hostile.py", "known_bad.py")
    assert any(line.startswith(KNOWN + " ") for line in lines), lines
    [skipped] = [line for line in lines if line.startswith("hostile.py")]
    assert "PGL002 file skipped while resolving imports: " in skipped


def test_a_slow_rule_stops_the_rules_after_it_only(tight, monkeypatch):
    rules = tuple(
        dataclasses.replace(r, check=slow(r.check)) if r.code == "PGL203" else r
        for r in all_rules()
    )
    monkeypatch.setattr(engine, "all_rules", lambda: rules)
    write(tight, "hostile.py", HOSTILE)
    lines, _ = check(".")
    assert any(line.startswith(KNOWN + " ") for line in lines), lines
    found = [line.split(" ", 2)[:2] for line in lines if line.startswith("hostile.py")]
    # PGL101 ran before PGL203 and is kept; PGL601 after it never ran.
    assert found == [["hostile.py:1:1:", "PGL002"], ["hostile.py:7:5:", "PGL101"]]
    assert "file skipped while running PGL203" in lines[0] + lines[1] + lines[2]


def failing(facts):
    if MARK in facts.source.text:
        raise ValueError("a bug in this rule")
    yield from ()


@pytest.fixture
def broken_rule(monkeypatch):
    rules = tuple(
        dataclasses.replace(r, check=failing) if r.code == "PGL203" else r for r in all_rules()
    )
    monkeypatch.setattr(engine, "all_rules", lambda: rules)


def test_a_failing_rule_costs_that_rule_only(project, broken_rule):
    write(project, "hostile.py", HOSTILE)
    write(project, "known_bad.py", INJECTION)
    lines, _ = check(".")
    found = {tuple(line.split(" ", 2)[:2]) for line in lines if line.startswith("hostile.py")}
    assert found == {
        ("hostile.py:1:1:", "PGL000"),
        ("hostile.py:7:5:", "PGL101"),
        ("hostile.py:10:34:", "PGL601"),  # a rule after the failing one
    }
    [internal] = [line for line in lines if " PGL000 " in line]
    assert "internal error in PGL203 (placeholder-count-mismatch)" in internal
    assert "ValueError: a bug in this rule" in internal
    assert any(line.startswith(KNOWN + " ") for line in lines)
    # Standard input: the same.
    lines, _ = check("--stdin-filename", "hostile.py", "-", input=HOSTILE.encode())
    assert {line.split(" ", 2)[1] for line in lines} == {"PGL000", "PGL101", "PGL601"}
    # And the engine itself, as the other front ends call it.
    codes = sorted(d.code for d in lint_source(HOSTILE, "hostile.py").diagnostics)
    assert codes == ["PGL000", "PGL101", "PGL601"]


@pytest.mark.slow
def test_a_failing_rule_costs_that_rule_only_under_flake8(project):
    write(project, "hostile.py", HOSTILE)
    write(project, "known_bad.py", INJECTION)
    prelude = (
        "import dataclasses\nfrom pglint import engine\nfrom pglint.rules import all_rules\n"
        "def failing(facts):\n    if 'HOSTILE' in facts.source.text:\n"
        "        raise ValueError('a bug in this rule')\n    return ()\n"
        "rules = tuple(dataclasses.replace(r, check=failing) if r.code == 'PGL203' else r "
        "for r in all_rules())\nengine.all_rules = lambda: rules\n"
    )
    done = flake8(project, "hostile.py", "known_bad.py", prelude=prelude)
    assert "Traceback" not in done.stderr
    codes = sorted(line.split(" ")[1] for line in done.stdout.splitlines() if ": PGL" in line)
    assert codes == ["PGL000", "PGL101", "PGL101", "PGL601"], done.stdout
    assert "internal error in PGL203" in done.stdout


def test_fixing_is_under_the_budget_and_says_what_was_not_fixed(tight, monkeypatch):
    monkeypatch.setattr(fixes, "apply_round", slow(fixes.apply_round))
    hostile = write(tight, "hostile.py", f"# {MARK}\n" + FIXABLE)
    fine = write(tight, "fine.py", FIXABLE)
    lines, stderr = check("--fix", ".")
    assert fine.read_text() != FIXABLE  # fixed
    assert hostile.read_text() == f"# {MARK}\n" + FIXABLE  # left as it was, and said so
    assert (
        "pglint: warning: hostile.py: not fixed: fixing it took longer than the 0.3 s budget"
        in stderr
    )
    assert any(line.startswith(KNOWN + " ") for line in lines)
    # Standard input comes back unchanged, with the same warning.
    run = invoke("check", "--fix", "--stdin-filename", "hostile.py", "-",
                 input=f"# {MARK}\n" + FIXABLE)  # fmt: skip
    assert run.stdout == f"# {MARK}\n" + FIXABLE
    assert "not fixed: fixing it took longer" in run.stderr


def test_a_file_whose_analysis_ran_out_is_not_fixed_and_says_so(tight, monkeypatch):
    rules = tuple(
        dataclasses.replace(r, check=slow(r.check)) if r.code == "PGL205" else r
        for r in all_rules()
    )
    monkeypatch.setattr(engine, "all_rules", lambda: rules)
    hostile = write(tight, "hostile.py", f"# {MARK}\n" + FIXABLE)
    _, stderr = check("--fix", ".")
    assert hostile.read_text() == f"# {MARK}\n" + FIXABLE
    assert "hostile.py: not fixed: analysing it took longer than the 0.3 s budget" in stderr


NOTEBOOK = (
    '{"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], '
    '"execution_count": null, "source": ["# HOSTILE\\n", "import psycopg2\\n"]}], '
    '"metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
)


def test_notebook_row_mapping_is_under_the_budget(tight, monkeypatch):
    monkeypatch.setattr(notebooks.Notebook, "file_rows", slow(notebooks.Notebook.file_rows))
    write(tight, "hostile.ipynb", NOTEBOOK)
    lines, _ = check(".")
    assert any(line.startswith(KNOWN + " ") for line in lines), lines
    [skipped] = [line for line in lines if line.startswith("hostile.ipynb")]
    assert "PGL002 file skipped while mapping the notebook's rows: " in skipped


def test_budgets_nest_and_an_inner_one_never_extends_the_outer():
    with budget.limit(0.05), budget.limit(100):
        burn(0.1)
        with pytest.raises(budget.OutOfTime):
            budget.check()
    budget.check()  # none outside


def test_the_budget_counts_cpu_time_not_the_clock():
    import time

    with budget.limit(0.05):
        time.sleep(0.1)  # waiting (a busy machine) is not spending the budget
        budget.check()
        burn(0.1)
        with pytest.raises(budget.OutOfTime):
            budget.check()


def test_no_budget_means_none():
    assert lint_source(HOSTILE, "x.py", Settings(max_file_seconds=None)).diagnostics


def test_an_imported_module_is_summarized_under_its_own_budget(tight, monkeypatch):
    """Summarizing a module serves every file that imports it: its time is its own. A
    file importing a large package pays for its own work only, and a module too slow to
    summarize is left unknown, not a reason to skip the file importing it."""
    summarize = project.Project._summarize

    def slow_summarize(self, unit):
        if unit.path.endswith("helpers.py"):
            burn()
        return summarize(self, unit)

    monkeypatch.setattr(project.Project, "_summarize", slow_summarize)
    write(tight, "helpers.py", "import psycopg2\n\ndef get():\n    return psycopg2.connect()\n")
    write(tight, "hostile.py", "from helpers import get\n" + HOSTILE)
    lines, _ = check("hostile.py", "known_bad.py")
    assert any(line.startswith(KNOWN + " ") for line in lines), lines
    found = [line.split(" ", 2)[1] for line in lines if line.startswith("hostile.py")]
    assert found == ["PGL101", "PGL601"]


def test_time_apart_is_not_the_files():
    with budget.limit(0.2):
        with budget.apart():
            burn(0.15)
            budget.check()  # within its own budget
        burn(0.15)
        budget.check()  # the file spent 0.15 s of its own: the time apart is not counted
        burn(0.1)
        with pytest.raises(budget.OutOfTime):
            budget.check()
