"""What the precision and recall scripts share: running pglint for its findings, and
deciding whether a finding and a hand-written label point at the same statement.

A label names a line; pglint may report the same mistake on another line of the same
statement (a call that starts on one line and has its `password=` argument on the next,
a query whose `execute(` opens a multi-line string). Two lines count as the same place
when they are equal or fall in the same statement: for a simple statement its whole
extent, for a compound one (`def`, `with`, `if`, ...) its header, decorators included,
up to the line before its body.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

# pglint's own conditions (internal error, syntax error, skipped file) say nothing
# about the code's database mistakes; they are listed, never scored.
OWN_CONDITIONS = re.compile(r"PGL0\d\d$")


@dataclass(frozen=True)
class Finding:
    path: str  # relative to the tree pglint ran in, with forward slashes
    line: int
    code: str
    message: str = ""


def run_pglint(
    root: Path, paths: Iterable[str] = (".",), extra: Iterable[str] = ()
) -> list[Finding]:
    """Every finding of ``pglint check`` over ``paths`` (relative to ``root``), run in
    ``root`` so that file names come out relative to it.

    No cache (each run is fresh), no configuration file (an app's own or this
    repository's), and no .gitignore: the trees live in folders git ignores."""
    argv = [
        sys.executable, "-m", "pglint", "check", *paths,
        "--output-format", "json", "--exit-zero", "--no-cache", "--isolated",
        "--no-respect-gitignore", *extra,
    ]  # fmt: skip
    done = subprocess.run(argv, cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"pglint failed in {root} ({done.returncode}): {done.stderr[-2000:]}")
    findings = []
    for item in json.loads(done.stdout or "[]"):
        name = Path(item["filename"])
        if name.is_absolute():
            name = name.relative_to(root.resolve())
        path = name.as_posix().removeprefix("./")
        findings.append(Finding(path, item["location"]["row"], item["code"], item["message"]))
    return findings


@lru_cache(maxsize=4096)
def statement_of_line(file: Path) -> dict[int, tuple[int, int]]:
    """For each line of ``file`` that a statement covers, the span of the innermost
    statement (or compound statement header) that covers it. Empty when the file does
    not parse: then only equal lines match."""
    try:
        tree = ast.parse(file.read_bytes())
    except (SyntaxError, ValueError, OSError):
        return {}
    spans: dict[int, tuple[int, int]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt):
            continue
        start, end = node.lineno, node.end_lineno or node.lineno
        decorators = getattr(node, "decorator_list", [])
        if decorators:
            start = min(start, *(d.lineno for d in decorators))
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
            end = max(node.lineno, body[0].lineno - 1)
        for line in range(start, end + 1):
            # ast.walk goes outside in: an inner statement overrides its container.
            known = spans.get(line)
            if known is None or (known[1] - known[0]) >= (end - start):
                spans[line] = (start, end)
    return spans


def same_place(file: Path | None, line_a: int, line_b: int) -> bool:
    """Whether two lines of ``file`` are one place: equal, or in one statement."""
    if line_a == line_b:
        return True
    if file is None:
        return False
    spans = statement_of_line(file)
    return spans.get(line_a) is not None and spans.get(line_a) == spans.get(line_b)


def glob_pattern(glob: str) -> re.Pattern[str]:
    """A path glob as a regular expression: `*` and `?` stay within one directory,
    `**/` spans any number of them."""
    out = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def matches_any(path: str, globs: Iterable[str]) -> bool:
    return any(glob_pattern(g).match(path) for g in globs)
