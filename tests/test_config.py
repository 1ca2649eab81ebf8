"""`[tool.pglint]`: discovery, validation, merging with the flags, excludes."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from conftest import CLEAN, INJECTION, console, invoke, write
from pglint.config import ConfigError, build_settings, find_config, load_config
from pglint.settings import Selection


def pyproject(root: Path, body: str) -> Path:
    return write(root, "pyproject.toml", "[tool.pglint]\n" + textwrap.dedent(body))


def reported(*args: str) -> list[tuple[str, str]]:
    run = invoke("check", "--output-format", "json", *args)
    assert run.exit_code in (0, 1), run.stderr
    return sorted((Path(d["filename"]).name, d["code"]) for d in json.loads(run.stdout))


# --- discovery ----------------------------------------------------------------------------


def test_nearest_pyproject_above_the_working_directory(project, monkeypatch):
    pyproject(project, 'ignore = ["PGL101"]\n')
    write(project, "src/app/db.py", INJECTION)
    monkeypatch.chdir(project / "src" / "app")
    assert invoke("check", "db.py").exit_code == 0


def test_pyproject_without_a_pglint_table_is_passed_over(project, monkeypatch):
    pyproject(project, 'ignore = ["PGL101"]\n')
    write(project, "sub/pyproject.toml", "[project]\nname = 'sub'\n")
    write(project, "sub/db.py", INJECTION)
    monkeypatch.chdir(project / "sub")
    assert find_config(Path.cwd()) == project / "pyproject.toml"
    assert invoke("check", "db.py").exit_code == 0


def test_explicit_config_file(project):
    pyproject(project, 'ignore = ["PGL101"]\n')
    write(project, "other.toml", 'select = ["PGL2"]\n')
    write(project, "db.py", INJECTION)
    assert invoke("check", "db.py").exit_code == 0
    assert invoke("check", "--config", "pyproject.toml", "db.py").exit_code == 0
    assert invoke("check", "--config", "other.toml", "db.py").exit_code == 0
    assert invoke("check", "--isolated", "db.py").exit_code == 1
    assert invoke("check", "--no-config", "db.py").exit_code == 1


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ('selct = ["PGL1"]\n', "unknown key 'selct' (did you mean 'select'?)"),
        ("per_file_ignores = {}\n", "did you mean 'per-file-ignores'?"),
        ('select = "PGL1"\n', "'select' must be a list of strings, got a string ('PGL1')"),
        ("ignore = [101]\n", "'ignore' must be a list of strings"),
        ('extend-select = ["E501"]\n', "'extend-select' has an invalid rule code 'E501'"),
        ('per-file-ignores = ["tests"]\n', "'per-file-ignores' must be a table"),
        ('[tool.pglint.per-file-ignores]\n"tests/*" = "PGL101"\n', "must be a list of strings"),
        ('[tool.pglint.per-file-ignores]\n"tests/*" = ["PGL10x"]\n', "invalid rule code 'PGL10x'"),
        ('select = ["PGL9"]\n', "'select' has an unknown rule code 'PGL9'"),
        ('ignore = ["PGL999"]\n', "'ignore' has an unknown rule code 'PGL999'"),
        ('extend-select = ["PGL99"]\n', "'extend-select' has an unknown rule code 'PGL99'"),
        ('[tool.pglint.per-file-ignores]\n"tests/*" = ["PGL9"]\n', "unknown rule code 'PGL9'"),
        ("exclude = [1]\n", "'exclude' must be a list of strings"),
        ("extend-exclude = true\n", "got a boolean"),
    ],
)
def test_invalid_configuration_exits_2_naming_file_and_key(project, body, needle):
    pyproject(project, body)
    write(project, "a.py", CLEAN)
    run = invoke("check", "a.py")
    assert run.exit_code == 2
    assert needle in run.stderr
    assert str(project / "pyproject.toml") in run.stderr
    assert "Traceback" not in run.stderr


def test_invalid_toml_exits_2(project):
    write(project, "pyproject.toml", "[tool.pglint\nselect = [\n")
    write(project, "a.py", CLEAN)
    run = invoke("check", "a.py")
    assert run.exit_code == 2
    assert "not valid TOML" in run.stderr


def test_explicit_pyproject_without_table_is_an_error(project):
    write(project, "other/pyproject.toml", "[project]\nname='x'\n")
    run = invoke("check", "--config", "other/pyproject.toml", ".")
    assert run.exit_code == 2
    assert "no [tool.pglint] table" in run.stderr


def test_load_config_reports_through_config_error(tmp_path):
    path = write(tmp_path, "pyproject.toml", "[tool.pglint]\nbogus = 1\n")
    with pytest.raises(ConfigError, match="bogus"):
        load_config(path)


def test_config_is_validated_in_a_subprocess_too(tmp_path):
    pyproject(tmp_path, 'select = ["PGL1", "ALL", "nope"]\n')
    run = console("check", cwd=tmp_path)
    assert run.exit_code == 2
    assert "invalid rule code 'nope'" in run.stderr


# --- merging with the flags ---------------------------------------------------------------


def test_flags_win(project):
    pyproject(project, 'select = ["PGL2"]\n')
    write(project, "db.py", INJECTION)
    assert reported("db.py") == []
    assert reported("--select", "PGL1", "db.py") == [("db.py", "PGL101")]
    assert reported("--extend-select", "PGL101", "db.py") == [("db.py", "PGL101")]


def test_flag_ignore_adds_to_the_config(project):
    pyproject(project, 'ignore = ["PGL2"]\n')
    write(project, "db.py", INJECTION)
    assert reported("--ignore", "PGL101", "db.py") == []


def test_select_on_the_command_line_resets_the_config_ignores(project):
    # ruff's layering: a later `select` replaces everything before it.
    pyproject(project, 'ignore = ["PGL101"]\n')
    write(project, "db.py", INJECTION)
    assert reported("db.py") == []
    assert reported("--select", "PGL", "db.py") == [("db.py", "PGL101")]


def test_layers():
    config = load_config_from({"select": ["PGL1"], "ignore": ["PGL102"]})
    settings = build_settings(config, Selection(None, ("PGL101",), ("PGL2",)))
    enabled = {c for c in ("PGL101", "PGL102", "PGL201", "PGL301") if settings.is_enabled(c)}
    assert enabled == {"PGL201"}
    settings = build_settings(config, Selection(("ALL",), ("PGL1",), ()))
    assert settings.is_enabled("PGL201") and not settings.is_enabled("PGL101")
    settings = build_settings(load_config_from({"ignore": ["ALL"]}))
    assert not settings.is_enabled("PGL101")


def load_config_from(table: dict) -> object:
    import tempfile

    lines = [f"{key} = {json.dumps(value)}" for key, value in table.items()]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "pyproject.toml"
        path.write_text("[tool.pglint]\n" + "\n".join(lines) + "\n")
        return load_config(path)


# --- per-file-ignores and excludes --------------------------------------------------------


def test_per_file_ignores(project):
    pyproject(
        project,
        """\
        [tool.pglint.per-file-ignores]
        "tests/*" = ["PGL101"]
        "scripts/one_off.py" = ["PGL1"]
        """,
    )
    for name in ("tests/test_db.py", "scripts/one_off.py", "scripts/other.py", "app/db.py"):
        write(project, name, INJECTION)
    assert reported(".") == [("db.py", "PGL101"), ("other.py", "PGL101")]


def test_per_file_ignores_are_relative_to_the_config_file(project, monkeypatch):
    pyproject(project, '[tool.pglint.per-file-ignores]\n"app/legacy/*" = ["PGL101"]\n')
    write(project, "app/legacy/db.py", INJECTION)
    write(project, "app/new/db.py", INJECTION)
    monkeypatch.chdir(project / "app")
    names = [f for f, _ in reported("--output-format", "json", ".")]
    assert names == ["db.py"]
    run = invoke("check", "--output-format", "concise", ".")
    assert run.stdout.startswith("new/db.py:")


def test_per_file_ignores_apply_to_stdin_filename(project):
    pyproject(project, '[tool.pglint.per-file-ignores]\n"tests/*" = ["PGL101"]\n')
    run = invoke("check", "--stdin-filename", "tests/test_x.py", "-", input=INJECTION)
    assert run.exit_code == 0


def test_exclude_replaces_the_defaults_and_extend_exclude_adds(project):
    for name in ("app/db.py", "migrations/0001.py", ".venv/lib/x.py", "gen/out.py"):
        write(project, name, INJECTION)
    assert [n for n, _ in reported(".")] == ["0001.py", "db.py", "out.py"]
    pyproject(project, 'extend-exclude = ["migrations", "gen/*.py"]\n')
    assert [n for n, _ in reported(".")] == ["db.py"]
    pyproject(project, 'exclude = ["migrations"]\n')
    assert sorted(n for n, _ in reported(".")) == ["db.py", "out.py", "x.py"]


def test_named_files_are_linted_unless_force_exclude(project):
    pyproject(project, 'extend-exclude = ["migrations"]\n')
    write(project, "migrations/0001.py", INJECTION)
    assert reported("migrations/0001.py") == [("0001.py", "PGL101")]
    assert reported("--force-exclude", "migrations/0001.py") == []
    assert reported("--force-exclude", "migrations") == []
    run = invoke("check", "--force-exclude", "--stdin-filename", "migrations/x.py", "-",
                 input=INJECTION)  # fmt: skip
    assert run.exit_code == 0
