"""What a rule reports: locations, text edits, fixes and diagnostics.

Rows are 1-based; columns are 1-based and count characters (not UTF-8 bytes), the
convention of ruff's JSON output. ``Edit`` end locations are exclusive.

A fix that restructures code (wraps a block in `try`/`finally`, moves a statement) carries
a ``Plan`` instead of its edits: what to change, as plain data. The edits are worked out
from the file's text only when they are wanted (`--fix`, `--diff`, JSON output), by
``pglint.fixes_cst``, which imports libcst; a run that only reports never does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Applicability = Literal["safe", "unsafe", "display-only"]

DOCS_URL = "https://github.com/pglint/pglint/blob/main/rules.md#{anchor}"


@dataclass(frozen=True, order=True)
class Location:
    row: int
    column: int


@dataclass(frozen=True)
class Edit:
    location: Location
    end_location: Location
    content: str


@dataclass(frozen=True)
class Plan:
    """A structural change, worked out when applied: the builder ``kind`` of
    ``pglint.fixes_cst`` and its ``args`` (positions, names, code: plain values, tuples
    of them, so that a plan survives pickling and the cache's JSON)."""

    kind: str
    args: tuple = ()


@dataclass(frozen=True)
class Fix:
    applicability: Applicability
    message: str
    edits: tuple[Edit, ...] = ()
    plan: Plan | None = None  # more edits, worked out from the text when wanted

    @property
    def available(self) -> bool:
        """Whether the fix has (or promises) edits, without working a plan out."""
        return bool(self.edits) or self.plan is not None

    def edits_for(self, text: str) -> tuple[Edit, ...]:
        """Every edit of the fix against ``text``, the source it was found in. A plan that
        cannot be carried out on this text adds nothing."""
        if self.plan is None:
            return self.edits
        from pglint.fixes_cst import build  # libcst: only when a fix is wanted

        built = build(self.plan, text)
        return () if built is None else (*self.edits, *built)


@dataclass(frozen=True)
class Related:
    """Another place that explains a finding: the route whose requests reach the code,
    each call in between."""

    filename: str
    location: Location
    message: str


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    filename: str
    location: Location
    end_location: Location
    suggestion: str | None = None
    fix: Fix | None = None
    name: str = ""
    url: str | None = field(default=None, compare=False)
    related: tuple[Related, ...] = field(default=(), compare=False)

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.filename, self.location.row, self.location.column, self.code)
