"""Baselines: adopt pglint in a legacy codebase by recording today's findings.

`--write-baseline FILE` records every current finding as (file, code, the source text it
covers, count); `--baseline FILE` then reports only findings the baseline does not
cover. Rows are not recorded, so a finding keeps matching when code above it moves, as
in bandit's baseline; counts mean that a second copy of a recorded bug is new. Paths are
relative to the baseline file's directory, so the file can be committed and used from
any working directory.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pglint.diagnostics import Diagnostic
from pglint.engine import LintResult
from pglint.fingerprints import finding_keys
from pglint.source import SourceText

FORMAT_VERSION = 1
# pglint's own conditions describe the run, not the code: a baseline never hides them.
NEVER_BASELINED = ("PGL000", "PGL001", "PGL002")

Key = tuple[str, str, str]  # (path, code, context)


class BaselineError(Exception):
    """The baseline file cannot be read; the message names it."""


@dataclass
class Baseline:
    directory: Path
    counts: Counter[Key] = field(default_factory=Counter)

    def path_of(self, filename: str) -> str:
        absolute = Path(os.path.abspath(filename))
        try:
            return absolute.relative_to(self.directory).as_posix()
        except ValueError:
            return absolute.as_posix()


def _keys(baseline: Baseline, result: LintResult) -> list[Key]:
    lines = SourceText(result.source.text).lines if result.source is not None else []
    path = baseline.path_of(result.filename)
    return [(path, code, text) for code, text in finding_keys(lines, result.diagnostics)]


def build(results: list[LintResult], file: Path) -> Baseline:
    baseline = Baseline(file.resolve().parent)
    for result in results:
        for key in _keys(baseline, result):
            if key[1] not in NEVER_BASELINED:
                baseline.counts[key] += 1
    return baseline


def dumps(baseline: Baseline) -> str:
    entries = [
        {"file": path, "code": code, "context": text, "count": count}
        for (path, code, text), count in sorted(baseline.counts.items())
    ]
    return json.dumps({"version": FORMAT_VERSION, "findings": entries}, indent=2) + "\n"


def load(file: Path) -> Baseline:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"{file}: cannot read the baseline: {exc.strerror or exc}") from None
    except RecursionError:
        raise BaselineError(f"{file}: the baseline is not valid JSON: nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
        raise BaselineError(f"{file}: the baseline is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
        raise BaselineError(
            f"{file}: not a pglint baseline (version {FORMAT_VERSION}); "
            "write one with --write-baseline"
        )
    findings = data.get("findings", [])
    if not isinstance(findings, list):
        raise BaselineError(f"{file}: malformed baseline: 'findings' is not a list")
    baseline = Baseline(file.resolve().parent)
    for number, entry in enumerate(findings, 1):
        try:
            key = (_text(entry["file"]), _text(entry["code"]), _text(entry["context"]))
            count = entry.get("count", 1)
            if type(count) is not int or count < 1:
                raise ValueError
            baseline.counts[key] += count
        except (KeyError, TypeError, ValueError, AttributeError):
            raise BaselineError(
                f"{file}: malformed baseline entry {number}: it needs a file, a code and a "
                "context (strings) and a count of at least 1; write the baseline again "
                "with --write-baseline"
            ) from None
    return baseline


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError
    return value


def apply(baseline: Baseline, results: list[LintResult]) -> tuple[dict[str, list[Diagnostic]], int]:
    """Move the findings the baseline covers out of each result's diagnostics.

    Returns them by file name, and how many recorded findings in the files linted matched
    nothing (fixed since, or edited so that they no longer match).
    """
    remaining = Counter(baseline.counts)
    matched: dict[str, list[Diagnostic]] = {}
    linted = {baseline.path_of(r.filename) for r in results}
    for result in results:
        kept = []
        for diagnostic, key in zip(result.diagnostics, _keys(baseline, result), strict=True):
            if remaining[key] > 0 and diagnostic.code not in NEVER_BASELINED:
                remaining[key] -= 1
                matched.setdefault(result.filename, []).append(diagnostic)
            else:
                kept.append(diagnostic)
        result.diagnostics = kept
    return matched, sum(n for (path, _, _), n in remaining.items() if path in linted)
