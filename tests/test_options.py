"""The options a ruff user reaches for: `pglint.toml` / `.pglint.toml`, `--exclude`,
`--extend-exclude`, `--per-file-ignores`, `--show-settings`, `--show-files`, `--quiet` and
`--color`."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CLEAN, INJECTION, invoke, write
from pglint.config import find_config
from pglint.flake8_plugin import settings_for


@pytest.fixture
def bare(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with no configuration in it (the `project` fixture has one)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def codes(run) -> list[str]:
    return [line.split()[1] for line in run.stdout.splitlines() if ": PGL" in line]


# --- pglint.toml and .pglint.toml ---------------------------------------------------------


@pytest.mark.parametrize("name", ["pglint.toml", ".pglint.toml"])
def test_a_pglint_file_holds_the_keys_at_its_top_level(bare, name):
    write(bare, name, 'ignore = ["PGL101"]\n')
    write(bare, "app.py", INJECTION)
    assert invoke("check", "--no-cache", "app.py").exit_code == 0
    write(bare, name, "")  # an empty one is a configuration too: the defaults
    assert invoke("check", "--no-cache", "app.py").exit_code == 1


@pytest.mark.parametrize(
    ("present", "wins"),
    [
        ((".pglint.toml", "pglint.toml", "pyproject.toml"), ".pglint.toml"),
        (("pglint.toml", "pyproject.toml"), "pglint.toml"),
        (("pyproject.toml",), "pyproject.toml"),
    ],
)
def test_in_one_directory_the_pglint_files_come_first(bare, present, wins):
    for name in present:
        text = "[tool.pglint]\n" if name == "pyproject.toml" else ""
        write(bare, name, text + 'ignore = ["PGL1"]\n' if name == wins else text)
    write(bare, "app.py", INJECTION)
    assert find_config(bare) == bare / wins
    assert invoke("check", "--no-cache", "app.py").exit_code == 0
    assert settings_for(str(bare / "app.py")).config_file == str(bare / wins)  # flake8 too


def test_the_nearest_directory_wins_whatever_the_file_name(bare):
    write(bare, "pglint.toml", 'ignore = ["PGL101"]\n')
    write(bare, "sub/pyproject.toml", "[tool.pglint]\n")
    write(bare, "sub/app.py", INJECTION)
    write(bare, "app.py", INJECTION)
    run = invoke("check", "--no-cache", "--output-format", "concise", ".")
    assert [line.split(":")[0] for line in run.stdout.splitlines() if "PGL101" in line] == [
        str(Path("sub/app.py"))
    ]


def test_a_pyproject_without_a_table_is_passed_over(bare):
    write(bare, "pglint.toml", 'ignore = ["PGL101"]\n')
    write(bare, "sub/pyproject.toml", "[project]\nname = 'x'\n")
    write(bare, "sub/app.py", INJECTION)
    assert invoke("check", "--no-cache", "sub/app.py").exit_code == 0


def test_a_pglint_file_is_validated_like_the_table(bare):
    write(bare, "pglint.toml", 'select = ["PGL9"]\n')
    write(bare, "app.py", CLEAN)
    run = invoke("check", "app.py")
    assert run.exit_code == 2
    assert "pglint.toml" in run.stderr and "unknown rule code 'PGL9'" in run.stderr


# --- excludes and per-file-ignores on the command line ---------------------------------------


def test_exclude_replaces_and_extend_exclude_adds(project):
    write(project, "gen/app.py", INJECTION)
    write(project, "build/app.py", INJECTION)
    write(project, "app.py", INJECTION)
    shown = invoke("check", "--show-files", ".").stdout.split()
    assert shown == ["app.py", str(Path("gen/app.py"))]  # build/ is a default exclude
    shown = invoke("check", "--show-files", "--extend-exclude", "gen", ".").stdout.split()
    assert shown == ["app.py"]
    shown = invoke("check", "--show-files", "--exclude", "gen", ".").stdout.split()
    assert shown == ["app.py", str(Path("build/app.py"))]  # the defaults are replaced


def test_per_file_ignores_on_the_command_line(project):
    write(project, "tests/test_app.py", INJECTION)
    write(project, "app.py", INJECTION)
    run = invoke("check", "--no-cache", "--per-file-ignores", "tests/*:PGL101,PGL601", ".")
    assert "tests" not in run.stdout
    assert codes(run) == ["PGL101"]


@pytest.mark.parametrize("value", ["tests/*", "tests/*:", ":PGL101", "tests/*:PGL9"])
def test_bad_per_file_ignores_exit_2(project, value):
    run = invoke("check", "--per-file-ignores", value, ".")
    assert run.exit_code == 2
    assert "--per-file-ignores" in run.stderr


# --- show-settings, show-files ----------------------------------------------------------------


def test_show_settings_names_the_file_and_the_rules(project):
    write(project, "pyproject.toml", '[tool.pglint]\nignore = ["PGL2"]\n')
    write(project, "tests/test_app.py", INJECTION)
    run = invoke("check", "--show-settings", "--per-file-ignores", "tests/*:PGL101",
                 "tests/test_app.py")  # fmt: skip
    assert run.exit_code == 0
    out = run.stdout
    assert f"Configuration file: {project / 'pyproject.toml'}" in out
    enabled = next(line for line in out.splitlines() if line.startswith("Rules enabled:"))
    assert "PGL101" in enabled and "PGL201" not in enabled
    assert "of which apply to tests/test_app.py: PGL101" in out.replace("\\", "/")


def test_show_files_lists_what_a_run_checks(project):
    write(project, "a.py", CLEAN)
    write(project, "b.ipynb", '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    write(project, "notes.txt", "")
    run = invoke("check", "--show-files", ".")
    assert run.exit_code == 0
    assert run.stdout.split() == ["a.py", "b.ipynb"]


# --- quiet and color --------------------------------------------------------------------------


def test_quiet_prints_the_findings_only(project):
    write(project, "app.py", INJECTION)
    run = invoke("check", "-q", "--output-format", "concise", "app.py", "empty_dir_missing")
    assert run.exit_code == 2  # an error is still said
    write(project, "app.py", INJECTION)
    run = invoke("check", "-q", "--no-cache", "--output-format", "concise", "app.py")
    assert run.exit_code == 1
    assert codes(run) == ["PGL101"]
    assert "Found" not in run.stdout and run.stdout.count("\n") == 1
    (project / "empty").mkdir()
    assert "warning: no Python files" in invoke("check", "--no-cache", "empty").stderr
    assert invoke("check", "-q", "--no-cache", "empty").stderr == ""


@pytest.mark.parametrize(("color", "coloured"), [("always", True), ("never", False)])
def test_color(project, color, coloured):
    write(project, "app.py", INJECTION)
    run = invoke("check", "--no-cache", "--color", color, "app.py")
    assert ("\x1b[" in run.stdout) is coloured
    diff = invoke("check", "--no-cache", "--color", color, "--diff", "--unsafe-fixes", "app.py")
    assert ("\x1b[" in diff.stdout) is coloured


def test_color_auto_is_off_when_not_a_terminal(project):
    write(project, "app.py", INJECTION)
    assert "\x1b[" not in invoke("check", "--no-cache", "app.py").stdout
