"""`json` and `json-lines`: the shape of ruff's `--output-format json` plus `suggestion`.

Keys are sorted; rows and columns are 1-based. `cell` is the notebook cell (counted from
1 over all cells) for `.ipynb` files, where rows count from the top of the cell, and null
elsewhere, as in ruff.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any

from pglint.diagnostics import Diagnostic, Location
from pglint.engine import LintResult
from pglint.noqa import noqa_line_ranges, noqa_row
from pglint.output.common import cell_location, url_for


def _location(location: Location) -> dict[str, int]:
    return {"row": location.row, "column": location.column}


def json_items(results: Iterable[LintResult]) -> list[dict[str, Any]]:
    items = []
    for result in results:
        filename = result.filename if result.filename == "-" else os.path.abspath(result.filename)
        ranges = None
        for d in result.diagnostics:
            if ranges is None:
                ranges = noqa_line_ranges(result.source.text) if result.source else {}
            cell, start = cell_location(result, d.location)
            shift = d.location.row - start.row

            def local(location: Location, shift: int = shift) -> dict[str, int]:
                return _location(Location(location.row - shift, location.column))

            items.append(
                {
                    "code": d.code,
                    "message": d.message,
                    "filename": filename,
                    "cell": cell,
                    "location": local(d.location),
                    "end_location": local(d.end_location),
                    "fix": _fix(d, local, result.source.text if result.source else None),
                    "url": url_for(d),
                    # PGL000 cannot be silenced: it is pglint's own failure.
                    "noqa_row": None
                    if d.code == "PGL000"
                    else noqa_row(ranges, d.location.row) - shift,
                    "suggestion": d.suggestion,
                }
            )
    return items


def _fix(d: Diagnostic, local: Any, text: str | None) -> dict[str, Any] | None:
    if d.fix is None:
        return None
    # A structural fix is worked out here, against the text it was found in; one that
    # cannot be (or a text no longer at hand) is no fix.
    edits = d.fix.edits
    if d.fix.plan is not None:
        edits = d.fix.edits_for(text) if text is not None else ()
        if not edits:
            return None
    return {
        "applicability": d.fix.applicability,
        "message": d.fix.message or None,
        "edits": [
            {
                "content": e.content,
                "location": local(e.location),
                "end_location": local(e.end_location),
            }
            for e in edits
        ],
    }


def format_json(results: Iterable[LintResult]) -> str:
    return json.dumps(json_items(results), indent=2, sort_keys=True, ensure_ascii=False)


def format_json_lines(results: Iterable[LintResult]) -> str:
    """One JSON object per line, for streaming consumers; nothing at all when clean."""
    return "".join(
        json.dumps(item, sort_keys=True, ensure_ascii=False) + "\n" for item in json_items(results)
    )
