"""Which files make up the program a file belongs to.

A helper in `db.py` is on the request path when a router anywhere in the project reaches
it, so linting one file (pre-commit, an editor, standard input) needs what every file of
its project tells the program. The project is the directory above the file that holds
its project's own files (`pyproject.toml`, `setup.py`, `setup.cfg`, a `.git`), or,
without one, the file's import root; its files are the ones `pglint check` would lint
there. A run over some files of a project reads the others too (from the cache when they
are unchanged) and reports only the files it was given: `pglint check app/db.py` says
what `pglint check .` says of `app/db.py`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from pglint.files import discover
from pglint.module_files import module_name
from pglint.settings import Settings

PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")


def project_root(
    path: str, within: str | None = None, marked: dict[str, bool] | None = None
) -> str:
    """The directory the program of the file at ``path`` is read from: the nearest one
    above it with a project marker, not above ``within`` (a directory the run was given,
    which is the project when nothing inside it says otherwise). ``marked`` keeps which
    directories have a marker, for a caller asking of many files."""
    absolute = os.path.abspath(path)
    directory = absolute if os.path.isdir(absolute) else os.path.dirname(absolute)
    current = directory
    marked = {} if marked is None else marked
    while True:
        found = marked.get(current)
        if found is None:
            found = marked[current] = any(
                os.path.exists(os.path.join(current, m)) for m in PROJECT_MARKERS
            )
        if found:
            return current
        if current == within:
            return within
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    if os.path.isdir(absolute):
        return absolute
    return module_name(absolute)[0]


def program_files(
    paths: Iterable[str],
    settings: Settings,
    *,
    respect_gitignore: bool = True,
    force_exclude: bool = False,
    walked: Iterable[str] = (),
) -> list[str]:
    """The files of the projects ``paths`` belong to, beyond ``paths`` themselves, as
    `pglint check` would find them in each project's directory. The files named keep
    their spelling; the others are spelt relative to the working directory when inside
    it. A project inside a directory of ``walked`` (the directories the run was given)
    has its files among ``paths`` already."""
    walked = [os.path.abspath(p) for p in walked if os.path.isdir(p)]
    given = list(paths)
    known = {os.path.normcase(os.path.abspath(p)) for p in given}
    marked: dict[str, bool] = {}
    roots = sorted(
        {project_root(p, _within(p, walked), marked) for p in given if os.path.exists(p)}
    )
    extra: list[str] = []
    for root in roots:
        if any(_inside(root, p) for p in walked):
            continue  # its files are among the ones named already
        shown = _shown(root)
        for path in discover([shown], settings, respect_gitignore=respect_gitignore,
                             force_exclude=force_exclude, notebooks=True):  # fmt: skip
            key = os.path.normcase(os.path.abspath(path))
            if key not in known:
                known.add(key)
                extra.append(path)
    return extra


def _within(path: str, walked: list[str]) -> str | None:
    """The outermost directory given to the run that holds the file; else the working
    directory, if it holds the file (as `pglint check` with no path takes it)."""
    absolute = os.path.abspath(path)
    holding = [d for d in walked if _inside(absolute, d)]
    if holding:
        return min(holding, key=len)
    cwd = os.getcwd()
    return cwd if _inside(absolute, cwd) else None


def _inside(root: str, directory: str) -> bool:
    return root == directory or root.startswith(directory.rstrip(os.sep) + os.sep)


def _shown(path: str) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path
    return path if relative.startswith("..") else relative
