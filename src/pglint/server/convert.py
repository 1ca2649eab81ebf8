"""pglint's findings in the editor's terms: ranges, diagnostics, code actions, hovers.

A document's findings are kept with the text they were made from (``Findings``). For a
Python file that is one text; for a notebook it is the module its code cells make, each
finding placed in its cell (``Placement``), as `pglint check` reports it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise

from lsprotocol import types

from pglint.diagnostics import Diagnostic, Edit, Location
from pglint.docs import render_rule
from pglint.fixes import is_applicable
from pglint.noqa import add_noqa
from pglint.notebooks import CellMap
from pglint.output.common import url_for
from pglint.rules import get_rule
from pglint.source import line_starts

SOURCE = "pglint"
FIX_ALL = "source.fixAll.pglint"
NOTEBOOK_FIX_ALL = "notebook.source.fixAll.pglint"
SHOW_SUGGESTION = "pglint.showSuggestion"
# pglint's own conditions: they are no finding in the code, and no noqa silences them.
OWN_CODES = ("PGL000", "PGL001", "PGL002")
_SEVERITY = {
    "PGL000": types.DiagnosticSeverity.Warning,
    "PGL001": types.DiagnosticSeverity.Error,
    "PGL002": types.DiagnosticSeverity.Information,
}


def split_rows(text: str) -> list[str]:
    """Rows with their line endings, broken where Python breaks them."""
    starts = line_starts(text)
    return [text[a:b] for a, b in pairwise(starts)]


@dataclass
class Target:
    """One text document findings are shown in: a file, or a notebook's cell."""

    uri: str
    text: str
    first_row: int = 1  # the module row where this text begins
    rows: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rows = split_rows(self.text)


@dataclass
class Findings:
    """What one lint of a document found, with the texts it was made from."""

    uri: str  # the document (a notebook's own URI for its cells)
    version: int | None
    diagnostics: list[Diagnostic]
    targets: list[Target]
    cells: CellMap | None = None  # for a notebook: where each code cell sits
    error: str | None = None
    notebook: bool = False  # its targets are cells
    text: str | None = None  # what was linted (a notebook's cells as one module)

    def target(self, row: int) -> Target:
        """The text a module row lies in."""
        if self.cells is None or not self.cells.first_rows:
            return self.targets[0]
        index, _, _ = self.cells.locate(row)
        return self.targets[index]

    def in_target(self, uri: str) -> Iterator[Diagnostic]:
        for d in self.diagnostics:
            if self.target(d.location.row).uri == uri:
                yield d


class Positions:
    """Character columns (pglint's) to the client's position encoding and back."""

    def __init__(self, codec) -> None:
        self.codec = codec

    def position(self, target: Target, location: Location) -> types.Position:
        line = location.row - target.first_row
        rows = target.rows
        if line >= len(rows):  # the end of the text
            if not rows:
                return types.Position(0, 0)
            last = rows[-1]
            if last.endswith(("\n", "\r")):
                return types.Position(len(rows), 0)
            return types.Position(len(rows) - 1, self.codec.client_num_units(last))
        text = rows[max(line, 0)].rstrip("\r\n")
        column = min(max(location.column - 1, 0), len(text) + 1)
        return types.Position(max(line, 0), self.codec.client_num_units(text[:column]))

    def range(self, target: Target, start: Location, end: Location) -> types.Range:
        return types.Range(self.position(target, start), self.position(target, end))

    def location(self, target: Target, position: types.Position) -> Location:
        """The pglint location (module row, character column) of a client position."""
        rows = target.rows
        if position.line >= len(rows):
            return Location(target.first_row + len(rows), 1)
        text = rows[position.line].rstrip("\r\n")
        units = 0
        column = 0
        for char in text:
            if units >= position.character:
                break
            units += self.codec.client_num_units(char)
            column += 1
        return Location(target.first_row + position.line, column + 1)


def severity(code: str) -> types.DiagnosticSeverity:
    return _SEVERITY.get(code, types.DiagnosticSeverity.Warning)


def to_lsp(d: Diagnostic, target: Target, positions: Positions) -> types.Diagnostic:
    url = url_for(d)
    return types.Diagnostic(
        range=positions.range(target, d.location, d.end_location),
        message=d.message,
        severity=severity(d.code),
        code=d.code,
        code_description=types.CodeDescription(href=url) if url else None,
        source=SOURCE,
    )


def diagnostics_for(findings: Findings, uri: str, positions: Positions) -> list[types.Diagnostic]:
    out = []
    for d in findings.in_target(uri):
        out.append(to_lsp(d, findings.target(d.location.row), positions))
    return out


def error_diagnostic(message: str) -> types.Diagnostic:
    """A file pglint could not check (its configuration, its bytes): said at its top."""
    return types.Diagnostic(
        range=types.Range(types.Position(0, 0), types.Position(0, 0)),
        message=message,
        severity=types.DiagnosticSeverity.Error,
        source=SOURCE,
    )


# --- code actions ---------------------------------------------------------------------


def _overlaps(a: types.Range, b: types.Range) -> bool:
    def key(p: types.Position) -> tuple[int, int]:
        return (p.line, p.character)

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def _edits(fix_edits: tuple[Edit, ...], target: Target, positions: Positions) -> list:
    return [
        types.TextEdit(positions.range(target, e.location, e.end_location), e.content)
        for e in fix_edits
    ]


def _within(target: Target, edits: tuple[Edit, ...]) -> bool:
    last = target.first_row + len(target.rows)
    return all(target.first_row <= e.location.row and e.end_location.row <= last for e in edits)


def code_actions(
    findings: Findings,
    uri: str,
    wanted: types.Range,
    positions: Positions,
    hidden_rows: frozenset[int] = frozenset(),
) -> list[types.CodeAction]:
    """The quick fixes for the findings that touch ``wanted`` in the text ``uri``: each
    fix (an unsafe one says so), a `# noqa` for the code, and the suggested change where
    nothing can be applied."""
    actions: list[types.CodeAction] = []
    for d in findings.in_target(uri):
        target = findings.target(d.location.row)
        shown = to_lsp(d, target, positions)
        if not _overlaps(shown.range, wanted):
            continue
        fix = d.fix
        edits: tuple[Edit, ...] = ()
        if fix is not None and fix.applicability in ("safe", "unsafe"):
            # A structural fix is worked out (with libcst) only now, when it is asked for.
            edits = fix.edits_for(findings.text if findings.text is not None else target.text)
        if edits and _within(target, edits) and not hidden_rows & _rows_of(edits):
            title = f"{d.code}: {fix.message or 'Apply the fix'}"
            if fix.applicability == "unsafe":
                title += " (unsafe fix: may change behaviour)"
            actions.append(
                types.CodeAction(
                    title=title,
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[shown],
                    is_preferred=fix.applicability == "safe",
                    edit=types.WorkspaceEdit(changes={uri: _edits(edits, target, positions)}),
                )
            )
        elif d.suggestion:
            actions.append(
                types.CodeAction(
                    title=f"{d.code}: show the suggested change",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[shown],
                    command=types.Command(
                        title="Show the suggested change",
                        command=SHOW_SUGGESTION,
                        arguments=[d.code, d.suggestion],
                    ),
                )
            )
        if d.code not in OWN_CODES:
            noqa = noqa_edit(target, d, positions)
            if noqa is not None:
                actions.append(
                    types.CodeAction(
                        title=f"{d.code}: add `# noqa: {d.code}`",
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[shown],
                        edit=types.WorkspaceEdit(changes={uri: [noqa]}),
                    )
                )
    return actions


def _rows_of(edits: tuple[Edit, ...]) -> frozenset[int]:
    return frozenset(r for e in edits for r in range(e.location.row, e.end_location.row + 1))


def noqa_edit(target: Target, d: Diagnostic, positions: Positions) -> types.TextEdit | None:
    """The one row `# noqa: CODE` goes on (where flake8 and pglint look), rewritten."""
    row = d.location.row - target.first_row + 1
    text, changed = add_noqa(target.text, [(d.code, row)])
    if not changed:
        return None
    new_rows = split_rows(text)
    for index, (old, new) in enumerate(zip(target.rows, new_rows, strict=False)):
        if old != new:
            body, new_body = old.rstrip("\r\n"), new.rstrip("\r\n")
            start = Location(target.first_row + index, 1)
            end = Location(target.first_row + index, len(body) + 1)
            return types.TextEdit(positions.range(target, start, end), new_body)
    return None


def fixable(findings: Findings, applicabilities: frozenset[str]) -> bool:
    return any(is_applicable(d, applicabilities) for d in findings.diagnostics)


# --- hover ----------------------------------------------------------------------------


def hover_text(diagnostics: list[Diagnostic]) -> str:
    """Each finding at the position: its message, the suggested change, and the rule's
    documentation as `pglint rule` prints it."""
    parts = []
    for d in diagnostics:
        part = [f"**{d.code}** `{d.name}` (pglint)" if d.name else f"**{d.code}** (pglint)"]
        part.append(d.message)
        if d.suggestion:
            part.append("Suggested change:\n\n```python\n" + d.suggestion.strip("\n") + "\n```")
        rule = get_rule(d.code)
        if rule is not None:
            part.append("---\n\n" + render_rule(rule, level=3))
        parts.append("\n\n".join(part))
    return "\n\n---\n\n".join(parts)
