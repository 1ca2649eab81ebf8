"""Reading `[tool.pglint]`: finding the file, validating it, merging it with the flags.

The CLI and the flake8 plugin both read it (flake8 never reads `pyproject.toml`), so
the same project gives the same answer under either front end.
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pglint.settings import (
    DEFAULT_EXCLUDES,
    DEFAULT_MAX_FILE_SECONDS,
    DEFAULT_MAX_FILE_SIZE,
    SELECTOR_PATTERN,
    Selection,
    Settings,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

PYPROJECT = "pyproject.toml"
# In one directory the first of these that applies is its configuration, as ruff reads
# `.ruff.toml`, `ruff.toml` and then a `pyproject.toml` with a `[tool.ruff]` table. The
# two pglint files hold the keys of `[tool.pglint]` at their top level.
CONFIG_FILES = (".pglint.toml", "pglint.toml", PYPROJECT)
SECTION = "[tool.pglint]"
CODE_KEYS = ("select", "ignore", "extend-select")
PATTERN_KEYS = ("exclude", "extend-exclude")
BUDGET_KEYS = ("max-file-size", "max-file-seconds")
KNOWN_KEYS = (*CODE_KEYS, "per-file-ignores", *PATTERN_KEYS, "respect-gitignore", *BUDGET_KEYS)


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class FileConfig:
    path: Path
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] | None = None
    extend_exclude: tuple[str, ...] = ()
    respect_gitignore: bool = True
    max_file_size: int | None = DEFAULT_MAX_FILE_SIZE
    max_file_seconds: float | None = DEFAULT_MAX_FILE_SECONDS


@dataclass(frozen=True)
class Overrides:
    """What the command line sets besides rule selection: it applies to every file, over
    whichever configuration file the file follows."""

    exclude: tuple[str, ...] | None = None  # replaces the configuration's (and defaults)
    extend_exclude: tuple[str, ...] = ()  # added to them
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()  # added to them


def find_config(start: Path) -> Path | None:
    """The nearest configuration at or above ``start``: in each directory a
    `.pglint.toml`, a `pglint.toml`, or a `pyproject.toml` that has a `[tool.pglint]`
    table (like ruff, a `pyproject.toml` without one is passed over)."""
    start = start.resolve()
    for directory in (start, *start.parents):
        found = config_in(str(directory))
        if found is not None:
            return Path(found)
    return None


def config_in(directory: str) -> str | None:
    """The configuration file of ``directory`` itself, if it has one."""
    for name in CONFIG_FILES:
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate) and (name != PYPROJECT or _is_config(Path(candidate))):
            return candidate
    return None


def _is_config(candidate: Path) -> bool:
    return (
        candidate.is_file()
        and "pglint" in _read_text(candidate)  # skip parsing unrelated files
        and _section(candidate, _parse(candidate)) is not None
    )


def load_config(path: Path) -> FileConfig:
    """Load a `pyproject.toml` (its `[tool.pglint]` table) or any other TOML file named
    with ``--config`` (its top-level keys, like a `ruff.toml`)."""
    data = _parse(path)
    section = _section(path, data)
    if section is None:
        if path.name == PYPROJECT:
            raise ConfigError(f"{path}: no {SECTION} table")
        section = data
    where = SECTION if path.name == PYPROJECT else "the file"
    return _validate(path, section, where)


def build_settings(
    config: FileConfig | None,
    cli: Selection | None = None,
    root: Path | None = None,
    overrides: Overrides | None = None,
) -> Settings:
    """Defaults, then the file, then the command line: later layers win, as in ruff."""
    layers = []
    if config is not None:
        layers.append(Selection(config.select, config.ignore, config.extend_select))
    if cli is not None and (cli.select is not None or cli.ignore or cli.extend_select):
        layers.append(cli)
    if root is None:
        root = config.path.parent if config is not None else Path.cwd()
    overrides = overrides or Overrides()
    exclude = DEFAULT_EXCLUDES if config is None or config.exclude is None else config.exclude
    return Settings(
        layers=tuple(layers),
        per_file_ignores=(config.per_file_ignores if config else ()) + overrides.per_file_ignores,
        exclude=overrides.exclude if overrides.exclude is not None else exclude,
        extend_exclude=(config.extend_exclude if config else ()) + overrides.extend_exclude,
        root=str(root.resolve()),
        max_file_size=config.max_file_size if config else DEFAULT_MAX_FILE_SIZE,
        max_file_seconds=config.max_file_seconds if config else DEFAULT_MAX_FILE_SECONDS,
        config_file=str(config.path) if config is not None else None,
    )


class SettingsResolver:
    """The settings for each file: its nearest `[tool.pglint]`, merged with the flags.

    Like ruff, and like the flake8 plugin (which asks ``settings_for_directory``), a file
    in a sub-project with its own `[tool.pglint]` follows that table. With ``--config``
    or ``--isolated`` every file gets ``base``.
    """

    def __init__(
        self,
        base_config: FileConfig | None,
        flags: Selection,
        *,
        hierarchical: bool,
        overrides: Overrides | None = None,
    ) -> None:
        self.flags = flags
        self.overrides = overrides
        self.base = build_settings(base_config, flags, overrides=overrides)
        self.hierarchical = hierarchical
        self._base_path = base_config.path.resolve() if base_config is not None else None
        self._by_directory: dict[str, Settings] = {}
        self._by_file: dict[str, Settings] = {}
        self._resolved: dict[str, str] = {}
        self._by_config: dict[Path, Settings] = {}
        self._by_found_config: dict[str, Settings] = {}
        self._nearest_config: dict[str, str | None] = {}

    def for_file(self, filename: str) -> Settings:
        """Raises ``ConfigError`` when the file's own configuration is invalid."""
        if not self.hierarchical or filename == "-":
            return self.base
        # Asked twice for every file of a run (whether it is excluded, what it is linted
        # with): once is a system call.
        known = self._by_file.get(filename)
        if known is None:
            known = self._by_file[filename] = self._for_file(filename)
        return known

    def _for_file(self, filename: str) -> Settings:
        if os.path.islink(filename):  # its table is the one where it points
            return self._for_directory(str(resolved_path(Path(filename)).parent))
        return self._for_directory(self._resolved_directory(os.path.dirname(filename) or "."))

    def _resolved_directory(self, spelled: str) -> str:
        """A directory as written, with symbolic links resolved: from its parent's, with
        one look at the directory itself rather than one at each part of its path (the
        directories of a tree share their parents)."""
        known = self._resolved.get(spelled)
        if known is None:
            parent, name = os.path.split(spelled)
            if not parent or name in ("", os.curdir, os.pardir) or os.path.islink(spelled):
                known = str(resolved_path(Path(spelled)))
            else:
                known = os.path.join(self._resolved_directory(parent), name)
            self._resolved[spelled] = known
        return known

    def _for_directory(self, directory: str) -> Settings:
        found = self._by_directory.get(directory)
        if found is None:
            found = self._by_directory[directory] = self._for_config(self._nearest(directory))
        return found

    def _nearest(self, directory: str) -> str | None:
        """``find_config`` for a resolved directory, each directory above looked at once
        per run."""
        if directory not in self._nearest_config:
            candidate = config_in(directory)
            parent = os.path.dirname(directory)
            if candidate is not None:
                self._nearest_config[directory] = candidate
            elif parent == directory:
                self._nearest_config[directory] = None
            else:
                self._nearest_config[directory] = self._nearest(parent)
        return self._nearest_config[directory]

    def _for_config(self, found: str | None) -> Settings:
        if found is None:
            return self.base
        if found not in self._by_found_config:
            path = Path(found).resolve()
            if path == self._base_path:
                self._by_found_config[found] = self.base
            else:
                if path not in self._by_config:
                    self._by_config[path] = build_settings(
                        load_config(path), self.flags, overrides=self.overrides
                    )
                self._by_found_config[found] = self._by_config[path]
        return self._by_found_config[found]


@lru_cache(maxsize=64)
def settings_for_directory(directory: str) -> Settings:
    """The settings for files in ``directory`` (cached: flake8 asks once per file)."""
    path = find_config(Path(directory))
    return build_settings(load_config(path) if path else None, root=None)


def resolved_path(path: Path) -> Path:
    """``path`` with symbolic links resolved; a link that loops is left as it is."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop (RuntimeError before Python 3.13)
        return Path(os.path.realpath(path.absolute().parent)) / path.name


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _parse(path: Path) -> dict[str, Any]:
    """The file's TOML, parsed once per content: every directory of a tree finds the same
    `pyproject.toml` above it, and reading it again is cheap where parsing is not."""
    text = _read_text(path)
    data = _PARSED.get(text)
    if data is None:
        try:
            data = _PARSED[text] = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        except RecursionError:  # the parser recurses once per level of nesting
            raise ConfigError(f"{path}: not valid TOML: nested too deeply to read") from None
        except ValueError as exc:  # a number too long to convert, for one
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return data


_PARSED: dict[str, dict[str, Any]] = {}  # text -> its TOML, for the life of the process


def _section(path: Path, data: Mapping[str, Any]) -> Mapping[str, Any] | None:
    tool = data.get("tool")
    if not isinstance(tool, Mapping) or "pglint" not in tool:
        return None
    section = tool["pglint"]
    if not isinstance(section, Mapping):
        raise ConfigError(f"{path}: {SECTION} must be a table")
    return section


def _validate(path: Path, section: Mapping[str, Any], where: str) -> FileConfig:
    def fail(message: str) -> ConfigError:
        return ConfigError(f"{path}: {where}: {message}")

    for key in section:
        if key not in KNOWN_KEYS:
            close = difflib.get_close_matches(key.replace("_", "-"), KNOWN_KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise fail(f"unknown key {key!r}{hint}; known keys: {', '.join(KNOWN_KEYS)}")

    def strings(key: str, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(f"{key!r} must be a list of strings, got {_toml_type(value)}")
        return tuple(value)

    def codes(key: str, value: Any) -> tuple[str, ...]:
        found = strings(key, value)
        problem = selector_problem(found)
        if problem:
            raise fail(f"{key!r} has {problem}")
        return found

    pfi = section.get("per-file-ignores", {})
    if not isinstance(pfi, Mapping):
        raise fail(f"'per-file-ignores' must be a table of glob = [codes], got {_toml_type(pfi)}")
    per_file = tuple(
        (glob, codes(f"per-file-ignores.{glob!r}", value)) for glob, value in pfi.items()
    )
    respect_gitignore = section.get("respect-gitignore", True)
    if not isinstance(respect_gitignore, bool):
        got = _toml_type(respect_gitignore)
        raise fail(f"'respect-gitignore' must be true or false, got {got}")

    def budget(key: str, default: float, kind: type) -> Any:
        value = section.get(key, default)
        # 0 turns the limit off; TOML has no null.
        if type(value) not in (int, kind) or value < 0:
            unit = "bytes" if kind is int else "seconds"
            raise fail(f"{key!r} must be a number of {unit} (0: no limit), got {_toml_type(value)}")
        return kind(value) if value else None

    return FileConfig(
        path=path,
        respect_gitignore=respect_gitignore,
        max_file_size=budget("max-file-size", DEFAULT_MAX_FILE_SIZE, int),
        max_file_seconds=budget("max-file-seconds", DEFAULT_MAX_FILE_SECONDS, float),
        select=codes("select", section["select"]) if "select" in section else None,
        ignore=codes("ignore", section.get("ignore", [])),
        extend_select=codes("extend-select", section.get("extend-select", [])),
        per_file_ignores=per_file,
        exclude=strings("exclude", section["exclude"]) if "exclude" in section else None,
        extend_exclude=strings("extend-exclude", section.get("extend-exclude", [])),
    )


CODE_HELP = "a rule code is PGL followed by up to three digits (PGL, PGL1, PGL101), or ALL"


def selector_problem(codes: Iterable[str]) -> str | None:
    """What is wrong with the first bad selector, or None. A selector must be well formed
    and select at least one rule of the registry: a typo (`PGL9`, `PGL1011`) would
    otherwise turn checks off in silence, so it is an error, as in ruff."""
    from pglint.rules import all_rules  # the registry; rules import much of pglint

    known = [rule.code for rule in all_rules()]
    for code in codes:
        if not SELECTOR_PATTERN.match(code):
            return f"an invalid rule code {code!r}; {CODE_HELP}"
        if code != "ALL" and not any(k.startswith(code) for k in known):
            families = ", ".join(dict.fromkeys(k[:4] for k in known))
            return (
                f"an unknown rule code {code!r}: no rule's code starts with it (families: "
                f"{families}; `pglint rule --all` lists every rule)"
            )
    return None


def _toml_type(value: Any) -> str:
    names = {str: "a string", bool: "a boolean", int: "an integer", float: "a float"}
    for kind, name in names.items():
        if type(value) is kind:
            return f"{name} ({value!r})"
    if isinstance(value, list):
        return "a list with non-string items"
    if isinstance(value, Mapping):
        return "a table"
    return type(value).__name__
