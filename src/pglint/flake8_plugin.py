"""The flake8 plugin: the same engine as `pglint check`, over the tree flake8 already has.

flake8 applies `# noqa` itself, with the rule `pglint check` copies (see ``pglint.noqa``),
so the plugin reports every finding and `--disable-noqa` works as flake8 users expect.
"""

from __future__ import annotations

import ast
import gc
import os
import traceback
from collections.abc import Iterator
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from pglint import __version__
from pglint.config import ConfigError, resolved_path, settings_for_directory
from pglint.diagnostics import Diagnostic, Location
from pglint.engine import COLLECTOR_THRESHOLD, lint_file, lint_source
from pglint.rules import off_by_default
from pglint.settings import CACHE_DIRECTORY, DEFAULT_SETTINGS, Selection, Settings

Report = tuple[int, int, str, type]

_STDIN_NAMES = ("-", "stdin", "<stdin>")


class Plugin:
    name = "pglint"
    version = __version__

    # Rules that are off by default and that flake8's own `--select` / `--extend-select`
    # (or `select` / `extend-select` in its configuration) name: flake8 users turn them on
    # the way they turn on flake8-bugbear's B9 checks.
    flake8_selected: tuple[str, ...] = ()

    @classmethod
    def parse_options(cls, options: Any) -> None:
        chosen = [*(getattr(options, "select", None) or ()),
                  *(getattr(options, "extend_select", None) or ())]  # fmt: skip
        cls.flake8_selected = opted_in(chosen)

    def __init__(self, tree: ast.Module, lines: list[str], filename: str) -> None:
        self.tree = tree
        self.lines = lines
        self.filename = filename

    def run(self) -> Iterator[Report]:
        for diagnostic in guarded(self._diagnostics, self.filename):
            yield (
                diagnostic.location.row,
                diagnostic.location.column - 1,
                f"{diagnostic.code} {_one_line(diagnostic.message)}",
                type(self),
            )

    def _diagnostics(self) -> list[Diagnostic]:
        problems: list[Diagnostic] = []
        try:
            settings = settings_for(self.filename)
        except ConfigError as exc:
            problems.append(_internal(self.filename, f"configuration error: {exc}"))
            settings = DEFAULT_SETTINGS
        if self.flake8_selected:
            layer = Selection(extend_select=self.flake8_selected)
            settings = replace(settings, layers=(*settings.layers, layer))
        if self.filename not in _STDIN_NAMES and settings.is_excluded(
            self.filename, ancestors=True
        ):
            return problems
        text = "".join(self.lines)
        # The facts are freed by reference counting as soon as the rules are done (they
        # leave no cycles behind), so the cyclic collector's passes over them while they
        # are built are wasted; flake8's own threshold is back before it runs again.
        before = gc.get_threshold()
        gc.set_threshold(COLLECTOR_THRESHOLD, *before[1:])
        try:
            program = program_for(self.filename, settings)
            if program is None:
                result = lint_source(
                    text, self.filename, settings, tree=self.tree, apply_noqa=False, fixes=False
                )
            else:  # read with the rest of its project, as `pglint check` reads it
                result = lint_file(
                    self.filename, settings, program=program, text=text.encode("utf-8"),
                    tree=self.tree, apply_noqa=False, fixes=False,
                )  # fmt: skip
        finally:
            gc.set_threshold(*before)
        return problems + result.diagnostics


def opted_in(selectors: list[str]) -> tuple[str, ...]:
    """The off-by-default codes that ``selectors`` name by their family or themselves."""
    wanted = Selection(select=tuple(s.strip().upper() for s in selectors if s.strip()))
    return tuple(sorted(c for c in off_by_default() if wanted.decide(c, opt_in=True)))


# The program of each project this process has linted a file of, by the project's
# directory: built once (from the cache when it is warm), shared by its files.
_PROGRAMS: dict[str, Any] = {}


def program_for(filename: str, settings: Settings):
    """The program of the project the file belongs to (pglint.program), or None for a
    name that is no file (standard input)."""
    if filename in _STDIN_NAMES or not os.path.isfile(filename):
        return None
    from pglint.program.tree import project_root

    root = project_root(filename)
    if root not in _PROGRAMS:
        from pglint.checking import Run
        from pglint.fixes import SAFE

        run = Run(settings, SAFE, resolve=settings_for)
        if not os.environ.get("PGLINT_NO_CACHE"):
            run.cache_dir = os.environ.get("PGLINT_CACHE_DIR") or CACHE_DIRECTORY
        _PROGRAMS[root] = run.program_around(filename, with_it=True)
    return _PROGRAMS[root]


def settings_for(filename: str) -> Settings:
    if filename in _STDIN_NAMES:
        return settings_for_directory(os.getcwd())
    if os.path.islink(filename):  # its configuration is the one where it points
        return settings_for_directory(str(resolved_path(Path(filename)).parent))
    directory = os.path.dirname(filename) or os.curdir
    cwd = "" if os.path.isabs(directory) else os.getcwd()
    return settings_for_directory(_resolved_directory(directory, cwd))


@lru_cache(maxsize=4096)
def _resolved_directory(directory: str, cwd: str) -> str:
    """The directory with symbolic links resolved: once per directory, not per file."""
    return str(resolved_path(Path(cwd, directory)))


def guarded(produce: Any, filename: str) -> list[Diagnostic]:
    """Run ``produce``; any exception becomes one PGL000, because an exception that
    escapes a plugin aborts the whole flake8 run."""
    try:
        return list(produce())
    except Exception as exc:
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return [
            _internal(
                filename,
                f"internal error while analysing this file: {detail} "
                f"(at {Path(frame.filename).name}:{frame.lineno}); please report it",
            )
        ]


def _internal(filename: str, message: str) -> Diagnostic:
    return Diagnostic(
        "PGL000", message, filename, Location(1, 1), Location(1, 1), name="internal-error"
    )


def _one_line(message: str) -> str:
    return " ".join(message.split())
