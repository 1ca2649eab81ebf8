"""SARIF 2.1.0, as GitHub code scanning reads it.

- `tool.driver.rules` lists every rule with its summary, what it checks and its whole
  documentation (`help.text` and `help.markdown`), so code scanning can show it;
- each result names its rule by id and index, points at a file relative to the
  repository root (`%SRCROOT%`) with a 1-based region, and carries a
  `partialFingerprints` entry built from the code and the text it covers, so an alert
  keeps its identity when lines above it move;
- findings silenced by `# noqa` are included with a `suppressions` entry of kind
  `inSource`, findings in the baseline with kind `external`: code scanning shows them as
  dismissed rather than forgetting them;
- a file that cannot be parsed is a PGL001 result like any other.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pglint import __version__
from pglint.diagnostics import DOCS_URL
from pglint.docs import render_rule
from pglint.output.common import Finding, cell_location, notebook_file_row
from pglint.rules import Rule, all_rules

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "pglintContextHash/v1"
INFORMATION_URI = "https://github.com/pglint/pglint"


def _rule(rule: Rule, url: str) -> dict[str, Any]:
    markdown = render_rule(rule)
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": " ".join(rule.what_it_does.split())},
        "help": {"text": plain_text(markdown), "markdown": markdown},
        "helpUri": url,
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": _tags(rule.code)},
    }


def plain_text(markdown: str) -> str:
    """The rule's Markdown as plain text: no heading marks, no code fences."""
    lines = []
    for line in markdown.splitlines():
        if line.startswith("```"):
            continue
        lines.append(line.lstrip("#").strip() if line.startswith("#") else line)
    return "\n".join(lines).strip() + "\n"


def _artifact(path: str) -> dict[str, Any]:
    """A file as SARIF wants it: a percent-encoded URI, relative to %SRCROOT% when the
    file is inside the repository, a file:// URI when it is not."""
    if path == "-":
        return {"uri": "stdin"}
    if Path(path).is_absolute():
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(path), "uriBaseId": "%SRCROOT%"}


def _relative(path: str, root: Path) -> str:
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return path


def _tags(code: str) -> list[str]:
    if code.startswith("PGL1"):
        return ["security", "sql-injection"]
    if code.startswith("PGL0"):
        return ["pglint"]
    return ["correctness", "database"]


def format_sarif(found: list[Finding], root: Path) -> str:
    rules = all_rules()
    index = {rule.code: i for i, rule in enumerate(rules)}
    results = []
    for f in found:
        d = f.diagnostic
        cell, start = cell_location(f.result, d.location)
        message = d.message
        if cell is not None:
            # A region cannot name a notebook cell: say it, and point at the file's line.
            message = f"cell {cell}, line {start.row}: {message}"
        if d.suggestion:
            message += "\n\nSuggestion:\n" + d.suggestion.rstrip()
        location = _artifact(f.path)
        physical: dict[str, Any] = {"artifactLocation": location}
        if cell is None:
            region = {
                "startLine": d.location.row,
                "startColumn": d.location.column,
                "endLine": max(d.end_location.row, d.location.row),
                "endColumn": d.end_location.column,
            }
            if (region["endLine"], region["endColumn"]) <= (d.location.row, d.location.column):
                region["endColumn"] = d.location.column + 1
            physical["region"] = region
        elif (row := notebook_file_row(f.result, d.location)) is not None:
            physical["region"] = {"startLine": row}  # the JSON line holding that code
        result: dict[str, Any] = {
            "ruleId": d.code,
            "level": "error",
            "message": {"text": message},
            "locations": [{"physicalLocation": physical}],
            "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        }
        if d.related:
            # The route whose requests reach the code, and each call in between.
            result["relatedLocations"] = [
                {
                    "id": number,
                    "physicalLocation": {
                        "artifactLocation": _artifact(_relative(r.filename, root)),
                        "region": {"startLine": r.location.row},
                    },
                    "message": {"text": r.message},
                }
                for number, r in enumerate(d.related, start=1)
            ]
        if d.code in index:
            result["ruleIndex"] = index[d.code]
        if f.suppression:
            result["suppressions"] = [{"kind": f.suppression}]
        results.append(result)
    run = {
        "tool": {
            "driver": {
                "name": "pglint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [_rule(r, DOCS_URL.format(anchor=r.anchor)) for r in rules],
            }
        },
        "originalUriBaseIds": {"%SRCROOT%": {"uri": root.as_uri() + "/"}},
        "results": results,
        "columnKind": "unicodeCodePoints",
    }
    document = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(document, indent=2, ensure_ascii=False)
