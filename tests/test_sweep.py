"""Real code nobody here wrote: the installed standard library and site-packages lint
without a crash (no exception, no PGL000), and every file gets a defined outcome.

The whole sweep takes a few minutes on a small CI machine, so by default a fixed sample
of one file in ``SAMPLE`` is linted, chosen by a hash of the file's path inside its root
(the same files on every machine with the same packages). ``PGLINT_FULL_SWEEP=1`` lints
every file.
"""

from __future__ import annotations

import hashlib
import os
import sys
import sysconfig
import time

import pytest

from pglint.engine import lint_file
from pglint.project import Project
from pglint.settings import Settings

SAMPLE = 4
# The per-file time budget is off: a PGL002 on a slow machine is not a crash.
NO_BUDGET = Settings(max_file_seconds=None)
# Files the standard library's own tests keep undecodable on purpose.
DECODE_REASONS = ("not valid", "encoding", "unknown encoding")


def python_files() -> list[tuple[str, str]]:
    """(root, path) of every `.py` file of the standard library and of the running
    environment's site-packages (for a virtual environment, its own packages only)."""
    paths = sysconfig.get_paths()
    stdlib = os.path.realpath(paths["stdlib"])
    roots = sorted({stdlib, *(os.path.realpath(paths[k]) for k in ("purelib", "platlib"))})
    found: dict[str, str] = {}
    for root in roots:
        for directory, dirs, files in os.walk(root):
            if directory == stdlib:  # the base interpreter's packages are not this project's
                dirs[:] = [d for d in dirs if d != "site-packages"]
            dirs.sort()
            for name in sorted(files):
                if name.endswith(".py"):
                    path = os.path.join(directory, name)
                    found.setdefault(os.path.realpath(path), root)
    return sorted((root, path) for path, root in found.items())


def sampled(files: list[tuple[str, str]]) -> list[str]:
    if os.environ.get("PGLINT_FULL_SWEEP"):
        return [path for _, path in files]
    keep = []
    for root, path in files:
        relative = os.path.relpath(path, root).replace(os.sep, "/")
        if hashlib.blake2b(relative.encode(), digest_size=4).digest()[0] % SAMPLE == 0:
            keep.append(path)
    return keep


@pytest.mark.slow
def test_installed_python_code_never_crashes():
    files = sampled(python_files())
    assert len(files) > 300, "the sweep found too little code to mean anything"
    project = Project()
    crashes, undecodable, linted = [], [], 0
    start = time.perf_counter()
    for path in files:
        try:
            result = lint_file(path, NO_BUDGET, project)
        except Exception as exc:  # the point of the test: report every one, not the first
            crashes.append(f"{path}: {type(exc).__name__}: {exc}")
            continue
        crashes += [f"{path}: {d.message}" for d in result.diagnostics if d.code == "PGL000"]
        if result.error is not None:
            if not any(reason in result.error for reason in DECODE_REASONS):
                crashes.append(f"{path}: unexpected error: {result.error}")
            undecodable.append(path)
        else:
            linted += 1
    elapsed = time.perf_counter() - start
    assert not crashes, "\n".join(crashes)
    assert linted >= len(files) - 10, undecodable
    print(f"swept {len(files)} files in {elapsed:.1f} s on Python {sys.version.split()[0]}")
