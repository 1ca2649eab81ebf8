"""Options CI and pre-commit lean on: exit-code switches, `.gitignore`, click's own errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import CLEAN, FIXABLE, INJECTION, console, invoke, write


def linted(*args: str) -> list[str]:
    run = invoke("check", "--output-format", "json", *args)
    assert run.exit_code in (0, 1), run.stderr
    return sorted(Path(d["filename"]).name for d in json.loads(run.stdout))


# --- exit-code switches -------------------------------------------------------------------


def test_exit_non_zero_on_fix(project):
    path = write(project, "db.py", FIXABLE)
    assert invoke("check", "--fix", "db.py").exit_code == 0  # everything was fixed
    path.write_text(FIXABLE)
    run = invoke("check", "--fix", "--exit-non-zero-on-fix", "db.py")
    assert run.exit_code == 1
    assert "2 fixed, 0 remaining" in run.stdout
    # Nothing left to fix: 0 again.
    assert invoke("check", "--fix", "--exit-non-zero-on-fix", "db.py").exit_code == 0


def test_exit_zero_wins_over_exit_non_zero_on_fix(project):
    write(project, "db.py", FIXABLE + INJECTION.replace("import psycopg2\n", ""))
    run = invoke("check", "--fix", "--exit-non-zero-on-fix", "--exit-zero", "db.py")
    assert run.exit_code == 0


def test_show_fixes_lists_what_was_fixed(project):
    write(project, "db.py", FIXABLE)
    run = invoke("check", "--fix", "--show-fixes", "db.py")
    assert "Fixed 2 errors:" in run.stdout
    assert "1 \u00d7 PGL202 (parameter-shape-mismatch)" in run.stdout


def test_statistics_counts_per_rule(project):
    write(project, "a.py", INJECTION)
    write(project, "b.py", INJECTION)
    run = invoke("check", "--statistics", ".")
    assert run.exit_code == 1
    assert run.stdout.split("\t")[:2] == ["2", "PGL101"]


# --- .gitignore ---------------------------------------------------------------------------


@pytest.fixture
def repo(project: Path) -> Path:
    (project / ".git").mkdir()
    write(project, ".gitignore", "generated/\n*_pb2.py\n!keep_pb2.py\n/scratch.py\n")
    for name in ("app/db.py", "generated/db.py", "app/api_pb2.py", "app/keep_pb2.py",
                 "scratch.py", "app/scratch.py"):  # fmt: skip
        write(project, name, INJECTION)
    return project


def test_gitignore_is_respected_when_walking(repo):
    names = linted(".")
    assert names == ["db.py", "keep_pb2.py", "scratch.py"]  # app/scratch.py is not anchored
    run = invoke("check", "--output-format", "concise", ".")
    assert "scratch.py:" in run.stdout and "app/scratch.py:" in run.stdout
    assert not any(line.startswith("scratch.py:") for line in run.stdout.splitlines())


def test_nested_gitignore_and_gitignore_above_the_start(repo, monkeypatch):
    write(repo, "app/.gitignore", "db.py\n")
    assert linted(".") == ["keep_pb2.py", "scratch.py"]
    monkeypatch.chdir(repo / "app")
    assert linted(".") == ["keep_pb2.py", "scratch.py"]  # the root .gitignore still applies


def test_git_info_exclude(repo):
    write(repo, ".git/info/exclude", "app/db.py\napp/keep_pb2.py\n")
    # .gitignore files take precedence over info/exclude, so `!keep_pb2.py` still wins.
    assert linted(".") == ["keep_pb2.py", "scratch.py"]


def test_named_files_are_linted_even_if_ignored(repo):
    assert linted("generated/db.py") == ["db.py"]


def test_gitignore_can_be_turned_off(repo):
    everything = ["api_pb2.py", "db.py", "db.py", "keep_pb2.py", "scratch.py", "scratch.py"]
    assert linted("--no-respect-gitignore", ".") == everything
    write(repo, "pyproject.toml", "[tool.pglint]\nrespect-gitignore = false\n")
    assert linted(".") == everything
    assert linted("--respect-gitignore", ".") == ["db.py", "keep_pb2.py", "scratch.py"]


def test_respect_gitignore_must_be_a_boolean(project):
    write(project, "pyproject.toml", '[tool.pglint]\nrespect-gitignore = "yes"\n')
    run = invoke("check", ".")
    assert run.exit_code == 2
    assert "'respect-gitignore' must be true or false" in run.stderr


def test_excluded_directories_are_not_entered(project):
    write(project, "pyproject.toml", '[tool.pglint]\nextend-exclude = ["vendored"]\n')
    write(project, "vendored/lib/db.py", INJECTION)
    write(project, "app.py", CLEAN)
    assert invoke("check", ".").exit_code == 0


# --- exit code 2 for everything click rejects ---------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--select"],  # option without its value
        ["check", "--output-format"],
        ["check", "-o"],
        ["check", "--fix=yes"],  # a flag given a value
        ["check", "--config", "."],  # a directory where a file is wanted
        ["rule", "--all", "extra", "args"],
        ["check", "--unknown"],
    ],
)
def test_click_usage_errors_exit_2(project, args):
    run = invoke(*args)
    assert run.exit_code == 2, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr


@pytest.mark.slow
def test_click_usage_error_exits_2_in_a_real_process(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.pglint]\n")
    for args in (["check", "--bogus"], ["check", "--output-format", "xml"], ["check", "-o"]):
        run = console(*args, cwd=tmp_path)
        assert run.exit_code == 2, (args, run.stderr)
        assert "Traceback" not in run.stderr
