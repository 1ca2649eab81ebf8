"""What every output format needs: paths, positions (notebook cells too), URLs, fingerprints."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pglint.diagnostics import DOCS_URL, Diagnostic, Location
from pglint.engine import LintResult
from pglint.fingerprints import fingerprints
from pglint.notebooks import NotebookResult
from pglint.rules import get_rule
from pglint.source import SourceText


def display_path(filename: str) -> str:
    """Paths as the user gave them, but relative to the working directory when inside it."""
    if filename == "-" or not os.path.isabs(filename):
        return filename
    relative = os.path.relpath(filename)
    return filename if relative.startswith("..") else relative


def url_for(diagnostic: Diagnostic) -> str | None:
    if diagnostic.url:
        return diagnostic.url
    rule = get_rule(diagnostic.code)
    return DOCS_URL.format(anchor=rule.anchor) if rule is not None else None


def cell_location(result: LintResult, location: Location) -> tuple[int | None, Location]:
    """The cell (None outside notebooks) and the location within it."""
    if isinstance(result, NotebookResult) and result.cells and result.cells.first_rows:
        return result.cells.cell_location(location)
    return None, location


def notebook_file_row(result: LintResult, location: Location) -> int | None:
    """The row of the `.ipynb` file itself that holds a notebook finding, when known."""
    return result.file_row(location) if isinstance(result, NotebookResult) else None


def position(result: LintResult, location: Location) -> str:
    """`path:row:col`, or `path:cell N:row:col` in a notebook, as ruff prints it."""
    cell, where = cell_location(result, location)
    path = display_path(result.filename)
    if cell is not None:
        return f"{path}:cell {cell}:{where.row}:{where.column}"
    return f"{path}:{where.row}:{where.column}"


def source_lines(result: LintResult) -> list[str]:
    return SourceText(result.source.text).lines if result.source is not None else []


def project_root(start: Path | None = None) -> Path:
    """The repository a report's paths are relative to: the nearest directory with a
    `.git` at or above the working directory, or the working directory itself."""
    start = (start or Path.cwd()).resolve()
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return start


def relative_to_root(filename: str, root: Path) -> str | None:
    """``filename`` relative to ``root`` with forward slashes; None when outside it."""
    if filename == "-":
        return None
    absolute = Path(os.path.abspath(filename))
    try:
        return absolute.relative_to(root).as_posix()
    except ValueError:
        return None


@dataclass(frozen=True)
class Finding:
    """One diagnostic with what the CI formats say about it."""

    result: LintResult
    diagnostic: Diagnostic
    path: str  # relative to the project root when inside it
    fingerprint: str
    suppression: str | None = None  # None, "inSource" (noqa) or "external" (baseline)


def findings(
    results: list[LintResult],
    root: Path,
    *,
    include_suppressed: bool = False,
    baselined: dict[str, list[Diagnostic]] | None = None,
) -> list[Finding]:
    """Every reported diagnostic, and with ``include_suppressed`` the silenced ones too,
    each with a fingerprint that does not change when lines move."""
    out = []
    for result in results:
        rel = relative_to_root(result.filename, root)
        path = rel if rel is not None else result.filename
        lines = source_lines(result)
        groups: list[tuple[list[Diagnostic], str | None]] = [(result.diagnostics, None)]
        if include_suppressed:
            groups.append((result.suppressed, "inSource"))
            groups.append(((baselined or {}).get(result.filename, []), "external"))
        everything = [(d, kind) for group, kind in groups for d in group]
        everything.sort(key=lambda item: item[0].sort_key)
        prints = fingerprints(path, lines, [d for d, _ in everything])
        out.extend(
            Finding(result, d, path, fingerprint, kind)
            for (d, kind), fingerprint in zip(everything, prints, strict=True)
        )
    return out
