"""Which file an imported dotted name is, and which module a file is: the import
system's view of a project's directories.

Names are looked up the way `import` finds them, in directory listings rather than by
asking the file system about each candidate path: a tree's files import from the same
few directories thousands of times, and a listing read once answers all of them. Like
`import`, it matches names exactly, also on a file system that ignores case.

A listing is read once per `ModuleFiles`, which lives for one run: the files of a tree
are taken as they were when the run looked. Memory is bounded by `MAX_LISTED_NAMES`.
"""

from __future__ import annotations

import hashlib
import os

# Past this many names listed, the listings are read again as they are needed: enough
# for the directories of a large project, a bound on memory however large the tree.
MAX_LISTED_NAMES = 200_000

# A "path" standing for the importable names in a directory (an import root, a package):
# pglint.cache hashes that listing, so a module created there re-lints its importers.
LISTING_SUFFIX = os.sep + "*"

Found = tuple[tuple[str, list[str]] | None, list[str]]


class ModuleFiles:
    """Directory listings, read once each, and the lookups made from them."""

    def __init__(self) -> None:
        # directory -> {name: whether it is a directory (else a regular file)}
        self._listings: dict[str, dict[str, bool]] = {}
        self._listed = 0

    def clear(self) -> None:
        self._listings.clear()
        self._listed = 0

    def _entries(self, directory: str) -> dict[str, bool]:
        entries = self._listings.get(directory)
        if entries is None:
            if self._listed > MAX_LISTED_NAMES:
                self.clear()
            entries = self._listings[directory] = _scan(directory)
            self._listed += len(entries)
        return entries

    def is_file(self, directory: str, name: str) -> bool:
        return self._entries(directory).get(name) is False

    def is_dir(self, directory: str, name: str) -> bool:
        return self._entries(directory).get(name) is True

    def is_package(self, directory: str) -> bool:
        return self.is_file(directory, "__init__.py")

    def module_name(self, path: str) -> tuple[str, str]:
        """(import root, dotted module name) of a file: the packages above it, then its
        stem."""
        directory, base = os.path.split(path)
        stem = base.rsplit(".", 1)[0]
        parts = [] if stem == "__init__" else [stem]
        while self.is_package(directory):
            directory, package = os.path.split(directory)
            if not package:
                break
            parts.insert(0, package)
        return directory, ".".join(parts)

    def in_root(self, root: str, top: str) -> bool:
        """Whether a module or package named ``top`` is at the top of the import root."""
        return self.is_dir(root, top) or self.is_file(root, top + ".py")

    def find(self, root: str, dotted: str) -> Found:
        """The project file a dotted name starts with and the names after it (None if no
        file), and the listings looked in first without finding it: a module created
        there would be found instead."""
        parts = dotted.split(".")
        if not self.in_root(root, parts[0]):
            # Not a project module (the standard library, an installed package). What
            # would change that is a new entry at the top of the root.
            return None, [root_listing(root)]
        missing = []
        for size in range(len(parts), 0, -1):
            parent = os.path.join(root, *parts[: size - 1])
            name = parts[size - 1]
            if self.is_file(parent, name + ".py"):
                return (_normal(os.path.join(parent, name + ".py")), parts[size:]), missing
            package = os.path.join(parent, name)
            if self.is_dir(parent, name) and self.is_package(package):
                return (_normal(os.path.join(package, "__init__.py")), parts[size:]), missing
            # Either would appear as a new importable name in the directory above: one
            # edge per directory, however many names are imported from it.
            marker = root_listing(parent)
            if marker not in missing:
                missing.append(marker)
        return None, missing


def _scan(directory: str) -> dict[str, bool]:
    entries: dict[str, bool] = {}
    try:
        with os.scandir(directory) as listing:
            for entry in listing:
                try:
                    if entry.is_file():  # as os.path.isfile: through symbolic links
                        entries[entry.name] = False
                    elif entry.is_dir():
                        entries[entry.name] = True
                except OSError:
                    continue
    except OSError:  # not there, not a directory, not readable: nothing found in it
        pass
    return entries


def _normal(path: str) -> str:
    return os.path.normcase(os.path.abspath(path))


def absolute_name(qual: str, module: str, is_package: bool) -> str | None:
    """`.database.get_db` in `app.routers.users` -> `app.routers.database.get_db`."""
    level = len(qual) - len(qual.lstrip("."))
    if level == 0:
        return qual
    package = module.split(".") if is_package else module.split(".")[:-1]
    if level - 1 >= len(package):
        return None
    base = package[: len(package) - (level - 1)]
    rest = qual[level:]
    return ".".join([*base, rest] if rest else base) or None


def module_name(path: str) -> tuple[str, str]:
    """(import root, dotted module name) of the file at ``path``, as the disk is now."""
    return ModuleFiles().module_name(path)


# --- listings the cache hashes ----------------------------------------------------------


def root_listing(root: str) -> str:
    return _normal(root) + LISTING_SUFFIX


def listing_digest(marker: str) -> str | None:
    """The digest of the names of the modules and packages at the top of an import root
    (``marker`` from ``root_listing``); None if it cannot be listed."""
    directory = marker[: -len(LISTING_SUFFIX)]
    try:
        names = sorted(_listed(e) for e in os.scandir(directory) if _importable(e))
    except OSError:
        return None
    return hashlib.blake2b("\n".join(names).encode(), digest_size=16).hexdigest()


def _listed(entry: os.DirEntry[str]) -> str:
    # A directory becomes a package when its `__init__.py` appears.
    if entry.name.endswith(".py"):
        return entry.name
    return entry.name + (
        "/__init__" if os.path.isfile(os.path.join(entry.path, "__init__.py")) else "/"
    )


def _importable(entry: os.DirEntry[str]) -> bool:
    """A name `import` could find: a module, or a package (not a cache directory)."""
    if entry.name.endswith(".py"):
        return entry.name[:-3].isidentifier()
    return entry.name.isidentifier() and entry.name != "__pycache__" and entry.is_dir()
