"""The flake8 plugin, through the real flake8: same findings as `pglint check`.

Syntax errors: flake8 does not run tree plugins on a file it cannot parse; it reports
its own E999 instead, so PGL001 is a `pglint check` diagnostic only. (With
`--select PGL` flake8 hides E999 too: select `E999` as well to see it.)
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from conftest import FIXTURE_FILES, INJECTION, ROOT, SYNTAX_ERROR, invoke, write
from pglint.engine import lint_source
from pglint.flake8_plugin import Plugin, guarded

pytestmark = pytest.mark.slow

FORMAT = "%(path)s\t%(row)d\t%(col)d\t%(code)s"


def flake8(*args: str, cwd: Path, input: str | None = None) -> tuple[int, list[tuple], str]:
    done = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", f"--format={FORMAT}", *args],
        cwd=cwd, input=input, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    found = []
    for line in done.stdout.splitlines():
        path, row, col, code = line.split("\t")
        found.append((path, int(row), int(col), code))
    return done.returncode, found, done.stderr


def pglint_json(*args: str) -> list[tuple]:
    run = invoke("check", "--output-format", "json", *args)
    assert run.exit_code in (0, 1), run.stderr
    return [
        (d["filename"], d["location"]["row"], d["location"]["column"], d["code"])
        for d in json.loads(run.stdout)
    ]


def test_fixtures_exist():
    assert FIXTURE_FILES, "no fixtures under tests/fixtures"


def test_flake8_and_pglint_agree_on_every_fixture(monkeypatch):
    monkeypatch.chdir(ROOT)  # both front ends then see the same configuration
    paths = [str(p) for p in FIXTURE_FILES]
    code, by_flake8, stderr = flake8("--select", "PGL", *paths, cwd=ROOT)
    assert code in (0, 1), stderr
    by_pglint = pglint_json(*paths)
    assert by_pglint, "the fixtures produce no findings at all"
    assert Counter(by_flake8) == Counter(by_pglint)


def test_columns_agree_after_non_ascii_text(project):
    source = INJECTION.replace("    cur.execute(", "    é = 'ü'; cur.execute(")
    path = write(project, "db.py", source)
    _, by_flake8, _ = flake8("--select", "PGL", str(path), cwd=project)
    assert by_flake8 == [(str(path), 7, len("    é = 'ü'; ") + 1, "PGL101")]
    assert pglint_json(str(path)) == by_flake8


def test_syntax_error_is_flake8s_e999(project):
    path = write(project, "broken.py", SYNTAX_ERROR)
    _, found, _ = flake8("--select", "PGL,E999", str(path), cwd=project)
    assert [(row, code) for _, row, _, code in found] == [(4, "E999")]
    assert [(row, code) for _, row, _, code in pglint_json(str(path))] == [(4, "PGL001")]


def test_stdin(project):
    _, found, _ = flake8("--select", "PGL", "-", cwd=project, input=INJECTION)
    assert found == [("stdin", 7, 5, "PGL101")]


def test_config_is_read_under_flake8(project):
    write(
        project,
        "pyproject.toml",
        textwrap.dedent(
            """\
            [tool.pglint]
            extend-exclude = ["generated"]

            [tool.pglint.per-file-ignores]
            "tests/*" = ["PGL101"]
            """
        ),
    )
    for name in ("app/db.py", "tests/test_db.py", "generated/db.py"):
        write(project, name, INJECTION)
    _, found, _ = flake8("--select", "PGL", ".", cwd=project)
    assert [(path, code) for path, _, _, code in found] == [("./app/db.py", "PGL101")]
    assert [Path(p).relative_to(project).as_posix() for p, *_ in pglint_json(".")] == ["app/db.py"]


MULTI_LINE_CALL = (
    "cur.execute(OPEN\n        f\"SELECT * FROM users WHERE email = '{email}'\"\n    )CLOSE"
)


@pytest.mark.parametrize(
    ("call", "silenced"),
    [
        (MULTI_LINE_CALL.replace("OPEN", "  # noqa: PGL101").replace("CLOSE", ""), True),
        (MULTI_LINE_CALL.replace("OPEN", "").replace("CLOSE", "  # noqa: PGL101"), False),
    ],
    ids=["on-the-reported-row", "on-the-closing-parenthesis"],
)
def test_noqa_agrees_with_the_command_line(project, call, silenced):
    source = INJECTION.replace(
        "cur.execute(f\"SELECT * FROM users WHERE email = '{email}'\")", call
    )
    assert "# noqa: PGL101" in source
    path = write(project, "db.py", source)
    expected = [] if silenced else [(7, "PGL101")]
    _, found, _ = flake8("--select", "PGL", str(path), cwd=project)
    assert [(row, code) for _, row, _, code in found] == expected
    # (pglint check also reports the comment that silences nothing, as PGL003; flake8
    # has its own way to report unused noqa comments.)
    from_pglint = [(row, code) for _, row, _, code in pglint_json(str(path)) if code != "PGL003"]
    assert from_pglint == expected
    _, found, _ = flake8("--select", "PGL", "--disable-noqa", str(path), cwd=project)
    assert [(row, code) for _, row, _, code in found] == [(7, "PGL101")]


def test_a_broken_config_is_one_pgl000_per_file_and_flake8_goes_on(project):
    write(project, "pyproject.toml", "[tool.pglint]\nselect = 'PGL'\n")
    write(project, "a.py", INJECTION)
    write(project, "b.py", "import os\n")
    code, found, stderr = flake8("--select", "PGL,F", ".", cwd=project)
    assert code == 1
    assert "Traceback" not in stderr
    assert sorted((p, row, c) for p, row, _, c in found) == [
        ("./a.py", 1, "PGL000"),
        ("./a.py", 7, "PGL101"),
        ("./b.py", 1, "F401"),
        ("./b.py", 1, "PGL000"),
    ]


def test_plugin_turns_its_own_failure_into_pgl000():
    tree = ast.parse(INJECTION)
    plugin = Plugin(tree, None, "db.py")  # type: ignore[arg-type]  # breaks inside run()
    [(row, col, message, kind)] = list(plugin.run())
    assert (row, col, kind) == (1, 0, Plugin)
    assert message.startswith("PGL000 internal error while analysing this file: TypeError")


def test_plugin_survives_an_analysis_failure():
    plugin = Plugin(object(), INJECTION.splitlines(keepends=True), "db.py")  # type: ignore[arg-type]
    [(row, col, message, _)] = list(plugin.run())
    assert (row, col) == (1, 0)
    assert message.startswith("PGL000 ")


def test_guard():
    def explode():
        raise ValueError("nope")

    [diagnostic] = guarded(explode, "x.py")
    assert diagnostic.code == "PGL000"
    assert "ValueError: nope" in diagnostic.message


def test_plugin_reports_like_flake8_expects():
    lines = INJECTION.splitlines(keepends=True)
    [(row, col, message, kind)] = list(Plugin(ast.parse(INJECTION), lines, "db.py").run())
    assert (row, col, kind) == (7, 4, Plugin)
    assert message.startswith("PGL101 SQL injection")
    assert "\n" not in message
    assert Plugin.name == "pglint"


def test_the_plugin_gets_the_same_findings_without_suggestions_or_fixes():
    """flake8 shows only the messages, so the plugin asks for no suggestions or fixes
    (they are the dearest part of PGL101): everything else about the findings stays."""
    with_fixes = 0
    for path in FIXTURE_FILES:
        text = path.read_text(encoding="utf-8")
        full = lint_source(text, str(path)).diagnostics
        bare = lint_source(text, str(path), fixes=False).diagnostics
        assert [(d.code, d.location, d.end_location, d.message) for d in bare] == [
            (d.code, d.location, d.end_location, d.message) for d in full
        ], path
        assert all(d.suggestion is None and d.fix is None for d in bare)
        with_fixes += sum(d.fix is not None for d in full)
    assert with_fixes > 20  # the fixtures do have fixes to leave out


def _plugin_codes(filename: str) -> list[str]:
    text = Path(filename).read_text(encoding="utf-8")
    reports = Plugin(ast.parse(text), text.splitlines(keepends=True), filename).run()
    return [message.split()[0] for _, _, message, _ in reports]


def test_the_plugin_reads_the_configuration_where_a_linked_file_points(tmp_path, monkeypatch):
    """The configuration directory is resolved once per directory, but a file that is a
    symbolic link still takes the configuration of the directory it points into."""
    write(tmp_path, "quiet/pyproject.toml", '[tool.pglint]\nignore = ["PGL101"]\n')
    real = write(tmp_path, "quiet/real.py", INJECTION)
    write(tmp_path, "loud/copy.py", INJECTION)
    (tmp_path / "loud" / "link.py").symlink_to(real)
    assert _plugin_codes(str(real)) == []
    assert _plugin_codes(str(tmp_path / "loud" / "copy.py")) == ["PGL101"]
    assert _plugin_codes(str(tmp_path / "loud" / "link.py")) == []
    monkeypatch.chdir(tmp_path / "loud")  # a relative name, as flake8 passes them
    assert _plugin_codes("copy.py") == ["PGL101"]
    assert _plugin_codes("link.py") == []
    monkeypatch.chdir(tmp_path / "quiet")
    assert _plugin_codes("real.py") == []
