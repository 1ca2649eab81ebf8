"""Nested projects: each file follows its nearest `[tool.pglint]`, in both front ends."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import INJECTION, invoke, write


@pytest.fixture
def nested(project: Path) -> Path:
    write(project, "app/db.py", INJECTION)
    write(project, "sub/pyproject.toml",
          '[tool.pglint]\nignore = ["PGL101"]\nextend-exclude = ["generated"]\n')  # fmt: skip
    write(project, "sub/db.py", INJECTION)
    write(project, "sub/generated/db.py", INJECTION.replace("'{email}'", "'{email}' -- x"))
    return project


def reported(*args: str) -> list[str]:
    run = invoke("check", "--output-format", "json", *args)
    assert run.exit_code in (0, 1), run.stderr
    root = Path.cwd()
    return sorted(Path(d["filename"]).relative_to(root).as_posix() for d in json.loads(run.stdout))


def test_a_sub_project_follows_its_own_table(nested):
    assert reported(".") == ["app/db.py"]


def test_a_sub_projects_excludes_apply_when_walking_but_not_to_named_files(nested):
    write(nested, "sub/pyproject.toml", '[tool.pglint]\nextend-exclude = ["generated"]\n')
    assert reported(".") == ["app/db.py", "sub/db.py"]
    assert reported("sub/generated/db.py") == ["sub/generated/db.py"]
    assert reported("--force-exclude", "sub/generated/db.py") == []


def test_config_flag_applies_one_table_to_every_file(nested):
    write(nested, "strict.toml", 'select = ["PGL"]\n')
    assert reported("--config", "strict.toml", ".") == [
        "app/db.py", "sub/db.py", "sub/generated/db.py"
    ]  # fmt: skip
    assert len(reported("--isolated", ".")) == 3


def test_flags_still_win_in_a_sub_project(nested):
    assert reported("--select", "PGL1", ".") == ["app/db.py", "sub/db.py"]


def test_stdin_filename_picks_the_sub_projects_table(nested):
    run = invoke("check", "--stdin-filename", "sub/x.py", "-", input=INJECTION)
    assert run.exit_code == 0
    run = invoke("check", "--stdin-filename", "app/x.py", "-", input=INJECTION)
    assert run.exit_code == 1


def test_a_broken_sub_project_table_is_an_error_and_the_rest_is_linted(nested):
    write(nested, "sub/pyproject.toml", "[tool.pglint]\nselct = []\n")
    run = invoke("check", "--output-format", "concise", ".")
    assert run.exit_code == 2
    assert "unknown key 'selct'" in run.stderr
    assert "app/db.py:7:5: PGL101" in run.stdout


@pytest.mark.slow
def test_flake8_agrees(nested):
    done = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select", "PGL",
         "--format=%(path)s", "app", "sub"],
        cwd=nested, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert sorted(Path(p).as_posix() for p in done.stdout.split()) == reported("app", "sub")


def test_a_linked_file_does_not_lend_its_table_to_its_neighbours(nested):
    """`app/a_link.py` points into `sub/`, so it follows `sub`'s table; `app/db.py`, read
    after it from the same directory, still follows its own (none)."""
    (nested / "app" / "a_link.py").symlink_to(nested / "sub" / "db.py")
    assert reported("app") == ["app/db.py"]
    assert reported("app/db.py", "app/a_link.py") == ["app/db.py"]


def test_flake8_agrees_about_linked_files(nested):
    (nested / "app" / "a_link.py").symlink_to(nested / "sub" / "db.py")
    done = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select", "PGL",
         "--format=%(path)s", "app"],
        cwd=nested, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert sorted(Path(p).as_posix() for p in done.stdout.split()) == ["app/db.py"]
