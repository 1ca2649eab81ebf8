"""PGL003: a `# noqa` comment whose pglint codes silence nothing (like ruff's RUF100), with
a safe fix that removes them; other tools' codes, bare `# noqa` and rules turned off for
the file are left alone; not reported under flake8."""

from __future__ import annotations

import ast
import textwrap

import pytest

from conftest import invoke, write
from pglint.engine import lint_source
from pglint.fixes import fix_text
from pglint.flake8_plugin import Plugin
from pglint.settings import Selection, Settings

HEAD = "import psycopg2\n\nconn = psycopg2.connect()\ncur = conn.cursor()\n"
FINE = 'cur.execute("SELECT * FROM users WHERE id = %s", (42,))'
BAD = 'cur.execute("SELECT * FROM users WHERE id = %s", (42))'  # PGL202, safe fix


def found(body: str, settings: Settings | None = None) -> list[tuple[int, str]]:
    result = lint_source(HEAD + body, "app.py", settings or Settings())
    return [(d.location.row - 4, d.code) for d in result.diagnostics]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (f"{FINE}  # noqa: PGL202\n", [(1, "PGL003")]),
        (f"{BAD}  # noqa: PGL202\n", []),
        (f"{BAD}  # noqa: PGL2\n", []),  # a prefix that silences something is used
        (f"{BAD}  # noqa: PGL202, PGL101\n", [(1, "PGL003")]),  # one of two unused
        (f"{FINE}  # noqa: E501, F401\n", []),  # other tools' codes are theirs
        (f"{FINE}  # noqa\n", []),  # a bare noqa may be for any tool
        (f"{FINE}  # noqa: PGL999\n", [(1, "PGL003")]),  # no rule has it
        (f'x = "# noqa: PGL202"\n{FINE}\n', []),  # in a string, not a comment
        (f"# flake8: noqa\n{FINE}  # noqa: PGL202\n", []),  # the file is exempt
        (
            'cur.execute("""\n    SELECT * FROM users WHERE id = %s\n""", (42))  # noqa: PGL202\n',
            [],  # at the end of a multi-line string it covers the call's first row
        ),
        (f"{FINE}  # noqa: PGL202  # noqa: PGL003\n", []),  # PGL003 is silenced like any
    ],
    ids=[
        "unused",
        "used",
        "prefix",
        "one-of-two",
        "other-tools",
        "bare",
        "unknown",
        "in-a-string",
        "file-exempt",
        "multi-line-string",
        "silenced",
    ],
)
def test_which_comments_are_unused(body, expected):
    assert found(body) == expected


def test_codes_of_rules_turned_off_are_not_reported():
    body = f"{FINE}  # noqa: PGL202\n"
    off = Settings(layers=(Selection(ignore=("PGL202",)),))
    assert found(body, off) == []
    assert found(body, Settings(layers=(Selection(ignore=("PGL003",)),))) == []


@pytest.mark.parametrize(
    ("line", "fixed"),
    [
        (f"{FINE}  # noqa: PGL202\n", f"{FINE}\n"),
        (f"{FINE}  # noqa: E501, PGL202\n", f"{FINE}  # noqa: E501\n"),
        (
            f"{FINE}  # noqa: PGL202 -- the driver is mocked\n",
            f"{FINE}  # -- the driver is mocked\n",
        ),
        (f"{FINE}  # type: ignore  # noqa: PGL202\n", f"{FINE}  # type: ignore\n"),
        (f"{BAD}  # noqa: PGL202, PGL101\n", f"{BAD}  # noqa: PGL202\n"),
    ],
)
def test_the_safe_fix_removes_only_the_unused_codes(line, fixed):
    outcome = fix_text(HEAD + line, "app.py")
    assert outcome.text == HEAD + fixed
    assert [d.code for d in outcome.fixed] == ["PGL003"]
    assert outcome.result.diagnostics == [] or line.startswith(BAD)


def test_through_the_command_line(project):
    write(project, "app.py", HEAD + f"{FINE}  # noqa: PGL202\n")
    run = invoke("check", "--no-cache", "--output-format", "concise", "app.py")
    assert run.exit_code == 1
    assert "app.py:5:" in run.stdout and "PGL003 [*] Unused `# noqa` code `PGL202`" in run.stdout
    assert invoke("check", "--no-cache", "--fix", "app.py").exit_code == 0
    assert (project / "app.py").read_text() == HEAD + f"{FINE}\n"


def test_not_reported_under_flake8():
    # flake8 applies `# noqa` itself (and reports unused ones with its own options).
    source = HEAD + f"{FINE}  # noqa: PGL202\n"
    lines = source.splitlines(keepends=True)
    assert list(Plugin(ast.parse(source), lines, "app.py").run()) == []


def test_add_noqa_never_adds_pgl003(project):
    write(project, "app.py", HEAD + textwrap.dedent(f"{FINE}  # noqa: PGL202\n"))
    invoke("check", "--no-cache", "--add-noqa", "app.py")
    assert "PGL003" not in (project / "app.py").read_text()
