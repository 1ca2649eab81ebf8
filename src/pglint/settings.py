"""Which rules run on which files. Built from `[tool.pglint]` and command-line flags."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ("PGL",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()

    def is_enabled(self, code: str, filename: str | None = None) -> bool:
        """Ruff's rule: the longest matching prefix wins; on a tie, ignore wins."""
        selected = _longest_prefix(code, self.select + self.extend_select)
        ignored = _longest_prefix(code, self.ignore + self._file_ignores(filename))
        if selected < 0:
            return False
        return not (ignored >= selected)

    def _file_ignores(self, filename: str | None) -> tuple[str, ...]:
        if not filename:
            return ()
        path = filename.replace("\\", "/")
        codes: list[str] = []
        for pattern, pattern_codes in self.per_file_ignores:
            if path_matches(path, pattern):
                codes.extend(pattern_codes)
        return tuple(codes)


def _longest_prefix(code: str, prefixes: tuple[str, ...]) -> int:
    best = -1
    for prefix in prefixes:
        prefix = prefix.strip().upper()
        if prefix == "ALL":
            best = max(best, 0)
        elif prefix and code.startswith(prefix):
            best = max(best, len(prefix))
    return best


def path_matches(path: str, pattern: str) -> bool:
    """Match like ruff's globs: against the whole relative path or any of its tails."""
    pattern = pattern.replace("\\", "/").rstrip("/")
    if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path, pattern + "/*"):
        return True
    parts = path.split("/")
    return any(fnmatch.fnmatch("/".join(parts[i:]), pattern) for i in range(1, len(parts)))


DEFAULT_SETTINGS = Settings()
