"""Lint a large tree of real code nobody here wrote, and count what must never happen.

Run from the repository root, on any tree: a virtual environment's site-packages filled
with popular distributions, or a folder of extracted sdists:

    .venv/bin/python bench/sweep.py DIR [DIR ...] [--jobs N] [--json OUT]

Each tree is linted by the installed `pglint check` (no configuration, no cache, the
pre-filter on, the default per-file budget), as a user would run it, and the report
counts, over all files: internal errors (PGL000), files over the budget (PGL002),
tracebacks and internal errors on standard error, files that could not be read or
decoded, and syntax errors (PGL001: code for another Python, or broken on purpose by
its project's tests). A second pass with `--no-prefilter`-like reach is not done here:
the test suite checks that the pre-filter drops no finding.

The exit status is 1 when anything that must never happen did (PGL000, PGL002, a
traceback), so the sweep can gate a release.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

SUMMARY = re.compile(r"pglint: ([\d,]+) files in [\d.]+ s: ([\d,]+) analysed")


def python_files(root: Path) -> int:
    return sum(name.endswith((".py", ".pyi")) for _, _, names in os.walk(root) for name in names)


def sweep(root: Path, jobs: int) -> dict:
    pglint = Path(sys.executable).with_name("pglint")
    argv = [
        *(str(pglint), "check", "--isolated", "--no-cache", "--exit-zero"),
        *("--no-respect-gitignore", "--output-format", "json", "-v"),
        *("--jobs", str(jobs), str(root)),
    ]
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, errors="replace")
    seconds = time.perf_counter() - start
    findings = json.loads(done.stdout or "[]")
    codes = Counter(d["code"] for d in findings)
    errors = [line for line in done.stderr.splitlines() if line.startswith("pglint: error:")]
    summary = SUMMARY.search(done.stderr)
    return {
        "root": str(root),
        "python_files": python_files(root),
        "files_checked": int(summary.group(1).replace(",", "")) if summary else None,
        "analysed": int(summary.group(2).replace(",", "")) if summary else None,
        "seconds": round(seconds, 1),
        "exit_code": done.returncode,
        "findings": sum(codes.values()),
        "by_code": dict(sorted(codes.items())),
        "internal_errors": _messages(findings, "PGL000"),
        "over_budget": _messages(findings, "PGL002"),
        "tracebacks": done.stderr.count("Traceback"),
        "stderr_internal": [line for line in done.stderr.splitlines() if "internal error" in line],
        "unreadable": errors,
    }


def _messages(findings: list[dict], code: str) -> list[str]:
    return [f"{d['filename']}: {d['message']}" for d in findings if d["code"] == code]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dirs", nargs="+", type=Path)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", type=Path, help="write the full results here")
    args = parser.parse_args()
    results = [sweep(root.resolve(), args.jobs) for root in args.dirs]
    bad = 0
    for r in results:
        print(
            f"{r['root']}: {r['python_files']:,} .py files, {r['files_checked']:,} checked, "
            f"{r['analysed']:,} analysed, in {r['seconds']} s: {r['findings']:,} findings "
            f"{r['by_code']}; PGL000 {len(r['internal_errors'])}, PGL002 "
            f"{len(r['over_budget'])}, tracebacks {r['tracebacks']}, internal errors on "
            f"stderr {len(r['stderr_internal'])}, unreadable or undecodable "
            f"{len(r['unreadable'])}"
        )
        for line in r["internal_errors"] + r["over_budget"] + r["stderr_internal"]:
            print(f"  {line}")
        bad += len(r["internal_errors"]) + len(r["over_budget"]) + r["tracebacks"]
        bad += len(r["stderr_internal"])
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
