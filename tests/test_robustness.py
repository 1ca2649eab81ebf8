"""Every odd input gets a defined outcome, never a traceback, and the rest of the run is
still linted.

Each test puts one odd input beside a file with a known finding, runs the real CLI in
this process over the directory, and checks both: what the odd input got (a finding, a
PGL0xx diagnostic, or an error with a reason) and that the known finding is there.
Encodings with their details are in test_encoding.py; empty standard input in test_cli.py.
"""

from __future__ import annotations

import ast
import codecs
import os
import re
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from conftest import INJECTION, invoke, write
from pglint.engine import lint_file, lint_source
from pglint.settings import Settings

KNOWN = "known_bad.py:7:5: PGL101"
FINDING = re.compile(r"^.+:\d+:\d+: PGL\d{3} ")


def run_beside(root: Path, *args: str) -> tuple[int, list[str], list[str]]:
    """Lint ``root`` (or ``args``) with a known-bad file beside the odd input; returns
    the exit code, the finding lines without the known one, and the error lines."""
    write(root, "known_bad.py", INJECTION)
    run = invoke("check", "--output-format", "concise", *(args or (".",)))
    assert "Traceback" not in run.stdout + run.stderr
    assert "internal error" not in run.stdout + run.stderr
    lines = [line for line in run.stdout.splitlines() if FINDING.match(line)]
    known = [line for line in lines if line.startswith(KNOWN + " ")]
    assert len(known) == 1, run.stdout + run.stderr
    lines.remove(known[0])
    return run.exit_code, lines, run.stderr.splitlines()


@pytest.fixture
def hang_guard():
    """Fail, rather than wait forever, if reading blocks (a FIFO, a device)."""

    def give_up(signum, frame):
        raise TimeoutError("pglint blocked reading a file")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(30)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def only(root: Path, name: str, data: bytes | str) -> tuple[int, list[str], list[str]]:
    write(root, name, data)
    return run_beside(root)


def codes(lines: list[str]) -> list[tuple[str, int, str]]:
    """(filename, row, code) of each concise finding line."""
    out = []
    for line in lines:
        place, rest = line.split(": ", 1)
        filename, row, _column = place.rsplit(":", 2)
        out.append((filename, int(row), rest.split()[0]))
    return out


# A finding that proves the odd file itself was analysed, not merely not rejected.
def injection(body: str = "") -> str:
    return (
        "import psycopg2\n\n\ndef find(email):\n"
        "    cur = psycopg2.connect().cursor()\n"
        + body
        + "    cur.execute(f\"SELECT * FROM t WHERE e = '{email}'\")\n"
    )


# --- empty, BOM, encodings ------------------------------------------------------------


def test_empty_file_is_clean(project):
    assert only(project, "empty.py", b"")[1:] == ([], [])
    assert lint_source(b"").diagnostics == []


def test_bom_only_is_clean(project):
    assert only(project, "bom.py", codecs.BOM_UTF8)[1:] == ([], [])
    assert lint_source(codecs.BOM_UTF8).diagnostics == []


def test_bom_then_code_is_analysed(project):
    _, lines, errors = only(project, "bom.py", codecs.BOM_UTF8 + injection().encode())
    assert (codes(lines), errors) == ([("bom.py", 6, "PGL101")], [])


def test_latin1_with_a_cookie_is_analysed(project):
    source = "# -*- coding: latin-1 -*-\n# café\n" + injection()
    _, lines, errors = only(project, "l1.py", source.encode("latin-1"))
    assert (codes(lines), errors) == ([("l1.py", 8, "PGL101")], [])


def test_latin1_without_a_cookie_is_an_error_with_a_reason(project):
    source = "# café\n" + injection()
    exit_code, lines, errors = only(project, "l1.py", source.encode("latin-1"))
    assert exit_code == 2
    assert lines == []
    assert errors == [
        "pglint: error: l1.py: not valid utf-8 and no other encoding is declared: "
        "byte 0xe9 at row 1, column 6 (save the file as UTF-8, or declare its encoding "
        "in a `# -*- coding: ... -*-` line)"
    ]


def test_invalid_utf8_is_an_error_with_a_reason(project):
    exit_code, lines, errors = only(project, "bad.py", injection().encode() + b"x = '\xc3\x28'\n")
    assert (exit_code, lines) == (2, [])
    [error] = errors
    assert error.startswith("pglint: error: bad.py: not valid utf-8")
    assert "row 7, column 6" in error


def test_nul_bytes_are_a_syntax_error(project):
    _, lines, errors = only(
        project, "nul.py", b"import psycopg2; connect = psycopg2.connect\nx = 1\x00\n"
    )
    assert errors == []
    [line] = lines
    assert line.startswith("nul.py:1:1: PGL001 cannot parse this file: SyntaxError:")
    assert "null bytes" in line
    [d] = lint_source(b"import psycopg2; connect = psycopg2.connect\nx = 1\x00\n").diagnostics
    assert d.code == "PGL001"


# --- line endings and whitespace ------------------------------------------------------


@pytest.mark.parametrize(
    ("ending", "row"),
    [("\r\n", 6), ("\r", 6), ("mixed", 6)],
    ids=["crlf", "lone-cr", "mixed"],
)
def test_line_endings_keep_rows(project, ending, row):
    text = injection()
    if ending == "mixed":
        lines = text.split("\n")
        joiners = ["\n", "\r\n", "\r"]  # never "\r" then "\n": that is one break
        text = "".join(line + joiners[i % 3] for i, line in enumerate(lines[:-1]))
    else:
        text = text.replace("\n", ending)
    _, lines, errors = only(project, "ends.py", text.encode())
    assert (codes(lines), errors) == ([("ends.py", row, "PGL101")], [])
    [d] = lint_source(text.encode()).diagnostics
    assert (d.code, d.location.row, d.location.column) == ("PGL101", row, 5)


def test_no_trailing_newline(project):
    _, lines, errors = only(project, "tail.py", injection().rstrip("\n").encode())
    assert (codes(lines), errors) == ([("tail.py", 6, "PGL101")], [])


def test_tabs_mixed_with_spaces(project):
    # A tab-indented block inside a space-indented function: Python rejects it.
    source = injection().replace("    cur.execute", "\tcur.execute")
    _, lines, _ = only(project, "tabs.py", source.encode())
    [line] = lines
    assert line.startswith("tabs.py:6:")
    assert "PGL001" in line and "tabs and spaces" in line


def test_consistent_tabs_are_analysed(project):
    source = injection().replace("    ", "\t")
    _, lines, errors = only(project, "tabs.py", source.encode())
    assert (codes(lines), errors) == ([("tabs.py", 6, "PGL101")], [])


# --- syntax errors ----------------------------------------------------------------------

DATABASE_CODE = "\nimport psycopg2\nconn = psycopg2.connect()\n"


def test_syntax_errors_without_database_code_are_skipped(project):
    """Such a file is not parsed: its syntax errors are for the tools that check every
    file, and the known-bad file beside it is still reported."""
    _, lines, errors = only(project, "broken.py", "def f(:\n    pass\n")
    assert (lines, errors) == ([], [])


@pytest.mark.parametrize(
    ("source", "row"),
    [
        ("def f(:\n    pass\n", 1),
        ("x = (1,\ny = 2\n", 1),
        ("if True:\npass\n", 2),
        ("x = 'unterminated\n", 1),
        ('x = """never closed\n\n', 1),
        ("  x = 1\n", 1),
        ("def f():\n    return\n  y = 1\n", 3),
        ("x = 1 +\n", 1),
        ("class\n", 1),
        ("f(**)\n", 1),
        ("x = 0777\n", 1),
        ("a = b = await\n", 1),
        ("return 1 2\n", 1),
        ("x = ]\n", 1),
        ("x = 1 \\ \n", 1),
    ],
)
def test_syntax_errors_are_pgl001(project, source, row):
    # Database code after the error: a file without any is not parsed (pglint.prefilter).
    _, lines, errors = only(project, "broken.py", source + DATABASE_CODE)
    assert errors == []
    [(filename, found_row, code)] = codes(lines)
    assert (filename, code) == ("broken.py", "PGL001")
    assert abs(found_row - row) <= 1  # CPython versions differ by a row on some errors


# Syntax each Python version added; the first one the running Python lacks is tested.
NEWER_SYNTAX = [
    ((3, 12), "type Rows = list[int]\n"),
    ((3, 14), 'name = "x"\ngreeting = t"hello {name}"\n'),
]


def test_syntax_newer_than_the_running_python(project):
    newer = [(v, s) for v, s in NEWER_SYNTAX if sys.version_info < v]
    source = newer[0][1] if newer else NEWER_SYNTAX[-1][1]
    _, lines, errors = only(project, "new.py", source + DATABASE_CODE)
    assert errors == []
    if not newer:
        assert lines == []
        return
    [(filename, _, code)] = codes(lines)
    assert (filename, code) == ("new.py", "PGL002")  # not checked: for a newer Python


def test_python2_code(project):
    source = (
        'import psycopg2; connect = psycopg2.connect\nprint "hello"\nexec "x = 1"\nraise E, "v"\n'
    )
    _, lines, errors = only(project, "old.py", source)
    assert errors == []
    [line] = lines
    assert line.startswith("old.py:2:1: PGL001") and "print" in line


# --- sizes and depths -----------------------------------------------------------------


def test_2000_nested_parentheses(project):
    source = "x = " + "(" * 2000 + "1" + ")" * 2000 + "\n" + DATABASE_CODE
    _, lines, errors = only(project, "deep.py", source)
    assert errors == []
    [(filename, _, code)] = codes(lines)
    assert (filename, code) == ("deep.py", "PGL001")


def concatenated(pieces: int, joiner: str) -> str:
    parts = [f'"SELECT {i} "' for i in range(pieces - 1)] + ["f\"WHERE e = '{email}'\""]
    return injection().replace(
        "cur.execute(f\"SELECT * FROM t WHERE e = '{email}'\")",
        "cur.execute(" + joiner.join(parts) + ")",
    )


@pytest.mark.parametrize("pieces", [400, 3000])
def test_implicitly_concatenated_sql(project, pieces):
    source = concatenated(pieces, " ")
    _, lines, errors = only(project, "long.py", source)
    assert (codes(lines), errors) == ([("long.py", 6, "PGL101")], [])
    assert [d.code for d in lint_source(source).diagnostics] == ["PGL101"]


def test_350_operand_plus_chain(project):
    source = concatenated(350, " + ")
    _, lines, errors = only(project, "plus.py", source)
    assert errors == []
    assert [c for _, _, c in codes(lines)] == ["PGL101"]


def test_3000_operand_plus_chain_is_too_deep_for_the_parser(project):
    # CPython's own parser gives up on this (RecursionError while building the tree): the
    # file cannot be parsed by the running Python, which is PGL001, not pglint's bug.
    source = concatenated(3000, " + ")
    _, lines, errors = only(project, "plus.py", source)
    assert errors == []
    try:
        ast.parse(source)
    except RecursionError:
        [line] = lines
        assert line.startswith("plus.py:1:1: PGL001 cannot parse this file: RecursionError")
        [d] = lint_source(source).diagnostics
        assert d.code == "PGL001"
    else:  # a Python whose parser copes analyses it (or says its own analysis gave up)
        assert {c for _, _, c in codes(lines)} <= {"PGL101", "PGL000"}


@pytest.mark.slow
def test_200000_line_generated_file(project):
    # The default 10 s budget would be a fair outcome on a slow machine; this test is
    # about the analysis itself finishing, so the budget is off.
    write(project, "pyproject.toml", "[tool.pglint]\nmax-file-seconds = 0\n")
    body = "".join(f"value_{i} = {i}\n" for i in range(200_000))
    write(project, "generated.py", injection() + body)
    start = time.perf_counter()
    _, lines, errors = run_beside(project)
    elapsed = time.perf_counter() - start
    assert (codes(lines), errors) == ([("generated.py", 6, "PGL101")], [])
    assert elapsed < 60, f"{elapsed:.1f} s"


# --- what is on the file system -------------------------------------------------------


def test_unreadable_file(project):
    path = write(project, "secret.py", injection())
    path.chmod(0)
    try:
        readable = os.access(path, os.R_OK)  # root reads whatever the mode says
        exit_code, lines, errors = run_beside(project)
    finally:
        path.chmod(0o644)
    if readable:
        assert (codes(lines), errors) == ([("secret.py", 6, "PGL101")], [])
    else:
        assert (exit_code, lines) == (2, [])
        assert errors == ["pglint: error: secret.py: Permission denied"]


def test_directory_named_like_a_python_file(project):
    (project / "x.py").mkdir()
    write(project, "x.py/inner.py", injection())
    _, lines, errors = run_beside(project)
    assert (codes(lines), errors) == ([("x.py/inner.py", 6, "PGL101")], [])
    # Named on the command line, it is walked like any directory.
    _, lines, errors = run_beside(project, "x.py", "known_bad.py")
    assert (codes(lines), errors) == ([("x.py/inner.py", 6, "PGL101")], [])


def test_broken_symlink(project):
    (project / "gone.py").symlink_to(project / "nowhere.py")
    exit_code, lines, errors = run_beside(project)
    assert (exit_code, lines) == (2, [])
    assert errors == ["pglint: error: gone.py: No such file or directory"]


def test_symlink_loop(project):
    (project / "loop.py").symlink_to("loop.py")
    (project / "a.py").symlink_to("b.py")
    (project / "b.py").symlink_to("a.py")
    exit_code, lines, errors = run_beside(project)
    assert (exit_code, lines) == (2, [])
    assert sorted(errors) == [
        f"pglint: error: {name}: Too many levels of symbolic links"
        for name in ("a.py", "b.py", "loop.py")
    ]
    # Named explicitly, too (the per-directory configuration lookup resolves it).
    exit_code, lines, errors = run_beside(project, "loop.py", "known_bad.py")
    assert (exit_code, lines) == (2, [])
    assert errors == ["pglint: error: loop.py: Too many levels of symbolic links"]


def test_symlink_loop_under_respect_gitignore(project):
    (project / ".git").mkdir()
    write(project, ".gitignore", "ignored.py\n")
    (project / "loop.py").symlink_to("loop.py")
    exit_code, lines, errors = run_beside(project)
    assert (exit_code, lines) == (2, [])
    assert errors == ["pglint: error: loop.py: Too many levels of symbolic links"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_is_skipped_with_a_reason_not_waited_on(project, hang_guard):
    os.mkfifo(project / "pipe.py")
    exit_code, lines, errors = run_beside(project)
    assert (exit_code, lines) == (2, [])
    assert errors == ["pglint: error: pipe.py: is a FIFO (named pipe), not a regular file"]
    result = lint_file(str(project / "pipe.py"))
    assert result.error == "is a FIFO (named pipe), not a regular file"


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero here")
def test_character_device_is_not_read_forever(project, hang_guard):
    exit_code, lines, errors = run_beside(project, "/dev/zero", "known_bad.py")
    assert (exit_code, lines) == (2, [])
    assert errors == ["pglint: error: /dev/zero: is a character device, not a regular file"]


@pytest.mark.parametrize(
    "name", ["with space/my file.py", "données/requête.py", "日本/データ.py", "emoji 🐘.py"]
)
def test_paths_with_spaces_and_non_ascii(project, name):
    try:
        write(project, name, injection())
    except (UnicodeEncodeError, OSError):
        pytest.skip("the file system cannot name this file")
    _, lines, errors = run_beside(project)
    assert (codes(lines), errors) == ([(name, 6, "PGL101")], [])
    _, lines, errors = run_beside(project, name, "known_bad.py")
    assert (codes(lines), errors) == ([(name, 6, "PGL101")], [])


# --- the per-file budget ----------------------------------------------------------------


def test_a_file_over_the_size_budget_is_skipped_with_pgl002(project):
    write(project, "pyproject.toml", "[tool.pglint]\nmax-file-size = 1000\n")
    write(project, "big.py", injection() + "# padding\n" * 200)
    write(project, "nb.ipynb", '{"cells": [], "padding": "' + "x" * 2000 + '"}')
    exit_code, lines, errors = run_beside(project)
    assert (exit_code, errors) == (1, [])
    assert [line.split(" ", 2)[:2] for line in lines] == [
        ["big.py:1:1:", "PGL002"],
        ["nb.ipynb:1:1:", "PGL002"],
    ]
    assert "is more than the 1,000-byte budget (`max-file-size`)" in lines[0]


def test_a_file_over_the_time_budget_is_skipped_with_pgl002(project):
    # A budget no analysis can meet: the file is reported as skipped after the facts.
    write(project, "pyproject.toml", "[tool.pglint]\nmax-file-seconds = 1e-9\n")
    path = write(project, "slow.py", injection())
    run = invoke("check", "--output-format", "concise", "slow.py")
    assert run.exit_code == 1
    [line] = [line for line in run.stdout.splitlines() if FINDING.match(line)]
    assert line.startswith("slow.py:1:1: PGL002 file skipped while decoding:")
    assert "`max-file-seconds`" in line
    settings = Settings(max_file_seconds=1e-9)
    [d] = lint_file(str(path), settings).diagnostics
    assert d.code == "PGL002"
    # The same for front ends (flake8, standard input) that hand over text.
    [d] = lint_source(injection(), "slow.py", settings).diagnostics
    assert d.code == "PGL002" and "while decoding" in d.message


def test_zero_turns_the_budget_off(project):
    write(project, "pyproject.toml", "[tool.pglint]\nmax-file-size = 0\nmax-file-seconds = 0\n")
    _, lines, errors = only(project, "db.py", injection())
    assert (codes(lines), errors) == ([("db.py", 6, "PGL101")], [])


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("max-file-size = -1", "'max-file-size' must be a number of bytes (0: no limit)"),
        ('max-file-size = "10MB"', "'max-file-size' must be a number of bytes"),
        ("max-file-size = 1.5", "'max-file-size' must be a number of bytes"),
        ("max-file-seconds = true", "'max-file-seconds' must be a number of seconds"),
    ],
)
def test_budget_values_are_validated(project, line, message):
    write(project, "pyproject.toml", f"[tool.pglint]\n{line}\n")
    write(project, "db.py", injection())
    run = invoke("check", "db.py")
    assert run.exit_code == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr


def test_compiler_warnings_are_not_pglints_to_give(project):
    # An invalid escape sequence warns when parsed (SyntaxWarning from Python 3.12); under
    # `-W error` it would become a SyntaxError and hide the file's findings.
    write(project, "escape.py", injection() + 'PATTERN = "\\d+"\n')
    write(project, "known_bad.py", INJECTION)
    done = subprocess.run(
        [sys.executable, "-W", "error", "-m", "pglint", "check", "--output-format", "concise", "."],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stderr == ""
    found = sorted(line.split(" ")[:2] for line in done.stdout.splitlines() if FINDING.match(line))
    assert found == [["escape.py:6:5:", "PGL101"], ["known_bad.py:7:5:", "PGL101"]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [d.code for d in lint_source(injection() + 'P = "\\d"\n').diagnostics] == ["PGL101"]
