"""Which files a run lints: walking directories and applying excludes."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from pglint.settings import DEFAULT_EXCLUDES, DEFAULT_SETTINGS, Settings

__all__ = ["DEFAULT_EXCLUDES", "PYTHON_SUFFIXES", "discover"]

PYTHON_SUFFIXES = (".py", ".pyi")


def discover(
    paths: Iterable[str], settings: Settings = DEFAULT_SETTINGS, *, force_exclude: bool = False
) -> Iterator[str]:
    """Python files under ``paths``, skipping excluded files and directories.

    A path named explicitly is linted even when an exclude matches it, as in ruff;
    ``force_exclude`` applies the excludes to those too (pre-commit names every file).
    """
    seen: set[str] = set()
    for given in paths:
        path = os.path.normpath(given)
        if force_exclude and settings.is_excluded(path, ancestors=True):
            continue
        if not os.path.isdir(path):
            if path not in seen:
                seen.add(path)
                yield path
            continue
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not settings.is_excluded(_join(root, d)))
            for name in sorted(files):
                full = _join(root, name)
                if not name.endswith(PYTHON_SUFFIXES) or full in seen:
                    continue
                if not settings.is_excluded(full):
                    seen.add(full)
                    yield full


def _join(root: str, name: str) -> str:
    # `pglint check .` reports `a.py`, not `./a.py`, as ruff and flake8 users expect.
    return name if root == os.curdir else os.path.normpath(os.path.join(root, name))
