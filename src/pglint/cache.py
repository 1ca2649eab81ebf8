"""Results of earlier runs, reused while nothing they were made from has changed.

A result is reused when the file's content, pglint's version and the file's settings are
the same, and so is the content of every project module its findings were resolved
through, directly or through other modules: a router's PGL502 depends on the `get_db`
in another file, so editing that file re-lints the router. Each file's entry keeps the
modules it used (the import graph as pglint followed it); a run finds the files that
changed and, following those edges backwards, every file they affect. Contents are
compared by digest; a file whose modification time and size are as recorded is not read
again (as git does, a time too close to the moment it was recorded is not trusted).

The cache is a directory (`.pglint_cache/` where the run starts; `--no-cache` turns it
off), with one JSON file per pglint version and set of files linted together: adding or
removing a file of the run starts a new one, because a module that appears can change
what another file's imports resolve to. JSON, not pickle: a cache that came with a
checkout must not be able to run code. Runs at the same time are safe: each writes a
whole new file and moves it into place, and every entry is checked against the files
before it is used, so the worst a race does is lose some entries.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pglint import __version__
from pglint.diagnostics import Diagnostic, Edit, Fix, Location, Plan, Related
from pglint.files import read_source_file
from pglint.module_files import LISTING_SUFFIX, listing_digest
from pglint.program.entries import ModuleEntry
from pglint.program.view import Read, read_of_json, read_to_json

# Cache files kept per version: one per set of files linted together (pre-commit names
# different files on each commit).
KEEP_FILES = 16
# A modification time this close to when it was recorded may hide a second change in
# the same clock tick: such a file is read and hashed again next time.
RACY_NS = 2_000_000_000

Stamp = tuple[int, int]  # (mtime_ns, size)


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def settings_key(settings: Any, keep_suppressed: bool) -> str:
    # Settings is a frozen dataclass of tuples and strings: its repr is stable.
    return digest(f"{settings!r}|{keep_suppressed}".encode())


# What a result tells the program and read of it (pglint.program): the module's key, its
# entry, and the program's facts its lint read.
ProgramFacts = tuple[str, ModuleEntry | None, Read | None]


@dataclass
class Cached:
    diagnostics: list[Diagnostic]
    suppressed: list[Diagnostic]
    program: ProgramFacts | None = None


@dataclass
class Cache:
    path: str  # the cache file of this run
    # path -> [mtime_ns, size, digest, [[project module it uses, its summary's digest]],
    # what it exports (pglint.project.summary_to_json) or None]
    files: dict[str, list[Any]] = field(default_factory=dict)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    changed: bool = False
    _current: dict[str, str | None] = field(default_factory=dict)
    _affected: set[str] | None = None
    # What a module exports now, as a digest (pglint.project.Project.summary_digest);
    # without it, a changed module affects every file that uses it.
    summarize: Callable[[str], str | None] | None = None
    _summaries: dict[str, str | None] = field(default_factory=dict)
    _changed: set[str] | None = None

    @classmethod
    def open(cls, directory: str, paths: list[str]) -> Cache:
        listing = "\n".join(sorted(_absolute(p) for p in paths))
        name = digest(f"{_code_key()}\n{listing}".encode())
        cache = cls(os.path.join(directory, __version__, name + ".json"))
        try:
            with open(cache.path, "rb") as handle:
                data = json.loads(handle.read())
        except (OSError, ValueError, RecursionError):
            return cache  # no cache yet, or one that is unreadable: start afresh
        if _well_formed(data):
            cache.files = data["files"]
            cache.results = data["results"]
        # else one of another shape (another version, a damaged file): start afresh; it is
        # replaced when this run's cache is written
        return cache

    # --- reading ------------------------------------------------------------------------

    def get(self, path: str, key: str) -> Cached | None:
        """The diagnostics recorded for ``path`` with settings ``key``, if still valid."""
        absolute = _absolute(path)
        entry = self.results.get(absolute)
        if entry is None or entry.get("key") != key:
            return None
        try:
            if absolute in self.affected() or self.current_digest(absolute) != entry["digest"]:
                return None
            return Cached(
                [_diagnostic(d, path) for d in entry["diagnostics"]],
                [_diagnostic(d, path) for d in entry["suppressed"]],
                _program_of(entry.get("program")),
            )
        except (KeyError, TypeError, ValueError, IndexError, RecursionError, AttributeError):
            return None  # an entry of another shape: lint the file again

    def affected(self) -> set[str]:
        """The files that changed since they were recorded, and every file that uses one
        of them, directly or through others (the import graph the last runs recorded),
        unless what the changed module exports is what the user read: an edit inside a
        function of `models.py` re-lints `models.py`, not every module importing it."""
        if self._affected is None:
            self._affected = self._spread(cut=True)
        return self._affected

    def known_summary(self, path: str, content_digest: str) -> Any:
        """What the module at ``path`` exports as an earlier run made it, if its content is
        that run's and nothing it reads, directly or not, has changed since: a module
        summary (pglint.project), or None."""
        entry = self.files.get(path)
        if not isinstance(entry, list) or len(entry) < 5 or entry[4] is None:
            return None
        if self._changed is None:  # `affected` without its cut-off: whatever the change
            self._changed = self._spread(cut=False)
        if entry[2] != content_digest or path in self._changed:
            return None
        from pglint.project import summary_of_json

        try:
            return summary_of_json(entry[4])
        except (TypeError, ValueError):  # an entry of another shape
            return None

    def _spread(self, *, cut: bool) -> set[str]:
        """The files whose content changed and, through the recorded import edges, the
        files reading them; with ``cut``, not past a module whose exports are what its
        user read."""
        users: dict[str, list[tuple[str, str | None]]] = {}
        pending = []
        for path, entry in self.files.items():
            try:
                recorded, uses = entry[2], entry[3]
            except (IndexError, TypeError):
                recorded, uses = None, ()
            if self.current_digest(path) != recorded:
                pending.append(path)
            for used in uses if isinstance(uses, list) else ():
                if isinstance(used, str):
                    used = [used, None]
                if isinstance(used, list) and len(used) == 2 and isinstance(used[0], str):
                    read = used[1] if isinstance(used[1], str) else None
                    users.setdefault(used[0], []).append((path, read))
        reached = set(pending)
        while pending:
            module = pending.pop()
            for user, read in users.get(module, ()):
                if user in reached or (cut and read is not None and self._exports(module) == read):
                    continue
                reached.add(user)
                pending.append(user)
        return reached

    def _exports(self, module: str) -> str | None:
        """The digest of the module's summary as it is now (``summarize``), once."""
        if module not in self._summaries:
            found = None
            if self.summarize is not None:
                with contextlib.suppress(Exception):  # unknown: the users are linted again
                    found = self.summarize(module)
            self._summaries[module] = found
        return self._summaries[module]

    def current_digest(self, path: str) -> str | None:
        if path in self._current:
            return self._current[path]
        found: str | None = None
        if path.endswith(LISTING_SUFFIX):  # the names at the top of an import root
            found = self._current[path] = listing_digest(path)
            return found
        try:
            info = os.stat(path)
            recorded = self.files.get(path)
            if recorded is not None and recorded[:2] == [info.st_mtime_ns, info.st_size]:
                found = recorded[2]
            else:
                found = digest(read_source_file(path))  # never blocks on a FIFO
        except (OSError, TypeError, IndexError, ValueError):
            found = None  # gone, unreadable, or an entry of another shape
        self._current[path] = found
        return found

    # --- writing ------------------------------------------------------------------------

    def record_file(
        self,
        path: str,
        stamp: Stamp | None,
        content_digest: str | None,
        uses: list,
        exports: list | None = None,
    ) -> None:
        racy = stamp is None or stamp[0] > time.time_ns() - RACY_NS
        mtime, size = (-1, -1) if racy else stamp  # type: ignore[misc]
        known = self.files.get(path)
        if exports is None and known is not None and len(known) > 4 and known[2] == content_digest:
            exports = known[4]  # made by another process of the run: still this content's
        entry = [mtime, size, content_digest, uses, exports]
        if self.files.get(path) != entry:
            self.files[path] = entry
            self.changed = True

    def record_edges(self, edges: list[tuple]) -> None:
        changed = self.changed
        for module, module_stamp, module_digest, uses, exports in edges:
            self.record_file(module, module_stamp, module_digest, uses, exports)
        self.changed = changed  # worth writing only with a result that depends on them

    def put(
        self,
        path: str,
        key: str,
        content: tuple[Stamp | None, str],
        diagnostics: list[Diagnostic],
        suppressed: list[Diagnostic],
        program: ProgramFacts | None = None,
    ) -> None:
        """Keep a file's result (the import edges it was made from come through
        ``record_edges``, for every result, kept or not)."""
        absolute = _absolute(path)
        stamp, content_digest = content
        if absolute not in self.files:
            self.record_file(absolute, stamp, content_digest, [])
        self.results[absolute] = {
            "key": key,
            "digest": content_digest,
            "diagnostics": [_plain(d) for d in diagnostics],
            "suppressed": [_plain(d) for d in suppressed],
            "program": _program_json(program),
        }
        self.changed = True

    def save(self) -> str | None:
        """Write the cache if anything changed; returns why it could not be written."""
        if not self.changed:
            return None
        directory = os.path.dirname(self.path)
        try:
            _make_directory(os.path.dirname(directory))
            os.makedirs(directory, exist_ok=True)
            data = {"version": __version__, "files": self.files, "results": self.results}
            handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=directory)
            try:
                # `dumps`, not `dump`: only the whole-document encoder is the C one, several
                # times faster on a cache of thousands of files.
                text = json.dumps(data, separators=(",", ":"))
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    out.write(text)
                os.replace(temporary, self.path)
            except BaseException:
                _remove(temporary)
                raise
            _prune(directory)
        except OSError as exc:
            return exc.strerror or str(exc)
        except (ValueError, TypeError, RecursionError) as exc:  # kept entries of odd shape
            return f"{type(exc).__name__}: {exc}"
        return None


def _well_formed(data: Any) -> bool:
    """Whether a cache file's JSON has the shape this version writes: the entries are
    checked again one by one where they are used, but the containers must be right."""
    if not isinstance(data, dict) or data.get("version") != __version__:
        return False
    files, results = data.get("files"), data.get("results")
    return (
        isinstance(files, dict)
        and isinstance(results, dict)
        and all(isinstance(entry, list) for entry in files.values())
        and all(isinstance(entry, dict) for entry in results.values())
    )


def _code_key() -> str:
    """pglint's version and its modules' times and sizes: an installation from a checkout
    changes its rules without changing its version."""
    package = os.path.dirname(os.path.abspath(__file__))
    parts = [__version__]
    for directory, dirs, files in os.walk(package):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(".py"):
                info = os.stat(os.path.join(directory, name))
                parts.append(f"{name}:{info.st_mtime_ns}:{info.st_size}")
    return "\n".join(parts)


def _make_directory(root: str) -> None:
    """The cache's root, marked so that git and backup tools leave it alone."""
    if os.path.isdir(root):
        return
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, ".gitignore"), "w", encoding="utf-8") as out:
        out.write("# Made by pglint: a cache, safe to delete.\n*\n")
    with open(os.path.join(root, "CACHEDIR.TAG"), "w", encoding="utf-8") as out:
        out.write("Signature: 8a477f597d28d172789f06886806bc55\n# pglint's cache.\n")


def _prune(directory: str) -> None:
    try:
        names = [n for n in os.listdir(directory) if n.endswith(".json")]
        if len(names) <= KEEP_FILES:
            return
        dated = sorted(names, key=lambda n: os.stat(os.path.join(directory, n)).st_mtime_ns)
        for name in dated[: len(names) - KEEP_FILES]:
            _remove(os.path.join(directory, name))
    except OSError:
        pass  # another run pruned first


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)


# --- program facts as JSON ----------------------------------------------------------------


def _program_json(program: ProgramFacts | None) -> list | None:
    if program is None:
        return None
    path, entry, reverse = program
    return [
        path,
        entry.to_json() if entry is not None else None,
        read_to_json(reverse) if reverse is not None else None,
    ]


def _program_of(data: list | None) -> ProgramFacts | None:
    """The module's key, and its entry and read facts still as JSON: most runs that take
    a result from the cache never need them (pglint.checking makes them when a run
    builds the program)."""
    if data is None:
        return None
    path, entry, reverse = data
    if entry is not None and not isinstance(entry, list):
        raise ValueError("a module entry of another shape")
    if reverse is not None and not isinstance(reverse, list):
        raise ValueError("read facts of another shape")
    return (str(path), entry, reverse)  # type: ignore[return-value]


def program_entry(entry: ModuleEntry | list) -> ModuleEntry:
    return entry if isinstance(entry, ModuleEntry) else ModuleEntry.from_json(entry)


def program_read(read: Read | list) -> Read:
    return read if isinstance(read, dict) else read_of_json(read)


# --- diagnostics as JSON ------------------------------------------------------------------


def _plain(d: Diagnostic) -> list[Any]:
    fix = None
    if d.fix is not None:
        edits = [[*_loc(e.location), *_loc(e.end_location), e.content] for e in d.fix.edits]
        plan = d.fix.plan
        fix = [d.fix.applicability, d.fix.message, edits]
        if plan is not None:  # kept as the plan: working it out needs libcst
            fix.append([plan.kind, list(plan.args)])
    related = [[r.filename, *_loc(r.location), r.message] for r in d.related]
    return [d.code, d.message, *_loc(d.location), *_loc(d.end_location), d.suggestion, fix,
            d.name, d.url, related]  # fmt: skip


def _loc(location: Location) -> tuple[int, int]:
    return location.row, location.column


def _diagnostic(item: list[Any], filename: str) -> Diagnostic:
    code, message, row, column, end_row, end_column, suggestion, fix, name, url, related = item
    # A damaged entry must not reach the reports: raised, it makes the file linted again.
    _expect(str, code, message, name)
    _expect(int, row, column, end_row, end_column)
    _expect((str, type(None)), suggestion, url)
    found_fix = None
    if fix is not None:
        applicability, fix_message, edits, *planned = fix
        _expect(str, applicability, fix_message)
        for edit in edits:
            _expect(int, *edit[:4])
            _expect(str, edit[4])
        plan = None
        if planned:
            kind, args = planned[0]
            plan = Plan(kind, _tuples(args))
        found_fix = Fix(
            applicability,
            fix_message,
            tuple(Edit(Location(a, b), Location(c, d), text) for a, b, c, d, text in edits),
            plan,
        )
    return Diagnostic(
        code, message, filename, Location(row, column), Location(end_row, end_column),
        suggestion, found_fix, name, url,
        tuple(Related(f, Location(r, c), m) for f, r, c, m in related),
    )  # fmt: skip


def _tuples(value: Any) -> Any:
    """JSON's lists back as the tuples a plan's arguments are made of."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _expect(kind: type | tuple[type, ...], *values: Any) -> None:
    if not all(isinstance(v, kind) and type(v) is not bool for v in values):
        raise TypeError("a cache entry of another shape")


def _absolute(path: str) -> str:
    """A file as the import edges name it (pglint.project): on a case-insensitive file
    system, one spelling for one file, so an edge and a result always meet."""
    return os.path.normcase(os.path.abspath(path))
