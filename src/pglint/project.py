"""Project-wide facts: what each module offers to the modules that import it.

A FastAPI app defines its engine in `database.py`, its `get_db` dependency in `deps.py`
and its endpoints in `routers/*.py`. Linted one by one, `routers/users.py` cannot tell
what `Depends(get_db)` hands out. So before a file is linted, the modules it imports
from the same project are summarized — which of their names are driver objects (engines,
pools, sessionmakers), which are functions returning or yielding one (dependencies), and
which are `Annotated[..., Depends(...)]` aliases — and the file's driver resolution reads
those summaries.

The project a file belongs to is found from the file itself: the directories above it
that are packages (hold an `__init__.py`) are its package path, and the directory above
the topmost package is the import root. A file outside any package has its own directory
as import root, so `from database import get_db` next to it resolves too. Only modules
under that root are read; everything else is left to the single-file view.

Cost: every file is read and parsed at most once per run. A module summarized because
another imports it keeps its parsed facts until it is linted itself (within a budget), so
the lint phase reuses them; summaries are cached by content hash (and the summaries they
were computed from), in memory for the life of the process. A module's imports are found
in its text and summarized before it is parsed, so a chain of imports never holds the
facts of every module along it at once. A module's summary is made once per
content; when only a module it imports changes, it is seen by a new `Project`.
"""

from __future__ import annotations

import ast
import hashlib
import os
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from pglint import budget
from pglint.budget import OutOfTime
from pglint.drivers import ObjectKind
from pglint.facts.builder import release as release_facts
from pglint.facts.builder import resolve_calls, walk
from pglint.facts.model import Export, ImportedNames, ModuleFacts
from pglint.facts.resolve import Resolver
from pglint.facts.transactions import commits_what_it_yields
from pglint.files import FileTooLarge, read_source_file
from pglint.module_files import (
    LISTING_SUFFIX,
    Found,
    ModuleFiles,
    absolute_name,
    listing_digest,
)
from pglint.prefilter import has_database_code, imported_modules, mentions, textual_imports
from pglint.program import Program
from pglint.program.entries import ModuleEntry, build_entry
from pglint.program.tree import project_root
from pglint.settings import DEFAULT_MAX_FILE_SIZE
from pglint.source import DecodeError, SourceFile, SourceText, decode_source, parse_module

# Parsed facts kept for modules summarized but not linted yet, counted by the size of
# their source (facts take some forty times the memory of the text); beyond it, the
# oldest are dropped and a later lint of that file parses it again. Memory stays flat
# for a tree of any size, at the price of a few second parses. Measured on ten copies of
# the libraries corpus, the largest process peaked at 139 MB with 1.5 MB, 120 MB with
# 1 MB and 104 MB with 500 KB; on the apps corpus, in one process, 1.5 MB was 5% faster
# than the other two (a package's `__init__` that imports the whole package summarizes
# more than any budget keeps, and those modules are parsed again when linted).
MAX_RETAINED_TEXT = 1_000_000
# What is known of files already linted (digest, summary, import edges) and of import
# lookups, kept for this many: enough for the modules a package imports to be found
# again, and a bound on memory however large the tree.
MAX_KEPT_UNITS = 1000
MAX_KEPT_LOOKUPS = 10_000


@dataclass(frozen=True)
class ModuleSummary:
    """What one module exports, as far as driver objects go."""

    module: str
    exports: dict[str, Export]

    @property
    def key(self) -> tuple[tuple[str, Export], ...]:
        return tuple(sorted(self.exports.items(), key=lambda item: item[0]))


EMPTY = ModuleSummary("", {})


def summary_digest(summary: ModuleSummary) -> str:
    return hashlib.blake2b(repr(summary.key).encode(), digest_size=16).hexdigest()


def summary_to_json(summary: ModuleSummary) -> list:
    return [
        summary.module,
        [[key, e.name, e.role, e.kind.driver, e.kind.role, e.confidence, e.yields, e.fresh,
          e.commits] for key, e in summary.key],
    ]  # fmt: skip


def summary_of_json(data: list) -> ModuleSummary:
    module, exports = data
    return ModuleSummary(
        module,
        {key: Export(name, role, ObjectKind(driver, kind_role), confidence, yields, fresh,
                     commits)
         for key, name, role, driver, kind_role, confidence, yields, fresh, commits in exports},
    )  # fmt: skip


class AnalysisTooDeep(RecursionError):
    """The file parsed, but the facts pass recursed past Python's limit (pglint's limit,
    unlike a file too deeply nested for the interpreter itself to parse)."""


@dataclass
class Unit:
    """One file of the project as read once: its text, parse and facts."""

    path: str  # absolute, normalized
    stamp: tuple[int, int]  # (mtime_ns, size) when read
    digest: str
    name: str  # the path as the run spells it, for messages
    source: SourceFile | None = None
    facts: ModuleFacts | None = None  # walked; resolved when ``resolved_with`` is set
    resolved_with: tuple | None = None
    parse_error: BaseException | None = None
    decode_error: str | None = None
    summary: ModuleSummary | None = None
    imported: ImportedNames | None = None  # what its imports provided when it was linted
    relevant: bool | None = None  # whether it can have a finding (pglint.prefilter)
    entry: ModuleEntry | None = None  # indexed for the program without being linted
    tree: ast.Module | None = None  # its parse, when the front end has one (flake8)
    # The project modules whose summaries its relevance, summary or resolution read: the
    # edges the cache follows to find what a change affects (pglint.cache).
    uses: set[str] = field(default_factory=set)


@dataclass
class Project:
    """The project-wide state of one run (or one process): files read, summaries made."""

    # Off, every file is parsed and analysed: the reference the pre-filter is tested on.
    prefilter: bool = True
    # On, the files are taken as they were when first read: a run that writes none (no
    # `--fix`) looks at each once, not again each time a module is imported.
    snapshot: bool = False
    # Texts read instead of the files at these paths (normalized as ``Unit.path``): an
    # editor's unsaved documents, which the modules importing them must see as they are.
    overlay: dict[str, bytes] = field(default_factory=dict)
    units: dict[str, Unit] = field(default_factory=dict)
    summaries: dict[tuple, ModuleSummary] = field(default_factory=dict)
    parses: int = 0
    # The text whose facts may be kept for later (``MAX_RETAINED_TEXT``); none at all
    # where few files are linted and memory is what counts (the program's second pass).
    max_retained_text: int | None = None  # None: ``MAX_RETAINED_TEXT``
    _retained: OrderedDict[str, int] = field(default_factory=OrderedDict)  # path -> size
    _retained_text: int = 0
    _pinned: set[str] = field(default_factory=set)  # units whose facts a caller holds
    _released: dict[str, None] = field(default_factory=dict)  # linted files, oldest first
    _active: set[str] = field(default_factory=set)
    # Units whose ``uses`` grew since ``new_edges`` last handed them out.
    _grown: dict[str, None] = field(default_factory=dict)
    # File-system lookups, once per run: which file a dotted name is, which module a file.
    _found: dict[tuple[str, str], Found] = field(default_factory=dict)
    _roots: dict[str, list[str]] = field(default_factory=dict)  # import root -> others
    _names: dict[str, tuple[str, str]] = field(default_factory=dict)
    # What a module exports as an earlier run made it, when neither the module nor any
    # module it reads has changed since (pglint.cache): (path, digest) -> the summary.
    known_summary: Callable[[str, str], ModuleSummary | None] | None = None
    _fallbacks: set[str] = field(default_factory=set)  # summaries a budget cut short
    _disk: ModuleFiles = field(default_factory=ModuleFiles)
    # Digests of directory listings (``LISTING_SUFFIX``), once per run: thousands of
    # files import from the same few directories.
    _listing_digests: dict[str, str | None] = field(default_factory=dict)

    # --- reading ---------------------------------------------------------------------

    def unit(
        self, path: str, data: bytes | None = None, stamp: tuple[int, int] | None = None
    ) -> Unit | None:
        """The file at ``path``, read and decoded once per content (parsed and walked
        when its facts are first needed). ``stamp`` is the file's (mtime_ns, size) taken
        before ``data`` was read: one taken after could be a later edit's."""
        if self.snapshot and data is None:
            known = self.units.get(path)  # a path handed around here is already a key
            if known is not None:
                return known
        key = os.path.normcase(os.path.abspath(path))
        if data is None:
            data = self.overlay.get(key)
        if stamp is None or data is None:
            stamp = file_stamp(key)
        known = self.units.get(key)
        if known is not None and data is None and known.stamp == stamp:
            return known
        if data is None:
            data = _read(key)
            if data is None:
                return None
        digest = hashlib.blake2b(data, digest_size=16).hexdigest()
        if known is not None and known.digest == digest:
            known.stamp = stamp
            if known.source is None and known.decode_error is None:
                known.source = decode_source(data)  # the same bytes decoded before
            return known
        unit = Unit(key, stamp, digest, path)
        self.units[key] = unit
        self._grown[key] = None
        try:
            unit.source = decode_source(data)
        except DecodeError as exc:
            unit.decode_error = str(exc)
        return unit

    def relevant(self, unit: Unit) -> bool:
        """Whether the file can have a finding: its own text names database code, or it
        mentions a name that a project module it imports exports (pglint.prefilter)."""
        if unit.relevant is not None:
            return unit.relevant
        if not self.prefilter or unit.source is None or has_database_code(unit.source.text):
            unit.relevant = True
            return True
        text = unit.source.text  # kept: a summary below may come back here and drop it
        modules = self._modules(unit, textual_imports(text))
        names: set[str] = set()
        for path in modules:
            self._use(unit, path)
            names.update(self.summary(path).exports)
        if mentions(text, names):
            unit.relevant = True
        elif not any(path in self._active for path in modules):
            unit.relevant = False
        # else: an import cycle cut a summary short (it is empty until done): asked again
        # once it is, as the lint of the file asks it again for its imports' summaries.
        return bool(unit.relevant)

    def _use(self, unit: Unit, *paths: str) -> None:
        if not unit.uses.issuperset(paths):
            unit.uses.update(paths)
            self._grown[unit.path] = None

    def new_edges(self) -> list[tuple]:
        """(path, (mtime_ns, size), digest, [module it uses, digest of the summary it
        read], what it exports as JSON or None) of every unit read, summarized or whose
        uses grew since the last call: what the cache needs to tell, next run, which
        results a changed file affects. A used path that is no unit (a module file that
        does not exist or cannot be read) comes with no digest: its appearing changes
        what the imports resolve to."""
        edges: list[tuple] = []
        for path in self._grown:
            unit = self.units.get(path)
            if unit is not None:
                uses = [[used, self._read_summary(used)] for used in sorted(unit.uses)]
                made = unit.summary is not None and path not in self._fallbacks
                edges.append((path, unit.stamp, unit.digest, uses,
                              summary_to_json(unit.summary) if made else None))  # fmt: skip
                edges.extend((used, None, self._missing_digest(used), [], None)
                             for used in unit.uses if used not in self.units)  # fmt: skip
        self._grown.clear()
        self._trim()
        return edges

    def _read_summary(self, path: str) -> str | None:
        """The digest of the summary of the module at ``path`` as this process made it
        (None when it made none: the cache then takes any change of it to matter)."""
        unit = self.units.get(path)
        return summary_digest(unit.summary) if unit is not None and unit.summary else None

    def summary_digest(self, path: str) -> str | None:
        """The digest of what the module at ``path`` exports as it is now on disk: a
        change that leaves it as it was (a comment, a function body) concerns only the
        file itself, not the files importing it (pglint.cache)."""
        if self.unit(path) is None:
            return None
        return summary_digest(self.summary(path))

    def _facts(self, unit: Unit) -> ModuleFacts | None:
        """The unit's walked (not yet resolved) facts, parsing it if need be."""
        if unit.facts is not None or unit.parse_error is not None:
            return unit.facts
        if not self._reread(unit):
            return None
        # The modules it imports are summarized before it is parsed, not while its facts
        # are held: otherwise a chain of imports (a package's `__init__` importing the
        # package) holds the facts of every module along it at once.
        with budget.phase("resolving imports"):
            for path in self._modules(unit, imported_modules(unit.source.text)):  # type: ignore[union-attr]
                self.summary(path)
        # An import cycle may have come back to this unit meanwhile and walked it, or
        # summarized it and let its text go.
        if unit.facts is None and unit.parse_error is None and self._reread(unit):
            self._walk(unit, unit.name)
        return unit.facts

    def _reread(self, unit: Unit) -> bool:
        """Whether the unit has its text, reading it again if a release dropped it."""
        if unit.source is None:
            data = self.overlay.get(unit.path)
            fresh = self.unit(unit.path, data if data is not None else _read(unit.path))
            if fresh is not unit or unit.source is None:
                return False
        return True

    def _walk(self, unit: Unit, filename: str) -> None:
        text = SourceText(unit.source.text)  # type: ignore[union-attr]
        try:
            tree, unit.tree = unit.tree, None
            if tree is None:
                self.parses += 1
                with budget.phase("parsing"):
                    tree = parse_module(text.text, filename)
                    budget.check()
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            unit.parse_error = exc
            return
        try:
            with budget.phase("building its facts"):
                unit.facts = walk(tree, text, _display(filename))
        except RecursionError:
            unit.parse_error = AnalysisTooDeep()
            return
        self._retain(unit)

    def _retain(self, unit: Unit) -> None:
        size = len(unit.source.text) if unit.source is not None else 0
        self._forget(unit.path)
        self._retained[unit.path] = size
        self._retained_text += size
        limit = MAX_RETAINED_TEXT if self.max_retained_text is None else self.max_retained_text
        for old in list(self._retained):
            if self._retained_text <= limit:
                break
            if old in self._active or old in self._pinned or old == unit.path:
                continue  # in use further up the stack
            self._forget(old)
            dropped = self.units.get(old)
            if dropped is not None and dropped.facts is not None:
                release_facts(dropped.facts)
                dropped.facts = dropped.source = None
                dropped.resolved_with = None  # a later walk makes facts to resolve anew

    def _forget(self, path: str) -> None:
        self._retained_text -= self._retained.pop(path, 0)

    def release(self, unit: Unit) -> None:
        """The file has been linted: summarize it from the same facts (a module imported
        later needs no second parse), then drop its tree and facts."""
        if unit.summary is None and unit.facts is not None and unit.path not in self._active:
            self.summary(unit.path)
        if unit.facts is not None and unit.path not in self._active:
            release_facts(unit.facts)  # freed at once, not by the cyclic collector
        unit.facts = None
        unit.source = None
        unit.resolved_with = None
        self._forget(unit.path)
        self._released.pop(unit.path, None)
        self._released[unit.path] = None

    def _trim(self) -> None:
        """Forget the files linted longest ago beyond ``MAX_KEPT_UNITS`` (one imported
        later is read again), so that memory does not grow with the tree."""
        while len(self._released) > MAX_KEPT_UNITS:
            path = next(iter(self._released))
            del self._released[path]
            if path not in self._grown and path not in self._active and path not in self._pinned:
                self.units.pop(path, None)
                self._names.pop(path, None)
        if len(self._found) > MAX_KEPT_LOOKUPS:
            self._found.clear()
            self._listing_digests.clear()

    # --- resolving ---------------------------------------------------------------------

    def facts_for(self, unit: Unit, program: Program | None = None) -> ModuleFacts | None:
        """The unit's facts, resolved with what its imports provide and what ``program``
        says of its functions (without it, what the module says of them itself)."""
        facts = self._facts(unit)
        if facts is None:
            return None
        # An import cycle comes back here for the same unit: only the outermost call
        # unpins it, or the facts the outer one holds could be dropped.
        pinned_here = unit.path not in self._pinned
        self._pinned.add(unit.path)
        try:
            with budget.phase("resolving imports"):
                imported = self.imported_names(unit)
        finally:
            if pinned_here:
                self._pinned.discard(unit.path)
        unit.imported = imported
        key = (_key(imported), id(program))
        if unit.facts is not facts:  # dropped while its imports were summarized: keep it
            unit.facts, unit.resolved_with = facts, None
        if unit.resolved_with != key:
            with budget.phase("building its facts"):
                resolve_calls(facts, imported, program, unit.path, self._in_project(unit.path))
            unit.resolved_with = key
        return facts

    # --- the program --------------------------------------------------------------------

    def locate(self, path: str, qual: str) -> tuple[str, list[str]] | None:
        """The project file a dotted name imported in the module at ``path`` starts with,
        and the names after it (``pglint.program.graph`` resolves calls with it)."""
        names = self._names.get(path)
        if names is None:  # the program asks for every call of the module
            names = self._names[path] = self._disk.module_name(path)
        root, module = names
        where = (root, module, os.path.basename(path).startswith("__init__."))
        known = self._looked_up(where, qual)
        if known is None or known[0] is None or known[0][0] == path:
            return None
        return known[0]

    def program(self, entries: dict[str, ModuleEntry]) -> Program:
        """The call graph over ``entries``, finding modules as this project does and
        reading the ones it reaches that ``entries`` lack."""
        return Program(entries, locate=self.locate, load=self.index_entry)

    def _in_project(self, path: str):
        return lambda qual: self.locate(path, qual) is not None

    def index_entry(self, path: str) -> ModuleEntry | None:
        """The module entry of a file the run did not lint (a module between a route and
        the database code): read, parsed and walked here, its imports not resolved."""
        unit = self.unit(path)
        if unit is None:
            return None
        if unit.entry is not None:
            return unit.entry
        if not self._reread(unit):
            return None
        facts = unit.facts
        if facts is None:
            text = SourceText(unit.source.text)  # type: ignore[union-attr]
            try:
                self.parses += 1
                tree = parse_module(text.text, path)
                facts = walk(tree, text, _display(path))
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return None
        entry = build_entry(facts, Resolver(facts), self._in_project(path))
        if facts is not unit.facts:
            release_facts(facts)
        unit.entry = entry
        return entry

    def imported_for(self, path: str) -> ImportedNames:
        """What the imports of an already linted file provided: `--fix` re-lints the
        file's text round after round, and a fix never changes what it imports."""
        unit = self.units.get(os.path.normcase(os.path.abspath(path)))
        return (unit.imported or {}) if unit is not None else {}

    def summary(self, path: str) -> ModuleSummary:
        # Summaries made before the budget ran out are kept: the next file that needs
        # them goes on from there.
        budget.check()
        unit = self.unit(path)
        if unit is None:
            return EMPTY
        if unit.path in self._active:
            return EMPTY  # an import cycle: what is known so far
        if unit.summary is None:
            known = self.known_summary(unit.path, unit.digest) if self.known_summary else None
            if known is not None:
                unit.summary = known
            else:
                try:
                    with budget.apart():  # the module's own budget (pglint.budget)
                        self._summarize(unit)
                except OutOfTime:
                    # What it exports stays unknown, as for a module that cannot be read;
                    # its own lint reports it over budget. Not worth keeping for later.
                    unit.summary = EMPTY
                    self._fallbacks.add(unit.path)
            self._grown[unit.path] = None  # the cache keeps what it exports
            if unit.facts is None:  # not kept for a lint to come: only the summary is
                unit.source = None
        # Made once per content: a module imported by many is summarized once, and the
        # import graph is walked once however many paths lead to a module.
        return unit.summary  # type: ignore[return-value]

    def _summarize(self, unit: Unit) -> ModuleSummary:
        self._active.add(unit.path)
        try:
            if not self.relevant(unit) or self._facts(unit) is None:
                unit.summary = EMPTY
                return EMPTY
            imported = self.imported_names(unit)
            cache_key = (unit.digest, _key(imported))
            cached = self.summaries.get(cache_key)
            if cached is not None:
                unit.summary = cached
                return cached
            # What a module exports needs only its bindings and what its imports provide,
            # not the rules' facts (SQL calls, resources): those are made when it is linted,
            # which a module imported from another worker's files never is here.
            facts = unit.facts  # kept while the unit is active
            if facts is None:
                summary = EMPTY
            else:
                # Read with these imports, then left as resolved: the rules' facts and
                # the imports they were made with must not part.
                resolved_with, facts.imported = facts.imported, imported
                try:
                    summary = summarize(facts, self._module_name(unit)[1])
                finally:
                    facts.imported = resolved_with
            self.summaries[cache_key] = summary
            unit.summary = summary
            return summary
        finally:
            self._active.discard(unit.path)

    def imported_names(self, unit: Unit) -> ImportedNames:
        """What the project modules this unit imports provide, keyed as it spells them."""
        facts = unit.facts
        if facts is None:
            return {}
        imported: ImportedNames = {}
        # Sorted: in an import cycle, what a module sees depends on the order modules are
        # visited, and a run must not depend on hash order.
        where = self._where(unit)
        # `from db import *` reads as `from db import` every name db exports.
        for qual in sorted(set(facts.imports.values()) | set(facts.star_imports)):
            found = self._find(unit, qual, where)
            if found is None:
                continue
            path, rest = found
            self._use(unit, path)
            exports = self.summary(path).exports
            if not rest:  # `from app import db` / `import app.db as db`: the module itself
                for name, export in exports.items():
                    imported[f"{qual}.{name}"] = export
            elif len(rest) == 1 and rest[0] in exports:
                imported[qual] = exports[rest[0]]
        return imported

    def _module_name(self, unit: Unit) -> tuple[str, str]:
        """(import root, dotted name) of the unit, looked up on disk once per run."""
        names = self._names.get(unit.path)
        if names is None:
            names = self._names[unit.path] = self._disk.module_name(unit.path)
        return names

    def _where(self, unit: Unit) -> tuple[str, str, bool]:
        """(import root, dotted name, whether a package's `__init__`) of the unit: what
        the names it imports are looked up from, worked out once for all of them."""
        root, module = self._module_name(unit)
        return root, module, os.path.basename(unit.path).startswith("__init__.")

    def _find(
        self, unit: Unit, qual: str, where: tuple[str, str, bool] | None = None
    ) -> tuple[str, list[str]] | None:
        """The other project file an imported dotted name starts with, and the rest."""
        known = self._looked_up(where or self._where(unit), qual)
        if known is None:
            return None
        found, missing = known
        self._use(unit, *missing)  # a module created there would be found instead
        return None if found is None or found[0] == unit.path else found

    def _looked_up(self, where: tuple[str, str, bool], qual: str) -> Found | None:
        """What ``ModuleFiles.find`` says of an imported dotted name, once per run; None
        for a relative import reaching above the top package."""
        root, module, package = where
        absolute = qual if qual[:1] != "." else absolute_name(qual, module, package)
        if absolute is None:
            return None
        lookup = (root, absolute)
        known = self._found.get(lookup)
        if known is None:
            known = self._disk.find(root, absolute)
            if known[0] is None and qual[:1] != ".":
                # Not below the file's own import root: the directories an app is run
                # from (a folder without `__init__.py` is a namespace package), up to the
                # project's directory, and its `src/`.
                missing = list(known[1])
                # The module's own directory first: where a script is run from (and
                # Python 2's implicit relative imports).
                parts = module.split(".") if package else module.split(".")[:-1]
                own = os.path.join(root, *parts) if parts else root
                mine = [own] if own != root else []
                for other in mine + self._other_roots(root):
                    found, also = self._disk.find(other, absolute)
                    missing += also
                    if found is not None:
                        known = (found, missing)
                        break
                else:
                    known = (None, missing)
            self._found[lookup] = known
        return known

    def _other_roots(self, root: str) -> list[str]:
        """The directories above an import root up to the project's directory (the
        nearest holding a project marker), then the project's `src/`."""
        found = self._roots.get(root)
        if found is None:
            found = []
            top = project_root(root)
            current = root
            while current != top and _inside(current, top):
                current = os.path.dirname(current)
                found.append(current)
            source = os.path.join(top, "src")
            if source != root and os.path.isdir(source):
                found.append(source)
            self._roots[root] = found
        return found

    def _missing_digest(self, path: str) -> str | None:
        if not path.endswith(LISTING_SUFFIX):
            return None  # a module file that is not there
        if path not in self._listing_digests:
            self._listing_digests[path] = listing_digest(path)
        return self._listing_digests[path]

    def _modules(self, unit: Unit, quals: set[str]) -> list[str]:
        """The other project files the dotted names start with (``_find`` for each, the
        edges they add recorded once: a file's text names a few dozen)."""
        where = self._where(unit)
        paths: set[str] = set()
        looked: set[str] = set()
        for qual in quals:
            known = self._looked_up(where, qual)
            if known is None:
                continue
            found, missing = known
            looked.update(missing)
            if found is not None and found[0] != unit.path:
                paths.add(found[0])
        self._use(unit, *looked)
        return sorted(paths)


def _key(imported: ImportedNames) -> tuple:
    return tuple(sorted(imported.items(), key=lambda item: item[0]))


# --- summaries ------------------------------------------------------------------------


_AFTER_EVERY_ROW = 1 << 62


def summarize(facts: ModuleFacts, module: str) -> ModuleSummary:
    """The module-level names that are driver objects, providers of one, or aliases."""
    resolver = Resolver(facts)
    exports: dict[str, Export] = {}
    scope = facts.module
    end = (_AFTER_EVERY_ROW, 0)  # what each name is bound to once the module has run
    for name, bindings in scope.bindings.items():
        binding = bindings[-1]
        if binding.kind == "def" and isinstance(
            binding.node, ast.FunctionDef | ast.AsyncFunctionDef
        ):
            function = resolver.function(name)
            resolved = resolver.provided_kind(function) if function is not None else None
            if resolved is not None:
                kind, confidence = resolved
                fresh = resolver.acquires(function)  # type: ignore[arg-type]
                commits = commits_what_it_yields(facts, function)  # type: ignore[arg-type]
                exports[name] = Export(name, "provider", kind, confidence, function.is_generator,  # type: ignore[union-attr]
                                       fresh, commits)  # fmt: skip
            continue
        if binding.kind == "import":
            export = facts.imported.get(facts.imports.get(name, ""))
            if export is not None:
                exports[name] = replace(export, name=name)
            continue
        if binding.kind == "assign" and _is_annotated(binding.value):
            kind = resolver.annotation_kind(binding.value)
            if kind is not None:
                exports[name] = Export(name, "annotation", kind, "certain")
            continue
        if binding.kind in ("assign", "with"):
            resolved = resolver.kind_of(ast.Name(id=name), scope, end)
            if resolved is not None:
                exports[name] = Export(name, "object", resolved[0], resolved[1])
    return ModuleSummary(module, exports)


def _is_annotated(value: ast.expr | None) -> bool:
    if not isinstance(value, ast.Subscript):
        return False
    head = value.value
    return (head.id if isinstance(head, ast.Name) else getattr(head, "attr", "")) == "Annotated"


def _inside(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def file_stamp(path: str) -> tuple[int, int]:
    """(mtime_ns, size) of a file; (0, -1) if it cannot be looked at."""
    try:
        info = os.stat(path)
    except OSError:
        return (0, -1)
    return (info.st_mtime_ns, info.st_size)


def _read(path: str) -> bytes | None:
    # An imported module past the default size budget is treated as not found: what it
    # provides stays unknown, so rules stay silent about it.
    try:
        return read_source_file(path, DEFAULT_MAX_FILE_SIZE)
    except (OSError, FileTooLarge):
        return None


def _display(path: str) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path
    return path if relative.startswith("..") else relative
