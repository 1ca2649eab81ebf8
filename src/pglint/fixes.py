"""Applying fixes: text edits in rounds, until the file is stable, never breaking it.

One round applies the chosen diagnostics' edits together. When two diagnostics' fixes
overlap or touch, the earlier one wins and the later one waits for the next round, where
it is recomputed against the new text (the fixture harness uses the same rule).
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import errno
import os
import stat
import tempfile
import warnings
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise

from pglint import budget
from pglint.budget import OutOfTime
from pglint.diagnostics import Diagnostic, Edit, Location
from pglint.engine import LintResult, imported_for, lint_source
from pglint.facts.model import ImportedNames
from pglint.program import Program
from pglint.settings import DEFAULT_SETTINGS, Settings
from pglint.source import LINE_BREAK, line_starts

MAX_ROUNDS = 10
SAFE: frozenset[str] = frozenset({"safe"})
SAFE_AND_UNSAFE: frozenset[str] = frozenset({"safe", "unsafe"})


def offset(starts: Sequence[int], location: Location) -> int:
    row = min(max(location.row, 1), len(starts))
    return min(starts[row - 1] + location.column - 1, starts[-1])


def is_applicable(diagnostic: Diagnostic, applicabilities: Collection[str]) -> bool:
    """Whether the diagnostic has a fix of one of these kinds (a structural fix's plan is
    taken at its word here: it is worked out only when applied)."""
    fix = diagnostic.fix
    return fix is not None and fix.available and fix.applicability in applicabilities


def materialize(
    diagnostics: Iterable[Diagnostic],
    text: str,
    applicabilities: Collection[str],
    unbuilt: list[Diagnostic] | None = None,
) -> list[Diagnostic]:
    """The applicable diagnostics, each structural fix worked out against ``text`` (the
    source they were found in) into plain edits; one that cannot be is left out (and
    added to ``unbuilt``)."""
    found = []
    for d in diagnostics:
        if not is_applicable(d, applicabilities):
            continue
        fix = d.fix
        assert fix is not None
        if fix.plan is not None:
            edits = fix.edits_for(text)
            if not edits:
                if unbuilt is not None:
                    unbuilt.append(d)
                continue
            d = replace(d, fix=replace(fix, edits=edits, plan=None))
        found.append(d)
    return found


def apply_fixes(
    text: str, diagnostics: Iterable[Diagnostic], applicabilities: Collection[str] = SAFE
) -> tuple[str, list[Diagnostic]]:
    """One round: apply every applicable fix that does not overlap an earlier one.

    Returns the new text and the diagnostics whose fixes were applied.
    """
    starts = line_starts(text)
    newline = _dominant_newline(text)
    spans = []
    for diagnostic in diagnostics:
        if not is_applicable(diagnostic, applicabilities):
            continue
        edits = _resolve(diagnostic.fix.edits_for(text), starts, newline)  # type: ignore[union-attr]
        if edits:
            spans.append((edits[0][0], max(end for _, end, _ in edits), edits, diagnostic))
    spans.sort(key=lambda span: (span[0], span[1]))
    chosen: list[tuple[int, int, str]] = []
    applied: list[Diagnostic] = []
    last_end = -1
    for start, end, edits, diagnostic in spans:
        if start <= last_end:
            continue
        chosen.extend(edits)
        applied.append(diagnostic)
        last_end = end
    pieces = []
    position = 0
    for start, end, content in chosen:
        pieces.append(text[position:start])
        pieces.append(content)
        position = end
    pieces.append(text[position:])
    return "".join(pieces), applied


def _resolve(
    edits: Iterable[Edit], starts: Sequence[int], newline: str
) -> list[tuple[int, int, str]] | None:
    """Edits as sorted (start, end, content) offsets; None if they overlap each other."""
    resolved = sorted(
        (offset(starts, e.location), offset(starts, e.end_location), e.content) for e in edits
    )
    for (_, end, _), (start, _, _) in pairwise(resolved):
        if start < end:
            return None
    if any(start > end for start, end, _ in resolved):
        return None
    if newline != "\n":
        # Keep the file's line endings when an edit inserts whole lines.
        resolved = [(s, e, LINE_BREAK.sub(newline, c)) for s, e, c in resolved]
    return resolved


def _dominant_newline(text: str) -> str:
    first = LINE_BREAK.search(text)
    return first.group() if first else "\n"


@dataclass
class FixOutcome:
    """The result of fixing one file: its final text and what happened on the way."""

    text: str
    result: LintResult  # the diagnostics that remain in ``text``
    fixed: list[Diagnostic] = field(default_factory=list)
    rejected: list[Diagnostic] = field(default_factory=list)  # would break the code
    converged: bool = True
    # Structural fixes that could not be worked out (libcst cannot restructure the code);
    # those still in ``result`` have their fix taken away.
    unbuilt: list[Diagnostic] = field(default_factory=list)
    # The file's budget ran out (pglint.budget): ``text`` is the text as given.
    out_of_time: bool = False


def fix_text(
    text: str,
    filename: str,
    settings: Settings = DEFAULT_SETTINGS,
    applicabilities: Collection[str] = SAFE,
    *,
    max_rounds: int = MAX_ROUNDS,
    linted: LintResult | None = None,
    imported: ImportedNames | None = None,
    program: Program | None = None,
) -> FixOutcome:
    """Lint and fix, round after round, until no applicable fix remains (``program``:
    what the rest of the program says of the file's functions, as in its lint).

    A round whose result does not parse is retried fix by fix; a fix that breaks the
    code on its own is dropped for the rest of the run and reported as rejected.
    ``linted`` is the lint of ``text`` already made, if any: the first round's.
    ``imported``: what the project modules the file imports provide, when the file was
    not linted by this process's project (a language server keeps its own).

    All of it runs under the file's budget: when the budget runs out, nothing is fixed
    (``out_of_time``), rather than a file left half fixed with its findings unknown.
    """
    found: list[Diagnostic] = []
    rejected: list[Diagnostic] = []
    unbuilt: list[Diagnostic] = []
    refused: set[tuple] = set()
    original = text
    with budget.limit(settings.max_file_seconds), budget.phase("fixing it"):
        try:
            for round_number in range(max_rounds + 1):
                if round_number == 0 and linted is not None:
                    result = linted
                else:
                    if imported is None:
                        imported = imported_for(filename)
                    result = lint_source(
                        text, filename, settings, imported=imported, program=program
                    )
                if out_of_time(result):
                    raise OutOfTime("fixing it")
                if round_number == 0:
                    found = result.diagnostics
                unbuilt_now: list[Diagnostic] = []
                candidates = [
                    d
                    for d in materialize(result.diagnostics, text, applicabilities, unbuilt_now)
                    if fix_identity(d) not in refused
                ]
                fixed = gone(found, result.diagnostics)
                if not candidates or round_number == max_rounds:
                    unbuilt += unbuilt_now
                    _without_fixes(result, unbuilt_now)
                    return FixOutcome(
                        text, result, fixed, rejected, converged=not candidates, unbuilt=unbuilt
                    )
                new_text, applied, broken = apply_round(text, candidates, applicabilities)
                rejected.extend(broken)
                refused.update(fix_identity(d) for d in broken)
                if not applied and not broken:  # only malformed fixes are left
                    unbuilt += unbuilt_now
                    _without_fixes(result, unbuilt_now)
                    return FixOutcome(text, result, fixed, rejected, unbuilt=unbuilt)
                text = new_text
        except OutOfTime:
            first = linted or LintResult(filename)
            return FixOutcome(original, first, [], rejected, out_of_time=True)
    raise AssertionError("unreachable")


def out_of_time(result: LintResult) -> bool:
    """Whether the file's budget ran out while it was linted (its PGL002 says so)."""
    return any(d.code == "PGL002" for d in result.diagnostics)


def gone(found: list[Diagnostic], remaining: list[Diagnostic]) -> list[Diagnostic]:
    """The findings of ``found`` that fixing made go, the ones with a fix first: per code,
    as many as fewer remain. What `--fix` reports as fixed is what the report before it
    showed, so every count agrees: a finding that one fix brings up and a later round
    removes (a PGL101 rewrite's `LIKE 'a%'`, now with parameters, becomes PGL205 and is
    doubled) is part of that fix, not a second one."""
    left = Counter(d.code for d in remaining)
    out = []
    for d in sorted(found, key=lambda d: d.fix is None):
        if left[d.code] > 0:
            left[d.code] -= 1
        else:
            out.append(d)
    out.sort(key=lambda d: d.sort_key)
    return out


def _without_fixes(result: LintResult, unbuilt: list[Diagnostic]) -> None:
    """Take away the fixes that could not be worked out: what remains is not fixable."""
    if unbuilt:
        ids = {id(d) for d in unbuilt}
        result.diagnostics = [
            replace(d, fix=None) if id(d) in ids else d for d in result.diagnostics
        ]


def apply_round(
    text: str, diagnostics: Iterable[Diagnostic], applicabilities: Collection[str] = SAFE
) -> tuple[str, list[Diagnostic], list[Diagnostic]]:
    """``apply_fixes``, but never to a text that does not parse.

    Returns (new text, applied, rejected): when the round's result does not parse, each
    fix is tried alone; those that break the code on their own are rejected, and the
    others are kept as long as they still parse together.
    """
    new_text, applied = apply_fixes(text, diagnostics, applicabilities)
    if not applied or _parses(new_text):
        return new_text, applied, []
    return _apply_carefully(text, applied, applicabilities)


def _apply_carefully(
    text: str, candidates: list[Diagnostic], applicabilities: Collection[str]
) -> tuple[str, list[Diagnostic], list[Diagnostic]]:
    good, broken = [], []
    for diagnostic in candidates:
        budget.check()  # each try parses the whole text
        alone, _ = apply_fixes(text, [diagnostic], applicabilities)
        (good if _parses(alone) else broken).append(diagnostic)
    kept: list[Diagnostic] = []
    current = text
    for diagnostic in good:
        budget.check()
        trial, applied = apply_fixes(text, [*kept, diagnostic], applicabilities)
        if applied and _parses(trial):
            kept.append(diagnostic)
            current = trial
    return current, kept, broken


def fix_identity(diagnostic: Diagnostic) -> tuple:
    """Recognises a refused fix in later rounds, where its position may have moved."""
    fix = diagnostic.fix
    contents = tuple(e.content for e in fix.edits) if fix else ()
    return (diagnostic.code, diagnostic.message, fix.message if fix else "", contents)


def _parses(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. SyntaxWarning: invalid escape sequence
            ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def write_atomically(path: str, data: bytes) -> None:
    """Write a fixed file, as one step where the file system allows and in place always:
    the file keeps its owner, group, mode and hard links, as ruff and black keep them.

    The new contents go to a temporary file beside it, then replace it by a rename, so a
    crash leaves the old file or the new one, never half of one. Where a rename would
    lose something (another hard link to the file, an owner or group the temporary file
    cannot be given, a directory that cannot be written) the file is written through its
    own handle instead. A file no one may write (mode 0444) is not written, even by root.
    A symlink keeps pointing at the file it pointed at, which is the one written.
    """
    real = os.path.realpath(path)
    info = os.stat(real)
    if not info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise PermissionError(errno.EACCES, "the file is read-only", path)
    if info.st_nlink == 1 and _replace(real, data, info):
        return
    _write_in_place(real, data)


def _replace(real: str, data: bytes, info: os.stat_result) -> bool:
    """Replace the file by a rename; False when that would lose its owner or group, or
    the directory refuses a new file (nothing is changed then)."""
    directory, name = os.path.split(real)
    try:
        fd, temporary = tempfile.mkstemp(dir=directory or ".", prefix=f".{name}.", suffix=".tmp")
    except OSError:
        return False  # a read-only directory, a full one: the file itself may still be written
    try:
        with os.fdopen(fd, "wb") as handle:
            created = os.fstat(handle.fileno())
            if (created.st_uid, created.st_gid) != (info.st_uid, info.st_gid):
                try:
                    os.fchown(handle.fileno(), info.st_uid, info.st_gid)
                except OSError:
                    os.unlink(temporary)
                    return False  # not ours to give: written in place instead
            handle.write(data)
            # On disk before the rename: after a power cut the name points at the old
            # contents or the new ones, never at an empty file.
            handle.flush()
            os.fsync(handle.fileno())
            os.fchmod(handle.fileno(), stat.S_IMODE(info.st_mode))
        os.replace(temporary, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return True


def _write_in_place(real: str, data: bytes) -> None:
    with open(real, "r+b") as handle:
        handle.write(data)
        handle.truncate()
        handle.flush()
        os.fsync(handle.fileno())


def unified_diff(before: str, after: str, path: str) -> str:
    """A unified diff that survives files without a final newline and CRLF endings."""
    diff = difflib.unified_diff(_split(before), _split(after), path, path)
    out = []
    for line in diff:
        if line.endswith(("\n", "\r")):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _split(text: str) -> list[str]:
    starts = line_starts(text)
    return [text[a:b] for a, b in pairwise(starts)]
