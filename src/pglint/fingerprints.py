"""Names for findings that survive edits elsewhere in the file.

A finding is identified by its file, its code and the text of the source it covers
(whitespace collapsed), not by its row: adding a line above it does not change it,
editing the line itself does. Identical findings in one file (the same code on the same
text) are told apart by their order, as bandit's baseline does with counts.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence

from pglint.diagnostics import Diagnostic

# A finding spanning more rows than this is identified by its first rows only, so that a
# change far down a long call does not make it new.
MAX_CONTEXT_ROWS = 8


def context(lines: Sequence[str], diagnostic: Diagnostic) -> str:
    """The source a finding covers, one normalized line per row."""
    start, end = diagnostic.location, diagnostic.end_location
    last = end.row - 1 if end.row > start.row and end.column == 1 else end.row
    last = min(max(last, start.row), start.row + MAX_CONTEXT_ROWS - 1)
    rows = lines[start.row - 1 : last] if 1 <= start.row <= len(lines) else []
    return "\n".join(" ".join(line.split()) for line in rows)


def finding_keys(lines: Sequence[str], diagnostics: Iterable[Diagnostic]) -> list[tuple[str, str]]:
    """(code, context) per diagnostic, in the order given."""
    return [(d.code, context(lines, d)) for d in diagnostics]


def fingerprints(path: str, lines: Sequence[str], diagnostics: Iterable[Diagnostic]) -> list[str]:
    """One stable hex fingerprint per diagnostic (in the order given), unique in the file."""
    seen: Counter[tuple[str, str]] = Counter()
    out = []
    for key in finding_keys(lines, diagnostics):
        seen[key] += 1
        out.append(digest(path, *key, str(seen[key])))
    return out


def digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
