"""Output formats: one module per family.

- `text`: for people (`full`, `concise`, `grouped`), statistics and the run summary;
- `machine`: `json`, `json-lines`;
- `sarif`: SARIF 2.1.0 for GitHub code scanning;
- `ci`: `github` annotations, `gitlab` Code Quality, `junit`.
"""

from __future__ import annotations

from pglint.output.ci import (
    escape_data,
    escape_property,
    format_github,
    format_gitlab,
    format_junit,
)
from pglint.output.common import Finding, display_path, findings, project_root, url_for
from pglint.output.machine import format_json, format_json_lines, json_items
from pglint.output.sarif import format_sarif
from pglint.output.text import (
    fixed_listing,
    format_concise,
    format_full,
    format_grouped,
    format_statistics,
    statistics,
    summary,
)

TEXT_FORMATS = ("full", "concise", "grouped")
FORMATS = (*TEXT_FORMATS, "json", "json-lines", "sarif", "github", "gitlab", "junit")

__all__ = [
    "FORMATS",
    "TEXT_FORMATS",
    "Finding",
    "display_path",
    "escape_data",
    "escape_property",
    "findings",
    "fixed_listing",
    "format_concise",
    "format_full",
    "format_github",
    "format_gitlab",
    "format_grouped",
    "format_json",
    "format_json_lines",
    "format_junit",
    "format_sarif",
    "format_statistics",
    "json_items",
    "project_root",
    "statistics",
    "summary",
    "url_for",
]
