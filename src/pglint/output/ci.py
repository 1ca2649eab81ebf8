"""Formats CI systems read: `github` (workflow commands), `gitlab` (Code Quality), `junit`."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from pglint.engine import LintResult
from pglint.output.common import (
    Finding,
    cell_location,
    display_path,
    notebook_file_row,
    position,
    url_for,
)


def escape_data(text: str) -> str:
    """A workflow command's message, escaped as the GitHub Actions runner unescapes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: the message escapes plus `:` and `,`."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(results: Iterable[LintResult]) -> str:
    """One `::error` annotation per finding; GitHub shows it on the pull request's diff."""
    lines = []
    for result in results:
        path = display_path(result.filename)
        for d in result.diagnostics:
            cell, _ = cell_location(result, d.location)
            props = [("title", f"pglint ({d.code})"), ("file", path)]
            if cell is None:
                props += [
                    ("line", str(d.location.row)),
                    ("col", str(d.location.column)),
                    ("endLine", str(d.end_location.row)),
                    ("endColumn", str(d.end_location.column)),
                ]
            elif (row := notebook_file_row(result, d.location)) is not None:
                props.append(("line", str(row)))
            rendered = ",".join(f"{key}={escape_property(value)}" for key, value in props)
            text = f"{position(result, d.location)}: {d.code} {d.message}"
            lines.append(f"::error {rendered}::{escape_data(text)}\n")
    return "".join(lines)


def _severity(code: str) -> str:
    # Code Quality's scale: info, minor, major, critical, blocker.
    return "critical" if code.startswith("PGL1") else "major"


def format_gitlab(found: list[Finding]) -> str:
    """A GitLab Code Quality report: paths relative to the repository root, and a
    fingerprint that stays the same while the finding's code does."""
    items = []
    for f in found:
        if f.suppression:
            continue
        d = f.diagnostic
        cell, start = cell_location(f.result, d.location)
        description = f"{d.code} {d.message}"
        begin, end = d.location.row, max(d.end_location.row, d.location.row)
        if cell is not None:
            description = f"cell {cell}, line {start.row}: {description}"
            begin = end = notebook_file_row(f.result, d.location) or 1
        items.append(
            {
                "type": "issue",
                "check_name": d.code,
                "description": description,
                "categories": ["Security" if d.code.startswith("PGL1") else "Bug Risk"],
                "severity": _severity(d.code),
                "fingerprint": f.fingerprint,
                "location": {"path": f.path, "lines": {"begin": begin, "end": end}},
                "content": {"body": d.suggestion or ""},
                "url": url_for(d),
            }
        )
    return json.dumps(items, indent=2, ensure_ascii=False)


def format_junit(results: list[LintResult]) -> str:
    """One test suite per file and one failing test case per finding; a clean run is one
    passing case, so CI dashboards show that the check ran."""
    root = ET.Element("testsuites", name="pglint")
    total = 0
    for result in results:
        if not result.diagnostics:
            continue
        path = display_path(result.filename)
        suite = ET.SubElement(
            root, "testsuite", name=path, tests=str(len(result.diagnostics)),
            failures=str(len(result.diagnostics)), errors="0",
        )  # fmt: skip
        for d in result.diagnostics:
            where = position(result, d.location)
            case = ET.SubElement(
                suite, "testcase", name=f"{d.code} {where}", classname=path,
                file=path, line=str(d.location.row),
            )  # fmt: skip
            failure = ET.SubElement(case, "failure", message=d.message, type=d.code)
            failure.text = f"{where}: {d.code} {d.message}" + (
                f"\n\n{d.suggestion.rstrip()}" if d.suggestion else ""
            )
            total += 1
    if not total:
        suite = ET.SubElement(root, "testsuite", name="pglint", tests="1", failures="0", errors="0")
        ET.SubElement(suite, "testcase", name="No errors found", classname="pglint")
    root.set("tests", str(max(total, 1)))
    root.set("failures", str(total))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"
