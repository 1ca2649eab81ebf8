"""Jupyter notebooks: lint the code cells, report cell and line, fix them in place.

The code cells share one namespace when a notebook runs (the connection made in cell 1 is
used in cell 5), so they are analysed as one module, as ruff does; each finding is then
reported at its cell (counted from 1 over all the notebook's cells, as editors number
them) and the row within that cell.

IPython syntax that is not Python is hidden without moving anything (see
``pglint.ipython_syntax``).

Writing back changes only the `source` of the cells a fix touched; outputs, metadata,
key order, indentation and the final newline are kept as read.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from pglint import budget
from pglint.budget import OutOfTime
from pglint.diagnostics import Diagnostic, Edit, Location
from pglint.engine import LintResult, lint_source, over_time
from pglint.ipython_syntax import hide_ipython
from pglint.settings import DEFAULT_SETTINGS, Settings
from pglint.source import SourceFile, line_starts

NOTEBOOK_SUFFIX = ".ipynb"


class NotebookError(Exception):
    """The file is not a notebook pglint can read."""


def split_lines(text: str) -> list[str]:
    """Rows with their line endings, broken where Python breaks them."""
    return [text[a:b] for a, b in pairwise(line_starts(text))]


@dataclass(frozen=True)
class CellMap:
    """Where each linted cell sits in the module built from the notebook."""

    first_rows: tuple[int, ...]  # the module row where each linted cell begins
    cell_numbers: tuple[int, ...]  # 1-based over all cells
    row_counts: tuple[int, ...]
    hidden_rows: frozenset[int] = frozenset()  # module rows replaced to hide IPython syntax

    def locate(self, row: int) -> tuple[int, int, int]:
        """(index into the linted cells, cell number, row in the cell) of a module row."""
        i = max(bisect.bisect_right(self.first_rows, row) - 1, 0)
        return i, self.cell_numbers[i], row - self.first_rows[i] + 1

    def cell_location(self, location: Location) -> tuple[int, Location]:
        _, number, row = self.locate(location.row)
        return number, Location(row, location.column)


@dataclass
class NotebookResult(LintResult):
    cells: CellMap | None = None
    # cell number -> the row of the .ipynb file holding each of its source lines, for
    # reports that point at the file itself (SARIF, GitHub, GitLab); absent when the
    # file's layout could not be matched.
    file_rows: dict[int, list[int]] = field(default_factory=dict)

    def file_row(self, location: Location) -> int | None:
        if not self.cells or not self.cells.first_rows:
            return None
        _, number, row = self.cells.locate(location.row)
        rows = self.file_rows.get(number, [])
        return rows[row - 1] if 1 <= row <= len(rows) else None


class Notebook:
    """A notebook as read: its JSON text and data, and its code cells' sources."""

    def __init__(self, text: str) -> None:
        self.text = text
        try:
            self.data: dict[str, Any] = json.loads(text)
        except json.JSONDecodeError as exc:
            raise NotebookError(f"not a valid notebook: not JSON: {exc}") from None
        except RecursionError:
            raise NotebookError("not a valid notebook: its JSON is nested too deeply") from None
        except ValueError as exc:  # a number too long to convert, for one
            raise NotebookError(f"not a valid notebook: {exc}") from None
        if not isinstance(self.data, dict) or not isinstance(self.data.get("cells"), list):
            if isinstance(self.data, dict) and "worksheets" in self.data:
                raise NotebookError("nbformat 3 notebooks are not supported; save as nbformat 4")
            raise NotebookError("not a valid notebook: no list of cells")
        self.code_cells = [
            i
            for i, cell in enumerate(self.data["cells"])
            if isinstance(cell, dict) and cell.get("cell_type") == "code"
        ]
        for i in self.code_cells:
            source = self.data["cells"][i].get("source", "")
            if not isinstance(source, str) and not (
                isinstance(source, list) and all(isinstance(line, str) for line in source)
            ):
                raise NotebookError(
                    f"not a valid notebook: the source of cell {i + 1} is not text "
                    "(a string or a list of strings)"
                )

    @property
    def is_python(self) -> bool:
        """Whether the notebook's kernel runs Python: what its metadata says, where it
        says it in the shape nbformat gives it (anything else is not taken as a no)."""
        info = _table(self.data.get("metadata"))
        language = _table(info.get("language_info")).get("name")
        if not isinstance(language, str):
            language = _table(info.get("kernelspec")).get("language")
        return not isinstance(language, str) or language.lower() == "python"

    def source(self, index: int) -> str:
        source = self.data["cells"][index].get("source", "")
        return "".join(source) if isinstance(source, list) else source

    def set_source(self, index: int, text: str) -> None:
        cell = self.data["cells"][index]
        source = cell.get("source")
        cell["source"] = _relaid(source, text) if isinstance(source, list) else text

    def module(self) -> tuple[str, CellMap]:
        """The code cells as one module, with IPython syntax hidden, and its cell map."""
        pieces: list[str] = []
        first_rows, numbers, counts = [], [], []
        hidden: set[int] = set()
        row = 1
        for index in self.code_cells:
            budget.check()
            lines = split_lines(self.source(index))
            if lines and not lines[-1].endswith(("\n", "\r")):
                lines[-1] += "\n"
            python, hidden_here = hide_ipython(lines)
            first_rows.append(row)
            numbers.append(index + 1)
            counts.append(len(lines))
            hidden.update(row + r for r in hidden_here)
            pieces.extend(python)
            row += len(lines)
        cells = CellMap(tuple(first_rows), tuple(numbers), tuple(counts), frozenset(hidden))
        return "".join(pieces), cells

    def file_rows(self) -> dict[int, list[int]]:
        """For each code cell (by number), the file row where each source line starts.

        The raw JSON is scanned for each cell's `"source"` in order and every entry is
        checked against the parsed value, so a layout that does not match is left out
        rather than guessed.
        """
        found: dict[int, list[int]] = {}
        cursor = 0
        # Rows are counted from the last position on, not from the start each time: a
        # notebook of 30,000 cells is one pass over its text.
        counted, row = 0, 1
        ascii_only = self.text.isascii() and "\\u" in self.text
        code_cells = set(self.code_cells)
        for index, cell in enumerate(self.data["cells"]):
            budget.check()
            source = cell.get("source", "") if isinstance(cell, dict) else ""
            entries = source if isinstance(source, list) else [source]
            key = _SOURCE_KEY.search(self.text, cursor)
            if key is None:
                break
            position = key.end()
            rows = []
            for entry in entries:
                position = _skip_separators(self.text, position)
                encoded = json.dumps(entry, ensure_ascii=ascii_only)
                if not self.text.startswith(encoded, position):
                    rows = []
                    break
                row += self.text.count("\n", counted, position)
                counted = position
                first = row
                # A list has one entry per line; a string holds every line on one row.
                rows.extend([first] * (1 if isinstance(source, list) else
                                       max(len(split_lines(str(entry))), 1)))  # fmt: skip
                position += len(encoded)
            cursor = position
            if rows and index in code_cells:
                found[index + 1] = rows
        return found

    def dumps(self) -> str:
        """The notebook's JSON written the way it was read."""
        indent = _indent_of(self.text)
        ascii_only = self.text.isascii() and "\\u" in self.text
        try:
            out = json.dumps(self.data, indent=indent, ensure_ascii=ascii_only)
        except (RecursionError, ValueError) as exc:
            why = "its JSON is nested too deeply" if isinstance(exc, RecursionError) else exc
            raise NotebookError(f"cannot be written back: {why}") from None
        trailing = self.text[len(self.text.rstrip()) :]
        return out + trailing


_SOURCE_KEY = re.compile(r'"source"\s*:\s*\[?')


def _relaid(entries: list[str], text: str) -> list[str]:
    """``text`` as a list of source entries laid out as ``entries`` were: the entries
    before the first change and after the last are kept as they were (an entry holding
    two lines stays one), and only the changed stretch is split one line per entry."""
    old = "".join(entries)
    limit = min(len(old), len(text))
    head = 0
    while head < limit and old[head] == text[head]:
        head += 1
    tail = 0
    while tail < limit - head and old[-1 - tail] == text[-1 - tail]:
        tail += 1
    kept_head, kept_tail, offset = [], [], 0
    for entry in entries:
        start, offset = offset, offset + len(entry)
        if offset <= head:
            kept_head.append(entry)
        elif start >= len(old) - tail:
            kept_tail.append(entry)
    front = sum(map(len, kept_head))
    back = len(text) - sum(map(len, kept_tail))
    return [*kept_head, *split_lines(text[front:back]), *kept_tail]


def _table(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _skip_separators(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n,":
        position += 1
    return position


def _indent_of(text: str) -> int | str | None:
    match = re.search(r"\n([ \t]+)\S", text)
    if match is None:
        return None
    indent = match.group(1)
    return len(indent) if set(indent) == {" "} else indent


def read_notebook(data: bytes) -> Notebook:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotebookError(f"not a valid notebook: not UTF-8 ({exc.reason})") from None
    return Notebook(text)


def lint_notebook(
    data: bytes | Notebook,
    filename: str,
    settings: Settings = DEFAULT_SETTINGS,
    *,
    keep_suppressed: bool = False,
) -> NotebookResult:
    with budget.limit(settings.max_file_seconds):
        try:
            with budget.phase("reading the notebook"):
                notebook = data if isinstance(data, Notebook) else read_notebook(data)
                if not notebook.is_python:
                    return NotebookResult(filename, cells=CellMap((), (), ()))
                text, cells = notebook.module()
            result = lint_source(text, filename, settings, keep_suppressed=keep_suppressed)
            with budget.phase("mapping the notebook's rows"):
                rows = notebook.file_rows()
        except NotebookError as exc:
            return NotebookResult(filename, error=str(exc))
        except OutOfTime as exc:
            return NotebookResult(
                filename,
                [over_time(settings, filename, exc.phase)],
                SourceFile(text=""),
                cells=CellMap((), (), ()),
            )
    return NotebookResult(
        filename,
        result.diagnostics,
        result.source,
        result.error,
        result.suppressed,
        cells=cells,
        file_rows=rows,
    )


def notebook_result(
    data: bytes, filename: str, diagnostics: list[Diagnostic], suppressed: list[Diagnostic]
) -> NotebookResult:
    """The result of a notebook from findings already known (the cache's): the module its
    cells make and where each cell sits, for the reports, without linting it again.
    Raises ``NotebookError`` when the notebook cannot be read."""
    notebook = read_notebook(data)
    text, cells = notebook.module()
    return NotebookResult(
        filename,
        diagnostics,
        SourceFile(text=text),
        suppressed=suppressed,
        cells=cells,
        file_rows=notebook.file_rows(),
    )


@dataclass
class NotebookFix:
    notebook: Notebook
    result: NotebookResult
    fixed: list[Diagnostic] = field(default_factory=list)  # as ``fixes.gone`` counts them
    rejected: list[Diagnostic] = field(default_factory=list)
    converged: bool = True
    changed: bool = False
    out_of_time: bool = False  # the notebook's data is then as it was read


def fix_notebook(
    notebook: Notebook,
    filename: str,
    settings: Settings = DEFAULT_SETTINGS,
    applicabilities: Collection[str] = frozenset({"safe"}),
) -> NotebookFix:
    """Fix the code cells round after round, like ``fixes.fix_text`` does for a file,
    under the file's budget: when it runs out, nothing is fixed (``out_of_time``)."""
    cells = notebook.data["cells"]
    original = {i: cells[i].get("source") for i in notebook.code_cells}
    with budget.limit(settings.max_file_seconds):
        try:
            return _fix_notebook(notebook, filename, settings, applicabilities)
        except OutOfTime:
            for i, source in original.items():
                cells[i]["source"] = source
            result = NotebookResult(filename, cells=CellMap((), (), ()))
            return NotebookFix(notebook, result, out_of_time=True)


def _fix_notebook(
    notebook: Notebook, filename: str, settings: Settings, applicabilities: Collection[str]
) -> NotebookFix:
    from pglint.fixes import MAX_ROUNDS, apply_round, fix_identity, gone, materialize, out_of_time

    found: list[Diagnostic] = []
    rejected: list[Diagnostic] = []
    refused: set[tuple] = set()
    changed = False
    for round_number in range(MAX_ROUNDS + 1):
        result = lint_notebook(notebook, filename, settings)
        if out_of_time(result):
            raise OutOfTime("fixing it")
        if round_number == 0:
            found = result.diagnostics
        fixed = gone(found, result.diagnostics)
        cells = result.cells
        assert cells is not None
        text = result.source.text if result.source is not None else ""
        candidates = [
            d
            for d in materialize(result.diagnostics, text, applicabilities)
            if fix_identity(d) not in refused and _within_one_cell(d, cells)
        ]
        if not candidates or round_number == MAX_ROUNDS:
            return NotebookFix(notebook, result, fixed, rejected, not candidates, changed)
        _, applied, broken = apply_round(text, candidates, applicabilities)
        rejected.extend(broken)
        refused.update(fix_identity(d) for d in broken)
        if not applied:
            return NotebookFix(notebook, result, fixed, rejected, changed=changed)
        _apply_to_cells(notebook, cells, applied, applicabilities)
        changed = True
    raise AssertionError("unreachable")


def _within_one_cell(diagnostic: Diagnostic, cells: CellMap) -> bool:
    """Whether every edit of the fix lies in one cell, away from hidden IPython rows."""
    fix = diagnostic.fix
    if fix is None:
        return False
    index, _, _ = cells.locate(diagnostic.location.row)
    first = cells.first_rows[index]
    last = first + cells.row_counts[index] - 1
    for edit in fix.edits:
        end_row = edit.end_location.row - (edit.end_location.column == 1 and
                                           edit.end_location.row > edit.location.row)  # fmt: skip
        if not first <= edit.location.row <= end_row <= last:
            return False
        if any(r in cells.hidden_rows for r in range(edit.location.row, end_row + 1)):
            return False
    return True


def _apply_to_cells(
    notebook: Notebook, cells: CellMap, applied: list[Diagnostic], applicabilities: Collection[str]
) -> None:
    from pglint.fixes import apply_fixes

    by_cell: dict[int, list[Diagnostic]] = {}
    for d in applied:
        index, _, _ = cells.locate(d.location.row)
        shift = cells.first_rows[index] - 1
        edits = tuple(
            Edit(
                Location(e.location.row - shift, e.location.column),
                Location(e.end_location.row - shift, e.end_location.column),
                e.content,
            )
            for e in d.fix.edits  # type: ignore[union-attr]
        )
        moved = Diagnostic(d.code, d.message, d.filename, d.location, d.end_location,
                           fix=d.fix.__class__(d.fix.applicability, d.fix.message, edits))  # type: ignore[union-attr]  # fmt: skip
        by_cell.setdefault(index, []).append(moved)
    for index, diagnostics in by_cell.items():
        cell = notebook.code_cells[index]
        source = notebook.source(cell)
        new, _ = apply_fixes(source, diagnostics, applicabilities)
        notebook.set_source(cell, new)
