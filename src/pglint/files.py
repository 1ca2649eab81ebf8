"""Which files a run lints: walking directories and applying excludes."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from pglint.settings import DEFAULT_SETTINGS, Settings, path_matches

DEFAULT_EXCLUDES = (
    ".bzr", ".direnv", ".eggs", ".git", ".hg", ".mypy_cache", ".nox", ".pants.d",
    ".pglint_cache", ".pytest_cache", ".ruff_cache", ".svn", ".tox", ".venv", "__pypackages__",
    "_build", "buck-out", "build", "dist", "node_modules", "site-packages", "venv",
)  # fmt: skip


def discover(paths: Iterable[str], settings: Settings = DEFAULT_SETTINGS) -> Iterator[str]:
    """Python files under ``paths``, skipping excluded directories.

    A file named explicitly is always linted, as with ruff without --force-exclude.
    """
    excludes = DEFAULT_EXCLUDES + settings.exclude + settings.extend_exclude
    seen: set[str] = set()
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(
                    d for d in dirs if not _excluded(os.path.join(root, d), d, excludes)
                )
                for name in sorted(files):
                    full = os.path.join(root, name)
                    if name.endswith((".py", ".pyi")) and not _excluded(full, name, excludes):
                        if full not in seen:
                            seen.add(full)
                            yield full
        elif path not in seen:
            seen.add(path)
            yield path


def _excluded(path: str, name: str, patterns: tuple[str, ...]) -> bool:
    rel = os.path.normpath(path).replace(os.sep, "/")
    return any(name == p or path_matches(rel, p) for p in patterns)
