"""Which files a run lints: walking directories, applying excludes and `.gitignore`."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from pglint.settings import DEFAULT_EXCLUDES, DEFAULT_SETTINGS, Settings

__all__ = [
    "DEFAULT_EXCLUDES",
    "NOTEBOOK_SUFFIXES",
    "PYTHON_SUFFIXES",
    "FileTooLarge",
    "GitIgnore",
    "Unreadable",
    "discover",
    "read_source_file",
]

PYTHON_SUFFIXES = (".py", ".pyi")
NOTEBOOK_SUFFIXES = (".ipynb",)


def discover(
    paths: Iterable[str],
    settings: Settings = DEFAULT_SETTINGS,
    *,
    force_exclude: bool = False,
    respect_gitignore: bool = False,
    notebooks: bool = False,
) -> Iterator[str]:
    """Python files under ``paths``, skipping excluded files and directories.

    A path named explicitly is linted even when an exclude or `.gitignore` matches it, as
    in ruff; ``force_exclude`` applies the excludes to those too (pre-commit names every
    file). ``respect_gitignore`` skips what the `.gitignore` files of the repository
    ignore while walking directories; ``notebooks`` includes `.ipynb` files.
    """
    suffixes = PYTHON_SUFFIXES + (NOTEBOOK_SUFFIXES if notebooks else ())
    seen: set[str] = set()
    for given in paths:
        path = os.path.normpath(given)
        excluded = settings.is_excluded(path, ancestors=True)
        if force_exclude and excluded:
            continue
        if not os.path.isdir(path):
            if path not in seen:
                seen.add(path)
                yield path
            continue
        ignored = GitIgnore.above(path) if respect_gitignore else None
        unreadable: list[OSError] = []
        for root, dirs, files in os.walk(path, onerror=unreadable.append):
            yield from _unreadable(unreadable, seen)
            if ignored is not None:
                ignored.enter(root)
            # What the excludes match, worked out once per directory, not per file. In a
            # directory named on the command line that an exclude matches (`pglint check
            # build`), only the excludes below it apply: it was asked for.
            if excluded:
                base = os.path.relpath(root, path).replace(os.sep, "/")
            else:
                base = settings.relative(root)
            prefix = "" if base == "." else base + "/"
            kept = []
            for d in sorted(dirs):
                full = _join(root, d)
                if settings.excludes_relative(prefix + d):
                    continue
                if ignored is not None and ignored.ignores(full, is_dir=True):
                    continue
                kept.append(d)
            dirs[:] = kept
            for name in sorted(files):
                full = _join(root, name)
                if not name.endswith(suffixes) or full in seen:
                    continue
                if settings.excludes_relative(prefix + name):
                    continue
                if ignored is not None and ignored.ignores(full, is_dir=False):
                    continue
                seen.add(full)
                yield full
        yield from _unreadable(unreadable, seen)


class Unreadable(str):
    """A path the walk could not look into: linting it reports ``reason`` as an error,
    where a silent skip would report the run clean."""

    reason: str

    def __new__(cls, path: str, reason: str) -> Unreadable:
        self = super().__new__(cls, path)
        self.reason = reason
        return self

    def __reduce__(self) -> tuple:  # to worker processes, with the reason
        return (Unreadable, (str(self), self.reason))


def _unreadable(errors: list[OSError], seen: set[str]) -> Iterator[str]:
    for error in errors:
        path = os.path.normpath(str(error.filename or "."))
        if path not in seen:
            seen.add(path)
            yield Unreadable(path, f"cannot read the directory: {error.strerror or error}")
    errors.clear()


class FileTooLarge(Exception):
    """The file is larger than the run's size budget; it is skipped unread."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


_KINDS = (
    (stat.S_ISDIR, "is a directory"),
    (stat.S_ISFIFO, "is a FIFO (named pipe), not a regular file"),
    (stat.S_ISSOCK, "is a socket, not a regular file"),
    (stat.S_ISCHR, "is a character device, not a regular file"),
    (stat.S_ISBLK, "is a block device, not a regular file"),
)


def read_source_file(path: str, max_size: int | None = None) -> bytes:
    """The bytes of a regular file. Anything else raises ``OSError`` with a reason.

    The file is opened without blocking and checked after opening (no race with a
    rename): reading a FIFO would wait for a writer forever, and a device never ends.
    """
    if isinstance(path, Unreadable):
        raise OSError(0, path.reason, path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        # Opening a socket fails with "No such device or address": say what it is.
        mode = 0
        with contextlib.suppress(OSError):
            mode = os.stat(path).st_mode
        if mode and not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
            reason = next((r for test, r in _KINDS if test(mode)), "not a regular file")
            raise OSError(exc.errno, reason, path) from None
        raise
    with open(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            reason = next((r for test, r in _KINDS if test(info.st_mode)), "not a regular file")
            raise OSError(0, reason, path)
        if max_size is not None and info.st_size > max_size:
            raise FileTooLarge(info.st_size)
        return handle.read()


def _join(root: str, name: str) -> str:
    # `pglint check .` reports `a.py`, not `./a.py`, as ruff and flake8 users expect.
    return name if root == os.curdir else os.path.normpath(os.path.join(root, name))


class GitIgnore:
    """The `.gitignore` files that apply to a walk, read as git reads them.

    Each file's patterns are relative to its own directory, and a deeper file's patterns
    (including `!negations`) override a shallower one's. Files between the repository
    root (the nearest directory with `.git`) and the walk's start apply too, and so does
    `.git/info/exclude`. Pattern matching is pathspec's `GitIgnoreSpec`, which follows
    git's rules for anchoring, `**`, trailing `/` and negation.
    """

    def __init__(self) -> None:
        self._specs: list[tuple[Path, object]] = []  # (directory, spec), shallow first
        self._resolved: dict[str, Path] = {}  # directory -> the same with links resolved
        self._visited: set[Path] = set()

    @classmethod
    def above(cls, start: str) -> GitIgnore:
        ignore = cls()
        here = Path(start).resolve()
        chain = [here, *here.parents]
        repo = next((d for d in chain if (d / ".git").exists()), None)
        top = chain.index(repo) if repo is not None else 0
        if repo is not None:
            ignore._read(repo, repo / ".git" / "info" / "exclude")
        for directory in reversed(chain[: top + 1]):
            ignore.enter(str(directory))
        return ignore

    def enter(self, directory: str) -> None:
        path = Path(directory).resolve()
        if path not in self._visited:
            self._visited.add(path)
            self._read(path, path / ".gitignore")

    def _read(self, directory: Path, file: Path) -> None:
        try:
            lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return
        import pathspec  # only runs that walk a directory with a .gitignore need it

        self._specs.append((directory, pathspec.GitIgnoreSpec.from_lines(lines)))

    def ignores(self, path: str, *, is_dir: bool) -> bool:
        # git matches the path as it is spelled, not what a symlink points at (which may
        # be nothing, or a loop); only the directories above it are resolved.
        parent, name = os.path.split(os.path.abspath(path))
        resolved = self._resolved.get(parent)
        if resolved is None:  # once per directory: a walk asks of every file in it
            resolved = self._resolved[parent] = Path(os.path.realpath(parent))
        absolute = resolved / name
        decision = False
        for directory, spec in self._specs:
            try:
                relative = absolute.relative_to(directory).as_posix()
            except ValueError:
                continue
            result = spec.check_file(relative + ("/" if is_dir else ""))  # type: ignore[attr-defined]
            if result.include is not None:
                decision = bool(result.include)
        return decision
