"""Output formats: one module per family.

- `text`: for people (`full`, `concise`, `grouped`), statistics and the run summary;
- `machine`: `json`, `json-lines`;
- `sarif`: SARIF 2.1.0 for GitHub code scanning;
- `ci`: `github` annotations, `gitlab` Code Quality, `junit`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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

# The formatters are imported when one is first used: the command's own module needs
# only the names of the formats.
_WHERE = {
    "Finding": "pglint.output.common",
    "display_path": "pglint.output.common",
    "escape_data": "pglint.output.ci",
    "escape_property": "pglint.output.ci",
    "findings": "pglint.output.common",
    "fixed_listing": "pglint.output.text",
    "format_concise": "pglint.output.text",
    "format_full": "pglint.output.text",
    "format_github": "pglint.output.ci",
    "format_gitlab": "pglint.output.ci",
    "format_grouped": "pglint.output.text",
    "format_json": "pglint.output.machine",
    "format_json_lines": "pglint.output.machine",
    "format_junit": "pglint.output.ci",
    "format_sarif": "pglint.output.sarif",
    "format_statistics": "pglint.output.text",
    "json_items": "pglint.output.machine",
    "project_root": "pglint.output.common",
    "statistics": "pglint.output.text",
    "summary": "pglint.output.text",
    "url_for": "pglint.output.common",
}

if TYPE_CHECKING:
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


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'pglint.output' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
