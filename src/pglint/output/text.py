"""The formats for people: `full` (the default), `concise`, `grouped`; statistics and the
run summary. Formatters return lines; the CLI decides where they go."""

from __future__ import annotations

import difflib
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
CONTEXT = 2  # rows shown above and below a finding, as ruff shows them
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
    """As ruff's `full`: the header, the code with two rows of context around the finding
    and a caret under it, then the fix as a diff (with a note when it is unsafe) or the
    suggestion, and where the rule's documentation is."""
    for result in results:
        text = result.source.text if result.source is not None else ""
        lines = _lines(text)
        for diagnostic in result.diagnostics:
            yield _header(diagnostic, result, applicabilities)
            shift = diagnostic.location.row - cell_location(result, diagnostic.location)[1].row
            rows = _rows(
                diagnostic, lines, _cell_bounds(result, diagnostic.location.row, len(lines))
            )
            diff = _fix_diff(diagnostic, text)
            numbers = [r for r in rows if r is not None] + [row for _, row, _ in diff]
            width = len(str(max(numbers, default=1 + shift) - shift))
            yield from _snippet(diagnostic, lines, rows, shift, width)
            yield from _remedy(diagnostic, diff, shift, width)
            yield ""


def _cell_bounds(result: LintResult, row: int, count: int) -> tuple[int, int]:
    """The first and last rows context may show: the file's, or the notebook cell's."""
    cells = getattr(result, "cells", None)
    if cells is None or not cells.first_rows:
        return 1, count
    index, _, _ = cells.locate(row)
    first = cells.first_rows[index]
    return first, min(count, first + cells.row_counts[index] - 1)


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


def _rows(diagnostic: Diagnostic, lines: list[str], bounds: tuple[int, int]) -> list[int | None]:
    """The rows to show: the finding's (long ones cut, None where), with ``CONTEXT`` rows
    either side within ``bounds``."""
    start, end = diagnostic.location, diagnostic.end_location
    if diagnostic.code == "PGL000" or not 1 <= start.row <= len(lines):
        return []
    low, high = bounds
    last = end.row - 1 if end.row > start.row and end.column == 1 else end.row
    last = min(max(last, start.row), len(lines))
    rows: list[int | None] = list(range(start.row, last + 1))
    if len(rows) > _MAX_SNIPPET_ROWS:
        rows = [*rows[:3], None, *rows[-2:]]
    before = range(max(low, start.row - CONTEXT), start.row)
    after = range(last + 1, min(high, last + CONTEXT) + 1)
    return [*before, *rows, *after]


def _snippet(
    diagnostic: Diagnostic, lines: list[str], rows: list[int | None], shift: int, width: int
) -> Iterator[str]:
    """The rows with a caret under the finding; ``shift`` turns module rows into notebook
    cell rows."""
    if not rows:
        return
    start, end = diagnostic.location, diagnostic.end_location
    last = max(r for r in rows if r is not None and r <= max(end.row, start.row))
    gutter = click.style(" " * width + " |", fg="blue")
    yield gutter
    for row in rows:
        if row is None:
            yield click.style(" " * width + " :", fg="blue")
            continue
        line = lines[row - 1]
        yield click.style(f"{row - shift:>{width}} |", fg="blue") + (f" {line}" if line else "")
        if start.row <= row <= last:
            underline = _underline(row, line, start, end)
            if underline:
                yield gutter + " " + click.style(underline, fg="red")
    yield gutter


def _remedy(
    diagnostic: Diagnostic, diff: list[tuple[str, int, str]], shift: int, width: int
) -> Iterator[str]:
    """The fix as a diff (with its safety and the flag that applies it), or else the
    suggestion; then where the rule's documentation is."""
    pad = " " * width
    fix = diagnostic.fix

    def say(label: str, text: str = "") -> str:
        return f"{pad} = {click.style(label, bold=True)}:" + (f" {text}" if text else "")

    how = {
        "safe": "safe fix: `--fix` applies it",
        "unsafe": "unsafe fix: review it; `--fix --unsafe-fixes` applies it",
    }.get(fix.applicability if fix is not None else "", "shown, never applied")
    if diagnostic.related:  # the route whose requests reach the code, and the calls between
        steps = [f"{r.message} ({display_path(r.filename)}:{r.location.row})"
                 for r in diagnostic.related]  # fmt: skip
        yield say("note", "; ".join(steps))
    if fix is not None and diff:
        yield say("help", f"{fix.message or 'Fix'} ({how})")
        yield click.style(f"{pad} |", fg="blue")
        for sign, row, line in diff:
            colour = "red" if sign == "-" else "green"
            yield click.style(f"{row - shift:>{width}} {sign} {line}".rstrip(), fg=colour)
        yield click.style(f"{pad} |", fg="blue")
    else:
        if fix is not None and fix.plan is not None:
            # A structural fix is worked out only when applied (`--diff` shows it).
            yield say("help", f"{fix.message or 'Fix'} ({how}; `--diff` shows it)")
        elif fix is not None and fix.message:
            yield say("help", fix.message)
        if diagnostic.suggestion:
            yield say("suggestion")
            for line in diagnostic.suggestion.rstrip("\n").split("\n"):
                yield f"{pad}     {line}" if line.strip() else ""
    if diagnostic.code != "PGL000":
        yield say("docs", f"`pglint rule {diagnostic.code}` says why")


def _fix_diff(diagnostic: Diagnostic, text: str) -> list[tuple[str, int, str]]:
    """The rows the fix changes, before (`-`, numbered as in the file) and after (`+`,
    numbered as in the fixed file)."""
    if diagnostic.fix is None or not diagnostic.fix.edits or diagnostic.fix.plan is not None:
        return []  # a structural fix is not worked out for a report (it needs libcst)
    from pglint.fixes import apply_fixes  # the edit engine, only for findings with a fix

    fixed, applied = apply_fixes(text, [diagnostic], _EVERY_APPLICABILITY)
    if not applied or fixed == text:
        return []
    old, new = _lines(text), _lines(fixed)
    out: list[tuple[str, int, str]] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag != "equal":
            out += [("-", a0 + k + 1, old[a0 + k]) for k in range(a1 - a0)]
            out += [("+", b0 + k + 1, new[b0 + k]) for k in range(b1 - b0)]
    return out


_EVERY_APPLICABILITY = frozenset({"safe", "unsafe", "display-only"})


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
