"""Which rules run on which files. Built from `[tool.pglint]` and command-line flags."""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache

# A selector is a rule code or a prefix of one; flake8 validates its codes the same way.
SELECTOR_PATTERN = re.compile(r"^(ALL|PGL[0-9]{0,3})$")

DEFAULT_EXCLUDES = (
    ".bzr", ".direnv", ".eggs", ".git", ".hg", ".mypy_cache", ".nox", ".pants.d",
    ".pglint_cache", ".pytest_cache", ".ruff_cache", ".svn", ".tox", ".venv", "__pypackages__",
    "_build", "buck-out", "build", "dist", "node_modules", "site-packages", "venv",
)  # fmt: skip


DEFAULT_MAX_FILE_SIZE = 10_000_000  # bytes; generated code, not something a person wrote
DEFAULT_MAX_FILE_SECONDS = 10.0


# Where results are kept for the next run (pglint.cache), relative to the working directory.
CACHE_DIRECTORY = ".pglint_cache"


@dataclass(frozen=True)
class Selection:
    """One layer of rule selection: the defaults, the config file, or the command line.

    As in ruff, a layer that sets ``select`` replaces everything before it; a layer
    without it only adds (``extend_select``) or removes (``ignore``) rules.
    """

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()

    def decide(self, code: str, opt_in: bool = False) -> bool | None:
        """Within one layer the longest matching selector wins; on a tie, ignore wins.
        None: this layer says nothing about ``code``.

        An ``opt_in`` rule (off by default) is selected only by a selector that names
        its family or itself (`PGL8`, `PGL801`): `PGL` and `ALL` mean the default set.
        """
        selected = _longest_prefix(code, (self.select or ()) + self.extend_select)
        if opt_in and selected < _FAMILY:
            selected = -1
        ignored = _longest_prefix(code, self.ignore)
        if selected < 0 and ignored < 0:
            return None
        return selected > ignored


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ("PGL",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDES
    extend_exclude: tuple[str, ...] = ()
    # Later selection layers (config file, then command line), applied in order.
    layers: tuple[Selection, ...] = ()
    # Relative globs (excludes, per-file-ignores) are anchored here: the directory of the
    # configuration file, or the working directory. None: match paths as given.
    root: str | None = None
    # The per-file budget: a larger file is skipped unread, and analysis that outlasts
    # the time stops between phases; either is reported as PGL002. None: no limit.
    max_file_size: int | None = DEFAULT_MAX_FILE_SIZE
    max_file_seconds: float | None = DEFAULT_MAX_FILE_SECONDS
    # The configuration file these came from, for `--show-settings`; not part of what the
    # settings decide (equality, the cache's key).
    config_file: str | None = field(default=None, compare=False, repr=False)

    def is_enabled(self, code: str, filename: str | None = None) -> bool:
        # Asked for every rule on every file: the layers' answer is kept per code (in the
        # instance's dict, which the frozen fields, equality and hash do not include).
        selected = self.__dict__.setdefault("_selected", {})
        enabled = selected.get(code)
        if enabled is None:
            enabled = selected[code] = self._selected_by_layers(code)
        if enabled and filename and self.per_file_ignores:
            return _longest_prefix(code, self._file_ignores(filename)) < 0
        return enabled

    def _selected_by_layers(self, code: str) -> bool:
        from pglint.rules import off_by_default  # the registry imports nothing from here

        opt_in = code in off_by_default()
        base = Selection(self.select, self.ignore, self.extend_select)
        enabled = bool(base.decide(code, opt_in))
        for layer in self.layers:
            decision = layer.decide(code, opt_in)
            if layer.select is not None:
                enabled = decision is True
            elif decision is not None:
                enabled = decision
        return enabled

    def _file_ignores(self, filename: str) -> tuple[str, ...]:
        path = self.relative(filename)
        codes: list[str] = []
        for pattern, pattern_codes in self.per_file_ignores:
            if path_matches(path, pattern):
                codes.extend(pattern_codes)
        return tuple(codes)

    def relative(self, filename: str) -> str:
        """``filename`` relative to ``root`` with forward slashes, when it lies inside it."""
        path = filename
        if self.root is not None and filename not in ("-", ""):
            # Worked out once per directory: a run asks for every file it walks.
            directory, name = os.path.split(filename)
            cwd = "" if os.path.isabs(directory) else os.getcwd()  # what abspath reads
            inside = _relative_directory(directory, self.root, cwd)
            if inside is not None:
                path = os.path.join(inside, name)
        return os.path.normpath(path).replace(os.sep, "/").replace("\\", "/")

    @property
    def all_excludes(self) -> tuple[str, ...]:
        return self.exclude + self.extend_exclude

    def excludes_relative(self, rel: str) -> bool:
        """Whether a path already made ``relative`` matches an exclude."""
        return _excludes(self.all_excludes).match(rel)

    def is_excluded(self, path: str, *, ancestors: bool = False) -> bool:
        """Whether ``path`` matches an exclude; with ``ancestors``, also any directory
        above it (up to ``root``), for files named explicitly."""
        rel = self.relative(path)
        if not ancestors:
            return self.excludes_relative(rel)
        excludes = _excludes(self.all_excludes)
        parts = [p for p in rel.split("/") if p not in ("", ".")]
        for end in range(len(parts), 0, -1):
            if parts[end - 1] == "..":
                break
            if excludes.match("/".join(parts[:end])):
                return True
        return False


# Length of a selector that names a family of rules (`PGL8`): the shortest that selects a
# rule which is off by default.
_FAMILY = len("PGL8")


def _longest_prefix(code: str, prefixes: tuple[str, ...]) -> int:
    best = -1
    for prefix in prefixes:
        prefix = prefix.strip().upper()
        if prefix == "ALL":
            best = max(best, 0)
        elif prefix and code.startswith(prefix):
            best = max(best, len(prefix))
    return best


_GLOB_CHARS = frozenset("*?[")


@lru_cache(maxsize=4096)
def _relative_directory(directory: str, root: str, cwd: str) -> str | None:
    """``directory`` (relative to ``cwd`` unless absolute) relative to ``root``, or None
    when it lies outside it."""
    absolute = os.path.abspath(os.path.join(cwd, directory or os.curdir))
    try:
        inside = os.path.commonpath([absolute, root]) == root
    except ValueError:  # another drive on Windows
        inside = False
    return os.path.relpath(absolute, root) if inside else None


class _Excludes:
    """A set of exclude patterns, matched as ``path_matches`` does, faster: a plain name
    without a slash (every default exclude) matches a path whose first or last part it
    is, a set lookup instead of three string tests per pattern."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.names: set[str] = set()
        self.others: list[str] = []
        for pattern in patterns:
            cleaned = _cleaned(pattern)
            if cleaned and "/" not in cleaned and not _GLOB_CHARS.intersection(cleaned):
                self.names.add(cleaned)
            else:
                self.others.append(pattern)

    def match(self, path: str) -> bool:
        first, _, rest = path.partition("/")
        last = path.rpartition("/")[2]
        if first in self.names or (rest and last in self.names):
            return True
        return any(path_matches(path, pattern) for pattern in self.others)


@lru_cache(maxsize=64)
def _excludes(patterns: tuple[str, ...]) -> _Excludes:
    return _Excludes(patterns)


def _cleaned(pattern: str) -> str:
    """A pattern with forward slashes, no trailing slash and no leading `./`."""
    pattern = pattern.replace("\\", "/").rstrip("/")
    return pattern[2:] if pattern.startswith("./") else pattern


def path_matches(path: str, pattern: str) -> bool:
    """Match a relative path against a glob: the whole path, a directory above it, or any
    tail of it (so ``tests/*`` also matches ``pkg/tests/x.py``)."""
    pattern = _cleaned(pattern)
    if not _GLOB_CHARS.intersection(pattern):
        # A plain name (every default exclude is one): the same three tests as below,
        # as string comparisons; flake8 asks for every directory above every file.
        return path == pattern or path.startswith(pattern + "/") or path.endswith("/" + pattern)
    if fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(path, pattern + "/*"):
        return True
    parts = path.split("/")
    return any(fnmatch.fnmatchcase("/".join(parts[i:]), pattern) for i in range(1, len(parts)))


def invalid_selectors(codes: tuple[str, ...] | list[str]) -> list[str]:
    return [c for c in codes if not SELECTOR_PATTERN.match(c)]


DEFAULT_SETTINGS = Settings()
