"""Applying fixes: the edit engine, `--fix`, `--diff`, and the fixtures' `.fixed.py` files."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import CLEAN, FIXABLE, FIXED, FIXTURE_FILES, INJECTION, ROOT, console, invoke, write
from pglint.diagnostics import Diagnostic, Edit, Fix, Location
from pglint.fixes import apply_fixes, apply_round, fix_text, unified_diff
from pglint.rules import off_by_default


def fix(*edits: tuple[int, int, int, int, str], applicability: str = "safe") -> Diagnostic:
    made = tuple(Edit(Location(a, b), Location(c, d), text) for a, b, c, d, text in edits)
    where = made[0].location if made else Location(1, 1)
    return Diagnostic("PGL202", "m", "t.py", where, where, fix=Fix(applicability, "f", made))  # type: ignore[arg-type]


# --- the edit engine ----------------------------------------------------------------------


def test_single_and_multi_edit_fixes():
    text = "f(a)\ng(b)\n"
    new, applied = apply_fixes(
        text, [fix((1, 3, 1, 4, "x")), fix((2, 3, 2, 3, "("), (2, 4, 2, 4, ",)"))]
    )
    assert new == "f(x)\ng((b,))\n"
    assert len(applied) == 2


def test_overlapping_fixes_wait_for_the_next_round():
    text = "abcdef\n"
    first = fix((1, 2, 1, 4, "X"))
    overlapping = fix((1, 3, 1, 5, "Y"))
    touching = fix((1, 4, 1, 4, "Z"))
    later = fix((1, 6, 1, 7, "W"))
    new, applied = apply_fixes(text, [later, overlapping, first, touching])
    assert new == "aXdeW\n"
    assert applied == [first, later]


def test_only_the_requested_applicabilities():
    text = "a\n"
    unsafe = fix((1, 1, 1, 2, "b"), applicability="unsafe")
    shown = fix((1, 1, 1, 2, "c"), applicability="display-only")
    assert apply_fixes(text, [unsafe, shown]) == (text, [])
    assert apply_fixes(text, [unsafe, shown], {"safe", "unsafe"}) == ("b\n", [unsafe])


def test_a_fix_whose_own_edits_overlap_is_skipped():
    assert apply_fixes("abc\n", [fix((1, 1, 1, 3, "x"), (1, 2, 1, 4, "y"))]) == ("abc\n", [])


def test_columns_are_characters_and_line_endings_are_kept():
    text = "é = f(1)\r\nx = 2\r\n"
    new, _ = apply_fixes(text, [fix((1, 7, 1, 8, "(1,)")), fix((2, 6, 2, 6, "\ny = 3"))])
    assert new == "é = f((1,))\r\nx = 2\r\ny = 3\r\n"


def test_edit_at_the_very_end_of_a_file_without_newline():
    assert apply_fixes("x = (1)", [fix((1, 7, 1, 7, ","))])[0] == "x = (1,)"


def test_a_fix_that_breaks_the_code_is_rejected_and_the_others_kept():
    text = "a = (1)\nb = (2)\n"
    good = fix((1, 7, 1, 7, ","))
    bad = fix((2, 5, 2, 6, "(("))
    new, applied, rejected = apply_round(text, [good, bad])
    assert new == "a = (1,)\nb = (2)\n"
    assert applied == [good]
    assert rejected == [bad]


def test_fix_text_converges_in_rounds():
    outcome = fix_text(FIXABLE, "db.py")
    assert outcome.text == FIXED
    assert {d.code for d in outcome.fixed} == {"PGL202", "PGL205"}
    assert outcome.converged
    assert outcome.result.diagnostics == []


def test_unified_diff_marks_a_missing_final_newline():
    diff = unified_diff("a\nb", "a\nc", "t.py")
    assert diff.splitlines()[:2] == ["--- t.py", "+++ t.py"]
    assert diff.endswith("+c\n\\ No newline at end of file\n")


# --- --fix and --diff ---------------------------------------------------------------------


def test_fix_writes_the_file_and_exits_0(project):
    path = write(project, "db.py", FIXABLE)
    run = invoke("check", "--fix", "db.py")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert path.read_text() == FIXED
    assert run.stdout.strip() == "Found 2 errors (2 fixed, 0 remaining)."


def test_fix_reports_what_remains_and_exits_1(project):
    path = write(project, "db.py", FIXABLE + INJECTION.replace("import psycopg2\n", ""))
    run = invoke("check", "--fix", "--show-fixes", "--output-format", "concise", "db.py")
    assert run.exit_code == 1
    assert "PGL101" in run.stdout and "PGL202" not in run.stdout.split("Fixed")[0]
    assert "Fixed 2 errors:" in run.stdout
    # The injection's fix is unsafe, so --fix alone leaves it and says so, as ruff does.
    assert run.stdout.rstrip().endswith(
        "Found 3 errors (2 fixed, 1 remaining).\n"
        "No fixes available (1 hidden fix can be enabled with the `--unsafe-fixes` option)."
    )
    assert "(42,)" in path.read_text()


def test_fix_keeps_mode_and_symlinks(project):
    path = write(project, "db.py", FIXABLE)
    os.chmod(path, 0o754)
    link = project / "link.py"
    link.symlink_to(path)
    assert invoke("check", "--no-cache", "--fix", "link.py").exit_code == 0
    assert link.is_symlink()
    assert path.read_text() == FIXED
    assert stat.S_IMODE(path.stat().st_mode) == 0o754
    assert sorted(p.name for p in project.iterdir()) == ["db.py", "link.py", "pyproject.toml"]


def test_unsafe_fixes_only_when_asked(project):
    source = FIXABLE.replace("(42))", "(user_id))").replace("def load():", "def load(user_id):")
    path = write(project, "db.py", source)
    run = invoke("check", "--fix", "db.py")
    assert run.exit_code == 1
    assert "(user_id))" in path.read_text()
    assert "1 hidden fix can be enabled with the `--unsafe-fixes` option" in run.stdout
    assert invoke("check", "--fix", "--unsafe-fixes", "db.py").exit_code == 0
    assert "(user_id,))" in path.read_text()


def test_diff_writes_nothing_and_exits_1(project):
    path = write(project, "db.py", FIXABLE)
    run = invoke("check", "--diff", "db.py")
    assert run.exit_code == 1
    assert path.read_text() == FIXABLE
    assert run.stdout == unified_diff(FIXABLE, FIXED, "db.py")
    assert "Would fix 2 errors." in run.stderr


def test_diff_without_changes_exits_0(project):
    write(project, "db.py", CLEAN)
    write(project, "inj.py", INJECTION)  # a finding, but nothing to fix
    run = invoke("check", "--diff", ".")
    assert (run.exit_code, run.stdout) == (0, "")


def test_fix_on_stdin_prints_the_fixed_source(project):
    run = invoke("check", "--fix", "--stdin-filename", "db.py", "-", input=FIXABLE)
    assert run.exit_code == 0
    assert run.stdout == FIXED
    assert "2 fixed" in run.stderr


def test_fix_on_stdin_reports_remaining_on_stderr(project):
    source = FIXABLE + INJECTION.replace("import psycopg2\n", "")
    run = invoke("check", "--fix", "--output-format", "concise", "-", input=source)
    assert run.exit_code == 1
    assert run.stdout == source.replace("(42))", "(42,))").replace("'a%'", "'a%%'")
    assert "PGL101" in run.stderr


def test_diff_on_stdin(project):
    run = invoke("check", "--diff", "--stdin-filename", "db.py", input=FIXABLE)
    assert run.exit_code == 1
    assert run.stdout == unified_diff(FIXABLE, FIXED, "db.py")


# --- the fixtures -------------------------------------------------------------------------

FIXED_FIXTURES = [p for p in FIXTURE_FILES if p.with_name(p.stem + ".fixed.py").exists()]


def test_fixtures_with_fixed_companions_exist():
    assert FIXED_FIXTURES, "no tests/fixtures/*.fixed.py companions found"


@pytest.mark.parametrize("fixture", FIXED_FIXTURES, ids=[p.name for p in FIXED_FIXTURES])
def test_fix_turns_each_fixture_into_its_companion(project, fixture: Path):
    target = project / fixture.name
    shutil.copyfile(fixture, target)
    expected = fixture.with_name(fixture.stem + ".fixed.py").read_bytes()
    before = target.read_bytes()
    # A rule that is off by default is selected for its own fixture, as a user would.
    code = fixture.name[:6].upper()
    opt_in = ["--extend-select", code] if code in off_by_default() else []
    diff = invoke("check", "--isolated", *opt_in, "--diff", fixture.name)
    assert diff.exit_code == 1
    assert diff.stdout == unified_diff(before.decode(), expected.decode(), fixture.name)
    assert target.read_bytes() == before
    run = invoke(
        "check", "--isolated", *opt_in, "--fix", "--output-format", "concise", fixture.name
    )
    assert run.exit_code in (0, 1), run.stderr
    assert "fix not applied" not in run.stderr
    assert target.read_bytes() == expected
    again = invoke("check", "--isolated", "--diff", fixture.name)
    assert (again.exit_code, again.stdout) == (0, "")


@pytest.mark.slow
def test_fix_on_the_examples_is_complete_and_matches_diff(tmp_path):
    # Two copies of examples/: one fixed by --fix, one patched with --diff's output by
    # the real `patch` tool; they must end up the same, parse, and have no safe fix left.
    fixed_root, patched_root = tmp_path / "fixed", tmp_path / "patched"
    for root in (fixed_root, patched_root):
        shutil.copytree(ROOT / "examples", root / "examples")
        (root / "pyproject.toml").write_text("[tool.pglint]\n")
    diff = console("check", "--diff", "examples", cwd=patched_root)
    assert diff.exit_code == 1 and diff.stdout.startswith("--- examples/")
    subprocess.run(["patch", "-p0", "--quiet"], input=diff.stdout_bytes, cwd=patched_root,
                   check=True)  # fmt: skip
    first = console("check", "--fix", "examples", cwd=fixed_root)
    assert "fixed" in first.stdout
    again = console("check", "--output-format", "json", "examples", cwd=fixed_root)
    safe_left = [
        d["code"]
        for d in json.loads(again.stdout)
        if (d["fix"] or {}).get("applicability") == "safe"
    ]
    assert safe_left == []
    for path in sorted((fixed_root / "examples").rglob("*.py")):
        twin = patched_root / path.relative_to(fixed_root)
        assert path.read_text() == twin.read_text(), path.name
        compile(path.read_text(), str(path), "exec")
    assert any(
        path.read_text() != (ROOT / path.relative_to(fixed_root)).read_text()
        for path in (fixed_root / "examples").rglob("*.py")
    )
