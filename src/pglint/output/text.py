"""The formats for people: `full` (the default), `concise`, `grouped`; statistics and the
run summary. Formatters return lines; the CLI decides where they go."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from itertools import pairwise
from typing import Any

import click

from pglint.diagnostics import Diagnostic, Location
from pglint.engine import LintResult
from pglint.fixes import SAFE, is_applicable
from pglint.output.common import cell_location, display_path, position
from pglint.source import line_starts

_MAX_SNIPPET_ROWS = 6
_TIMES = "\u00d7"  # the multiplication sign ruff uses in its --show-fixes list


def _lines(text: str) -> list[str]:
    starts = line_starts(text)
    return [text[a:b].rstrip("\r\n") for a, b in pairwise(starts)]


def _marker(diagnostic: Diagnostic, applicabilities: Collection[str]) -> str:
    return "[*] " if is_applicable(diagnostic, applicabilities) else ""


def _header(diagnostic: Diagnostic, result: LintResult, applicabilities: Collection[str]) -> str:
    where = click.style(position(result, diagnostic.location) + ":", bold=True)
    code = click.style(diagnostic.code, fg="red", bold=True)
    return f"{where} {code} {_marker(diagnostic, applicabilities)}{diagnostic.message}"


def format_concise(
    results: Iterable[LintResult], applicabilities: Collection[str] = SAFE
) -> Iterator[str]:
    for result in results:
        for diagnostic in result.diagnostics:
            yield _header(diagnostic, result, applicabilities)


def format_full(
    results: Iterable[LintResult], applicabilities: Collection[str] = SAFE
) -> Iterator[str]:
    for result in results:
        lines = _lines(result.source.text) if result.source is not None else []
        for diagnostic in result.diagnostics:
            yield _header(diagnostic, result, applicabilities)
            shift = diagnostic.location.row - cell_location(result, diagnostic.location)[1].row
            yield from _snippet(diagnostic, lines, shift)
            yield ""


def format_grouped(
    results: Iterable[LintResult], applicabilities: Collection[str] = SAFE
) -> Iterator[str]:
    """One heading per file, then its findings indented, as ruff's `grouped`."""
    for result in results:
        if not result.diagnostics:
            continue
        yield click.style(display_path(result.filename), bold=True, underline=True) + ":"
        places = []
        for d in result.diagnostics:
            cell, where = cell_location(result, d.location)
            prefix = f"cell {cell}:" if cell is not None else ""
            places.append(f"{prefix}{where.row}:{where.column}")
        width = max(len(p) for p in places)
        for place, d in zip(places, result.diagnostics, strict=True):
            code = click.style(d.code, fg="red", bold=True)
            yield f"  {place:<{width}} {code} {_marker(d, applicabilities)}{d.message}"
        yield ""


def _snippet(diagnostic: Diagnostic, lines: list[str], shift: int = 0) -> Iterator[str]:
    """The source rows of a finding; ``shift`` turns module rows into notebook cell rows."""
    start, end = diagnostic.location, diagnostic.end_location
    if diagnostic.code == "PGL000" or not 1 <= start.row <= len(lines):
        rows: list[int | None] = []
    else:
        last = end.row - 1 if end.row > start.row and end.column == 1 else end.row
        last = min(max(last, start.row), len(lines))
        rows = list(range(start.row, last + 1))
        if len(rows) > _MAX_SNIPPET_ROWS:
            rows = [*rows[:3], None, *rows[-2:]]
    fix_message = diagnostic.fix.message if diagnostic.fix else ""
    if not rows and not fix_message and not diagnostic.suggestion:
        return
    width = len(str(max([r - shift for r in rows if r is not None], default=1)))
    gutter = " " * width + " |"
    if rows:
        yield click.style(gutter, fg="blue")
    for row in rows:
        if row is None:
            yield click.style(" " * width + " :", fg="blue")
            continue
        line = lines[row - 1]
        label = row - shift
        yield click.style(f"{label:>{width}} |", fg="blue") + (f" {line}" if line else "")
        underline = _underline(row, line, start, end)
        if underline:
            yield click.style(gutter, fg="blue") + " " + click.style(underline, fg="red")
    if rows:
        yield click.style(gutter, fg="blue")
    pad = " " * width
    if fix_message:
        yield f"{pad} = {click.style('help', bold=True)}: {fix_message}"
    if diagnostic.suggestion:
        yield f"{pad} = {click.style('suggestion', bold=True)}:"
        for text in diagnostic.suggestion.rstrip("\n").split("\n"):
            yield f"{pad}     {text}" if text.strip() else ""


def _underline(row: int, line: str, start: Location, end: Location) -> str:
    if row == start.row:
        first = start.column - 1
        stop = end.column - 1 if end.row == row else len(line.rstrip())
    elif row == end.row:
        first = len(line) - len(line.lstrip())
        stop = end.column - 1
    else:
        return ""
    first = min(max(first, 0), len(line))
    stop = min(max(stop, first), len(line))
    return _blank(line[:first]) + "^" * max(_width(line[first:stop]), 1)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _blank(prefix: str) -> str:
    """Whitespace as wide as ``prefix`` on screen; tabs stay tabs so the caret lines up."""
    return "".join("\t" if c == "\t" else " " * _width(c) for c in prefix)


# --- statistics and summary ----------------------------------------------------------------


def statistics(
    diagnostics: list[Diagnostic], applicabilities: Collection[str] = SAFE
) -> list[dict[str, Any]]:
    counts = Counter(d.code for d in diagnostics)
    fixable = {d.code for d in diagnostics if is_applicable(d, applicabilities)}
    names = {d.code: d.name for d in diagnostics}
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [
        {"code": code, "name": names[code], "count": n, "fixable": code in fixable}
        for code, n in ordered
    ]


def format_statistics(rows: list[dict[str, Any]], as_json: bool) -> str:
    if as_json:
        return json.dumps(rows, indent=2)
    if not rows:
        return ""
    count_width = max(len(str(r["count"])) for r in rows)
    return "\n".join(
        f"{r['count']:>{count_width}}\t{r['code']}\t{'[*]' if r['fixable'] else '[ ]'} {r['name']}"
        for r in rows
    )


def _errors(n: int) -> str:
    return f"{n} error" if n == 1 else f"{n} errors"


def summary(
    remaining: list[Diagnostic],
    applicabilities: Collection[str] = SAFE,
    *,
    fixed: int | None = None,
    unsafe_enabled: bool = False,
) -> list[str]:
    """The closing lines of a text report, worded like ruff's."""
    lines = []
    if fixed:
        lines.append(
            f"Found {_errors(fixed + len(remaining))} ({fixed} fixed, {len(remaining)} remaining)."
        )
    elif remaining:
        lines.append(f"Found {_errors(len(remaining))}.")
    else:
        return ["All checks passed!"]
    fixable = sum(1 for d in remaining if is_applicable(d, applicabilities))
    hidden = 0 if unsafe_enabled else sum(1 for d in remaining if is_applicable(d, {"unsafe"}))
    hint = ""
    if hidden:
        fixes = "fix" if hidden == 1 else "fixes"
        hint = f"{hidden} hidden {fixes} can be enabled with the `--unsafe-fixes` option"
    if fixable:
        lines.append(
            f"[*] {fixable} fixable with the `--fix` option" + (f" ({hint})." if hint else ".")
        )
    elif hint:
        lines.append(f"No fixes available ({hint}).")
    return lines


def fixed_listing(fixed_by_file: dict[str, list[Diagnostic]]) -> list[str]:
    """`--show-fixes`: what was fixed, per file and code."""
    total = sum(len(v) for v in fixed_by_file.values())
    if not total:
        return []
    lines = [f"Fixed {_errors(total)}:"]
    for filename, diagnostics in fixed_by_file.items():
        if not diagnostics:
            continue
        lines.append(f"- {display_path(filename)}:")
        counts = Counter((d.code, d.name) for d in diagnostics)
        for (code, name), n in sorted(counts.items()):
            lines.append(
                f"    {n} {_TIMES} {code} ({name})" if name else f"    {n} {_TIMES} {code}"
            )
    return lines
