"""What a rule reports: locations, text edits, fixes and diagnostics.

Rows are 1-based; columns are 1-based and count characters (not UTF-8 bytes), the
convention of ruff's JSON output. ``Edit`` end locations are exclusive.
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
class Fix:
    applicability: Applicability
    message: str
    edits: tuple[Edit, ...] = ()


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

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.filename, self.location.row, self.location.column, self.code)
