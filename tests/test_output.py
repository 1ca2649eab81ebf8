"""The output formats: full, concise, json, statistics and the summary lines."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest

from conftest import (
    CLEAN,
    FIXABLE,
    INJECTION,
    INJECTION_COLUMN,
    INJECTION_ROW,
    ROOT,
    SYNTAX_ERROR,
    invoke,
    write,
)
from pglint.diagnostics import Diagnostic, Edit, Fix, Location
from pglint.engine import LintResult
from pglint.output import format_full, summary
from pglint.source import SourceFile

JSON_KEYS = {
    "cell", "code", "message", "filename", "location", "end_location", "fix", "url", "noqa_row",
    "suggestion",
}  # fmt: skip


def check(*args: str, source: str = INJECTION, name: str = "db.py") -> tuple[int, str]:
    run = invoke("check", "--stdin-filename", name, *args, "-", input=source)
    return run.exit_code, run.stdout


HIDDEN_FIX = "No fixes available (1 hidden fix can be enabled with the `--unsafe-fixes` option)."


def test_full_format_shape():
    _, out = check()
    lines = out.splitlines()
    assert lines[0].startswith(f"db.py:{INJECTION_ROW}:{INJECTION_COLUMN}: PGL101 SQL injection")
    source = INJECTION.splitlines()
    source_line = source[INJECTION_ROW - 1]
    assert lines[1] == "  |"
    # Two rows of context above and below, as ruff shows them.
    assert lines[2] == f"{INJECTION_ROW - 2} | {source[INJECTION_ROW - 3]}"
    assert lines[3] == f"{INJECTION_ROW - 1} | {source[INJECTION_ROW - 2]}"
    assert lines[4] == f"{INJECTION_ROW} | {source_line}"
    caret = lines[5]
    assert caret.startswith("  | ")
    assert caret[4:] == " " * (INJECTION_COLUMN - 1) + "^" * len(source_line.strip())
    assert lines[6] == f"{INJECTION_ROW + 1} | {source[INJECTION_ROW]}"
    assert lines[7] == "  |"
    # The unsafe fix is shown as a diff, even when --unsafe-fixes is not given.
    assert lines[8].startswith("  = help: Pass the values as query parameters (unsafe fix")
    assert lines[10].startswith(f"{INJECTION_ROW} -")
    assert lines[11].startswith(f"{INJECTION_ROW} +") and "%s" in lines[11]
    assert "  = docs: `pglint rule PGL101` says why" in lines
    assert lines[-2:] == ["Found 1 error.", HIDDEN_FIX]


def test_full_format_shows_a_fix_as_a_diff_and_says_when_it_is_unsafe():
    # FIXABLE's PGL202 `(42)` is a safe fix; INJECTION's PGL101 rewrite is unsafe.
    _, out = check(source=FIXABLE)
    lines = out.splitlines()
    help_line = next(line for line in lines if "= help: " in line)
    assert help_line.endswith("(safe fix: `--fix` applies it)")
    start = lines.index(help_line)
    assert lines[start + 2].startswith("7 -") and lines[start + 2].endswith("(42))")
    assert lines[start + 3].startswith("7 +") and lines[start + 3].endswith("(42,))")
    _, out = check("--unsafe-fixes")
    lines = out.splitlines()
    help_line = next(line for line in lines if "= help: " in line)
    assert "unsafe fix: review it; `--fix --unsafe-fixes` applies it" in help_line
    minus = next(line for line in lines if line.startswith(f"{INJECTION_ROW} -"))
    plus = next(line for line in lines if line.startswith(f"{INJECTION_ROW} +"))
    assert "'{email}'" in minus and "%s" in plus and "(email,)" in plus
    assert "= suggestion:" not in out  # the diff is the suggestion


def test_context_stays_inside_the_file():
    text = "a = f(1)\n"
    d = diagnostic(Location(1, 5), Location(1, 9))
    lines = [click.unstyle(x) for x in format_full([LintResult("t.py", [d], SourceFile(text))])]
    assert lines[1:5] == ["  |", "1 | a = f(1)", "  |     ^^^^", "  |"]


def test_full_format_fix_marker_and_help():
    code, out = check(source=FIXABLE)
    assert code == 1
    assert "PGL202 [*] " in out
    assert "  = help: " in out
    assert out.rstrip().endswith("[*] 2 fixable with the `--fix` option.")


def test_concise_format():
    _, out = check("--output-format", "concise")
    first, blank, found, hidden = out.splitlines()
    assert first.startswith(f"db.py:{INJECTION_ROW}:{INJECTION_COLUMN}: PGL101 SQL injection")
    assert (blank, found, hidden) == ("", "Found 1 error.", HIDDEN_FIX)


def test_concise_clean():
    code, out = check("--output-format", "concise", source=CLEAN)
    assert (code, out) == (0, "All checks passed!\n")


def test_json_shape():
    code, out = check("--output-format", "json")
    assert code == 1
    [item] = json.loads(out)
    assert set(item) == JSON_KEYS
    assert item["code"] == "PGL101"
    assert item["location"] == {"row": INJECTION_ROW, "column": INJECTION_COLUMN}
    assert item["end_location"]["row"] == INJECTION_ROW
    assert item["end_location"]["column"] > INJECTION_COLUMN
    assert item["fix"]["applicability"] == "unsafe"
    [edit] = item["fix"]["edits"]
    assert edit["content"] == 'cur.execute("SELECT * FROM users WHERE email = %s", (email,))'
    assert item["url"].endswith("rules.md#pgl101-sql-interpolated-value")
    assert item["noqa_row"] == INJECTION_ROW
    assert "%s" in item["suggestion"]


def test_json_fix_shape():
    _, out = check("--output-format", "json", source=FIXABLE)
    items = {d["code"]: d for d in json.loads(out)}
    fix = items["PGL202"]["fix"]
    assert fix["applicability"] == "safe"
    assert fix["message"]
    for edit in fix["edits"]:
        assert set(edit) == {"content", "location", "end_location"}
        assert set(edit["location"]) == {"row", "column"}


def test_json_clean_is_an_empty_list():
    code, out = check("--output-format", "json", source=CLEAN)
    assert code == 0
    assert json.loads(out) == []


def test_json_has_nothing_but_json(project):
    write(project, "a.py", INJECTION)
    write(project, "b.py", SYNTAX_ERROR)
    run = invoke("check", "--output-format", "json", ".")
    assert [d["code"] for d in json.loads(run.stdout)] == ["PGL101", "PGL001"]
    assert json.loads(run.stdout)[0]["filename"] == str(project / "a.py")


def test_json_syntax_error_has_noqa_row_and_url():
    _, out = check("--output-format", "json", source=SYNTAX_ERROR)
    [item] = json.loads(out)
    assert item["code"] == "PGL001"
    assert item["url"].endswith("#pgl001-syntax-error")


def test_statistics():
    code, out = check("--statistics", source=FIXABLE + INJECTION.replace("import psycopg2\n", ""))
    assert code == 1
    rows = [line.split("\t") for line in out.splitlines()]
    assert ["1", "PGL101", "[ ] sql-interpolated-value"] in rows
    assert ["1", "PGL202", "[*] parameter-shape-mismatch"] in rows


def test_statistics_json():
    _, out = check("--statistics", "--output-format", "json", source=FIXABLE)
    rows = json.loads(out)
    assert {r["code"] for r in rows} == {"PGL202", "PGL205"}
    assert all(set(r) == {"code", "name", "count", "fixable"} for r in rows)


def test_summary_wording():
    fixable = diagnostic(fix=Fix("safe", "do it", (edit(),)))
    unsafe = diagnostic(fix=Fix("unsafe", "maybe", (edit(),)))
    plain = diagnostic()
    assert summary([]) == ["All checks passed!"]
    assert summary([plain]) == ["Found 1 error."]
    assert summary([plain, fixable]) == [
        "Found 2 errors.",
        "[*] 1 fixable with the `--fix` option.",
    ]
    assert summary([unsafe]) == [
        "Found 1 error.",
        "No fixes available (1 hidden fix can be enabled with the `--unsafe-fixes` option).",
    ]
    assert summary([plain], fixed=3) == ["Found 4 errors (3 fixed, 1 remaining)."]
    assert summary([], fixed=1) == ["Found 1 error (1 fixed, 0 remaining)."]


def test_caret_under_tabs_and_wide_characters():
    text = "\tx = '表' + f(\n"
    d = diagnostic(Location(1, 10), Location(1, 13))
    result = LintResult("t.py", [d], SourceFile(text))
    lines = [click.unstyle(line) for line in format_full([result])]
    assert lines[2] == "1 | \tx = '表' + f("
    assert lines[3] == "  | \t" + " " * 9 + "^^^"


def test_multi_row_range_is_shown_whole():
    text = "a = f(\n    1,\n    2,\n)\n"
    d = diagnostic(Location(1, 5), Location(4, 2))
    lines = [click.unstyle(x) for x in format_full([LintResult("t.py", [d], SourceFile(text))])]
    assert lines[2:9] == [
        "1 | a = f(",
        "  |     ^^",
        "2 |     1,",
        "3 |     2,",
        "4 | )",
        "  | ^",
        "  |",
    ]


def diagnostic(start=None, end=None, fix=None) -> Diagnostic:
    start, end = start or Location(1, 1), end or Location(1, 2)
    return Diagnostic("PGL202", "message", "t.py", start, end, fix=fix, name="parameter-shape")


def edit() -> Edit:
    return Edit(Location(1, 1), Location(1, 1), "x")


@pytest.mark.slow
def test_sarif_sees_what_json_sees_across_modules():
    # SARIF keeps suppressed findings, so it reads files through its own path; it must
    # still lint each one with what the modules it imports provide (PGL502 needs that).
    examples = str(ROOT / "examples")
    items = json.loads(invoke("check", "--output-format", "json", examples).stdout)
    sarif = json.loads(invoke("check", "--output-format", "sarif", examples).stdout)
    from_json = sorted((Path(d["filename"]).name, d["location"]["row"], d["code"]) for d in items)
    from_sarif = sorted(
        (
            Path(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]).name,
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["ruleId"],
        )
        for r in sarif["runs"][0]["results"]
    )
    assert "PGL502" in {code for *_, code in from_json}
    assert from_sarif == from_json


def test_context_stays_inside_a_notebook_cell(project):
    # (Copied out of tests/: a notebook there is test code, which some rules leave alone.)
    text = (ROOT / "tests" / "fixtures" / "notebooks" / "orders.ipynb").read_text()
    notebook = write(project, "orders.ipynb", text)
    seventh = "".join(json.loads(text)["cells"][6]["source"]).splitlines()
    out = invoke("check", "--no-cache", str(notebook)).stdout.splitlines()
    start = next(i for i, line in enumerate(out) if ":cell 7:3:5: PGL202" in line)
    shown = out[start + 1 : out.index("  |", start + 2) + 1]
    rows = [line.split(" | ", 1)[1] for line in shown if line[:1].isdigit()]
    # The cell's own three rows (its IPython magic shown as the `pass` it is analysed as),
    # nothing from the cells around it.
    assert len(seventh) == len(rows) == 3
    assert (rows[0], rows[2]) == (seventh[0], seventh[2])
