"""`pglint check` and `pglint rule`: exit codes, inputs, selection, in-process and for real."""

from __future__ import annotations

import json
import sys

import click
import pytest
from click.testing import CliRunner

from conftest import (
    CLEAN,
    FIXTURE_FILES,
    INJECTION,
    INJECTION_COLUMN,
    INJECTION_ROW,
    SYNTAX_ERROR,
    SYNTAX_ERROR_ROW,
    console,
    invoke,
    write,
)
from pglint import __version__
from pglint.cli import _Pglint


def codes_in(stdout: str) -> list[tuple[str, int, str]]:
    return [(d["filename"], d["location"]["row"], d["code"]) for d in json.loads(stdout)]


# --- exit codes -------------------------------------------------------------------------


def test_clean_file_exits_0(project):
    write(project, "app.py", CLEAN)
    run = invoke("check", "app.py")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert run.stdout == "All checks passed!\n"


def test_finding_exits_1(project):
    write(project, "app.py", INJECTION)
    run = invoke("check", "app.py")
    assert run.exit_code == 1
    assert f"app.py:{INJECTION_ROW}:{INJECTION_COLUMN}: PGL101 " in run.stdout
    assert run.stdout.rstrip().endswith(
        "Found 1 error.\n"
        "No fixes available (1 hidden fix can be enabled with the `--unsafe-fixes` option)."
    )


def test_exit_zero(project):
    write(project, "app.py", INJECTION)
    run = invoke("check", "--exit-zero", "app.py")
    assert run.exit_code == 0
    assert "PGL101" in run.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--no-such-option"],
        ["check", "--output-format", "xml"],
        ["check", "--select", "E501"],
        ["check", "--ignore", "PGL1O1"],
        ["check", "--extend-select", "pgl101"],
        ["check", "--config", "missing.toml"],
        ["nonsense"],
        [],
    ],
    ids=["option", "format", "foreign-code", "typo-code", "lowercase", "config", "command", "none"],
)
def test_usage_errors_exit_2(project, args):
    run = invoke(*args)
    assert run.exit_code == 2, (run.stdout, run.stderr)
    assert "Traceback" not in run.stdout + run.stderr


def test_invalid_code_message_names_the_option_and_the_rule(project):
    run = invoke("check", "--select", "PGL101,SQL1")
    assert run.exit_code == 2
    assert "--select" in run.stderr
    assert "'SQL1'" in run.stderr


@pytest.mark.parametrize("option", ["--select", "--ignore", "--extend-select"])
@pytest.mark.parametrize("code", ["PGL9", "PGL99", "PGL999"])
def test_well_formed_code_that_matches_no_rule_exits_2(project, option, code):
    # A typo in CI (`--select PGL9`) must not turn the linter off with "All checks passed!".
    write(project, "app.py", INJECTION)
    run = invoke("check", option, f"PGL101,{code}", "app.py")
    assert run.exit_code == 2, run.stdout
    assert f"unknown rule code '{code}'" in run.stderr
    assert option in run.stderr
    assert "All checks passed" not in run.stdout + run.stderr


def test_every_prefix_of_a_registered_code_is_accepted(project):
    write(project, "app.py", INJECTION)
    for code in ("ALL", "PGL", "PGL1", "PGL10", "PGL101"):
        assert invoke("check", "--select", code, "app.py").exit_code == 1, code


def _tiny_cli(exc: BaseException) -> click.Group:
    @click.group(cls=_Pglint)
    def group() -> None:
        pass

    @group.command()
    def boom() -> None:
        raise exc

    return group


@pytest.mark.parametrize(
    "exc",
    [RuntimeError("bug"), click.ClickException("bad input"), click.Abort(), KeyError("k")],
    ids=["exception", "click-exception", "abort", "keyerror"],
)
def test_every_way_a_command_can_fail_exits_2(exc):
    # click exits 1 for its own ClickException and shows a traceback for anything else.
    result = CliRunner().invoke(_tiny_cli(exc), ["boom"])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


def test_internal_error_names_the_error(project):
    result = CliRunner().invoke(_tiny_cli(RuntimeError("the bug")), ["boom"])
    assert "pglint: error: internal error: RuntimeError: the bug" in result.stderr


def test_version_and_help():
    assert invoke("--version").stdout.strip() == f"pglint, version {__version__}"
    run = invoke("check", "--help")
    assert run.exit_code == 0
    for option in ("--select", "--fix", "--diff", "--output-format", "--stdin-filename"):
        assert option in run.stdout


# --- inputs -------------------------------------------------------------------------------


def test_syntax_error_is_pgl001_on_its_line(project):
    write(project, "broken.py", SYNTAX_ERROR)
    run = invoke("check", "--output-format", "json", "broken.py")
    assert run.exit_code == 1
    [item] = json.loads(run.stdout)
    assert item["code"] == "PGL001"
    assert item["location"]["row"] == SYNTAX_ERROR_ROW
    assert "SyntaxError" in item["message"]


def test_newer_f_string_syntax_names_the_python_version(project):
    # Quotes nested in an f-string are valid from Python 3.12 on.
    write(
        project,
        "report.py",
        'import psycopg2; connect = psycopg2.connect\nrow = {"a": 1}\nlabel = f"{row["a"]}"\n',
    )
    run = invoke("check", "--output-format", "json", "report.py")
    items = json.loads(run.stdout)
    if sys.version_info >= (3, 12):
        assert (run.exit_code, items) == (0, [])
    else:  # not broken: written for a newer Python, so not checked here
        [item] = items
        assert item["code"] == "PGL002"
        assert item["location"]["row"] == 3
        assert "need Python 3.12" in item["message"]
        running = f"{sys.version_info[0]}.{sys.version_info[1]}"
        assert f"need Python 3.12; this is Python {running}" in item["message"]


def test_own_conditions_are_reported_whatever_is_selected(project):
    write(project, "broken.py", SYNTAX_ERROR)
    run = invoke("check", "--select", "PGL2", "--output-format", "concise", "broken.py")
    assert "PGL001" in run.stdout
    assert run.exit_code == 1


def test_directory_is_walked_and_non_python_files_skipped(project):
    write(project, "pkg/a.py", INJECTION)
    write(project, "pkg/sub/b.py", INJECTION)
    write(project, "pkg/sub/stub.pyi", CLEAN)
    write(project, "pkg/notes.txt", INJECTION)
    write(project, "pkg/.venv/lib/c.py", INJECTION)  # excluded by default
    run = invoke("check", "--output-format", "json", "pkg")
    files = sorted({f for f, _, _ in codes_in(run.stdout)})
    assert [f.rsplit("/", 2)[-2:] for f in files] == [["pkg", "a.py"], ["sub", "b.py"]]


def test_default_path_is_the_working_directory(project):
    write(project, "a.py", INJECTION)
    run = invoke("check", "--output-format", "concise")
    assert run.stdout.startswith(f"a.py:{INJECTION_ROW}:")


def test_no_python_files_warns_and_exits_0(project):
    (project / "empty").mkdir()
    run = invoke("check", "empty")
    assert run.exit_code == 0
    assert "no Python files" in run.stderr


def test_missing_file_is_an_error_and_the_rest_is_still_linted(project):
    write(project, "a.py", INJECTION)
    run = invoke("check", "--output-format", "concise", "missing.py", "a.py")
    assert run.exit_code == 2
    assert "pglint: error: missing.py: No such file or directory" in run.stderr
    assert "a.py:7:5: PGL101" in run.stdout


def test_undecodable_file_is_an_error_and_the_rest_is_still_linted(project):
    write(project, "bad.py", b"x = '\xff\xfe'\n")
    write(project, "z.py", INJECTION)
    run = invoke("check", "--output-format", "concise", ".")
    assert run.exit_code == 2
    [line] = run.stderr.splitlines()
    assert line.startswith("pglint: error: bad.py: ")
    assert "Traceback" not in run.stderr
    assert "z.py:7:5: PGL101" in run.stdout


def test_exit_zero_does_not_hide_errors(project):
    write(project, "bad.py", b"\xff\n")
    assert invoke("check", "--exit-zero", "bad.py").exit_code == 2
    # A path that cannot be read is a finding of the run, as ruff's E902: it does.
    run = invoke("check", "--exit-zero", "missing.py")
    assert (run.exit_code, run.stderr) == (
        0,
        "pglint: error: missing.py: No such file or directory\n",
    )


# --- stdin --------------------------------------------------------------------------------


def test_stdin_with_filename(project):
    run = invoke("check", "--stdin-filename", "app/db.py", "--output-format", "concise", "-",
                 input=INJECTION)  # fmt: skip
    assert run.exit_code == 1
    assert run.stdout.startswith(f"app/db.py:{INJECTION_ROW}:{INJECTION_COLUMN}: PGL101")


def test_stdin_filename_alone_reads_stdin(project):
    run = invoke("check", "--stdin-filename", "db.py", "--output-format", "json", input=INJECTION)
    assert [(row, code) for _, row, code in codes_in(run.stdout)] == [(INJECTION_ROW, "PGL101")]


def test_stdin_without_filename_is_dash(project):
    run = invoke("check", "--output-format", "json", "-", input=INJECTION)
    assert json.loads(run.stdout)[0]["filename"] == "-"


def test_empty_stdin_is_clean(project):
    run = invoke("check", "-", input=b"")
    assert run.exit_code == 0, run.stderr
    assert run.stderr == ""


def test_dash_cannot_be_mixed_with_paths(project):
    write(project, "a.py", CLEAN)
    assert invoke("check", "-", "a.py", input=b"").exit_code == 2


# --- selection ----------------------------------------------------------------------------


def test_ignore(project):
    write(project, "a.py", INJECTION)
    assert invoke("check", "--ignore", "PGL101", "a.py").exit_code == 0
    assert invoke("check", "--ignore", "PGL1", "a.py").exit_code == 0


def test_select_replaces_and_extend_select_adds(project):
    write(project, "a.py", INJECTION)
    assert invoke("check", "--select", "PGL2", "a.py").exit_code == 0
    assert invoke("check", "--select", "PGL2", "--extend-select", "PGL101", "a.py").exit_code == 1
    assert invoke("check", "--select", "PGL2,PGL101", "a.py").exit_code == 1
    assert invoke("check", "--select", "PGL2", "--select", "PGL1", "a.py").exit_code == 1


def test_more_specific_select_beats_broader_ignore(project):
    write(project, "a.py", INJECTION)
    assert invoke("check", "--ignore", "PGL1", "--extend-select", "PGL101", "a.py").exit_code == 1
    assert invoke("check", "--select", "ALL", "--ignore", "PGL101", "a.py").exit_code == 0


# --- rule ---------------------------------------------------------------------------------


def test_rule_prints_documentation():
    run = invoke("rule", "PGL101")
    assert run.exit_code == 0
    assert run.stdout.startswith("## PGL101: sql-interpolated-value")
    assert "### What it does" in run.stdout


def test_rule_accepts_lowercase_and_names():
    assert invoke("rule", "pgl202").stdout == invoke("rule", "parameter-shape-mismatch").stdout


def test_rule_unknown_exits_2():
    run = invoke("rule", "PGL999")
    assert run.exit_code == 2
    assert "unknown rule code 'PGL999'" in run.stderr
    assert invoke("rule").exit_code == 2


def test_rule_all():
    run = invoke("rule", "--all")
    assert run.exit_code == 0
    assert "## PGL000: internal-error" in run.stdout
    assert "## PGL205: unescaped-percent" in run.stdout


# --- the real console script --------------------------------------------------------------


@pytest.mark.slow
def test_console_script_exit_codes(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.pglint]\n")
    write(tmp_path, "clean.py", CLEAN)
    write(tmp_path, "bad.py", INJECTION)
    assert console("check", "clean.py", cwd=tmp_path).exit_code == 0
    run = console("check", "--output-format", "concise", "bad.py", cwd=tmp_path)
    assert run.exit_code == 1
    assert run.stdout.startswith("bad.py:7:5: PGL101 ")
    run = console("check", "--select", "nope", cwd=tmp_path)
    assert run.exit_code == 2
    assert "Traceback" not in run.stderr


def test_console_script_stdin_and_json(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.pglint]\n")
    run = console("check", "--output-format", "json", "--stdin-filename", "x.py", "-",
                  cwd=tmp_path, input=INJECTION.encode())  # fmt: skip
    assert run.exit_code == 1
    [item] = json.loads(run.stdout)
    assert item["code"] == "PGL101"
    assert item["filename"] == str(tmp_path / "x.py")


def test_console_script_undecodable(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.pglint]\n")
    write(tmp_path, "bad.py", b"# coding: utf-8\nname = '\xe9'\n")
    write(tmp_path, "good.py", CLEAN)
    run = console("check", ".", cwd=tmp_path)
    assert run.exit_code == 2
    assert run.stderr.startswith("pglint: error: bad.py: not valid utf-8: byte 0xe9 at row 2")
    assert run.stdout.strip() == ""


def test_python_dash_m(tmp_path):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "pglint", "rule", "PGL205"], capture_output=True, text=True
    )
    assert done.returncode == 0
    assert "unescaped-percent" in done.stdout


def test_json_stays_valid_when_a_file_cannot_be_read(project):
    write(project, "bad.py", b"x = '\xff'\n")
    write(project, "ok.py", INJECTION)
    run = invoke("check", "--output-format", "json", ".")
    assert run.exit_code == 2
    assert [(f.rsplit("/", 1)[-1], code) for f, _, code in codes_in(run.stdout)] == [
        ("ok.py", "PGL101")
    ]
    assert run.stderr.startswith("pglint: error: bad.py: ")


@pytest.mark.parametrize("args", [["--stdin-filename", "app/db.py", "-"],
                                  ["--stdin-filename", "app/db.py", "--fix", "-"],
                                  ["--stdin-filename", "nb.ipynb", "-"],
                                  ["--output-format", "json", "-"]])  # fmt: skip
def test_empty_stdin_is_clean_in_every_mode(project, args):
    run = invoke("check", *args, input=b"")
    assert run.exit_code == 0, run.stderr
    assert "error" not in run.stderr


@pytest.mark.slow
def test_parallel_run_reports_exactly_what_one_process_reports(project):
    # Enough files to use worker processes (and every fixture's findings among them).
    for path in FIXTURE_FILES:
        write(project, f"pkg/{path.name}", path.read_bytes())
    for i in range(20):
        write(project, f"pkg/clean_{i}.py", CLEAN)
    write(project, "pkg/broken.py", SYNTAX_ERROR)
    one = invoke("check", "--output-format", "json", "-j", "1", "pkg")
    two = invoke("check", "--output-format", "json", "-j", "2", "pkg")
    assert len(list((project / "pkg").glob("*.py"))) >= 32
    assert one.exit_code == two.exit_code == 1
    assert json.loads(one.stdout) == json.loads(two.stdout)
    assert any(d["code"] == "PGL001" for d in json.loads(two.stdout))


def test_jobs_must_not_be_negative(project):
    assert invoke("check", "-j", "-1", ".").exit_code == 2
