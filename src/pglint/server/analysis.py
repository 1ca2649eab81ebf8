"""The project around the open documents, as the language server sees it.

Everything the server asks of the engine goes through ``Analysis``: the editor's unsaved
texts are what the analysis reads for those files (the open file itself, and the modules
that import it), what is known of the project stays warm in memory between edits, and a
change (typed, saved or made on disk) drops what was made from the old text and from
every module that read it. Findings are those `pglint check` reports for the same file
in the same project: the same ``lint_file`` over the same kind of ``Project``.
"""

from __future__ import annotations

import io
import os
import tokenize
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pglint.config import ConfigError, SettingsResolver, build_settings, find_config, load_config
from pglint.engine import LintResult, lint_file, lint_source
from pglint.files import discover
from pglint.fixes import FixOutcome, fix_text
from pglint.notebooks import Notebook, NotebookFix, NotebookResult, fix_notebook, lint_notebook
from pglint.program import Program, agrees
from pglint.program.entries import ModuleEntry
from pglint.program.view import Read
from pglint.project import Project
from pglint.settings import Selection, Settings


def key(path: str) -> str:
    """A path as the project keys its files."""
    return os.path.normcase(os.path.abspath(path))


@dataclass(frozen=True)
class Options:
    """What the editor's client sets (``initializationOptions`` or its configuration);
    the same keys as `[tool.pglint]` and `pglint check`'s flags, which win over it."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    unsafe_fixes: bool = False

    @classmethod
    def parse(cls, raw: object) -> tuple[Options, list[str]]:
        """Options from the client's JSON, and what was wrong with it (ignored)."""
        problems: list[str] = []
        if raw is None:
            return cls(), problems
        if not isinstance(raw, dict):
            return cls(), [f"settings must be an object, got {type(raw).__name__}"]
        raw = raw.get("pglint", raw) if isinstance(raw.get("pglint"), dict) else raw

        def codes(*names: str) -> tuple[str, ...] | None:
            for name in names:
                if name in raw:
                    value = raw[name]
                    if isinstance(value, str):
                        value = [value]
                    if isinstance(value, list) and all(isinstance(v, str) for v in value):
                        from pglint.settings import invalid_selectors

                        bad = invalid_selectors(value)
                        if not bad:
                            return tuple(value)
                        problems.append(f"{name}: invalid rule code {bad[0]!r}")
                    else:
                        problems.append(f"{name} must be a list of rule codes")
            return None

        unsafe = raw.get("unsafeFixes", raw.get("unsafe-fixes", False))
        if not isinstance(unsafe, bool):
            problems.append("unsafeFixes must be true or false")
            unsafe = False
        return cls(
            select=codes("select"),
            ignore=codes("ignore") or (),
            extend_select=codes("extendSelect", "extend-select", "extend_select") or (),
            unsafe_fixes=unsafe,
        ), problems

    @property
    def flags(self) -> Selection:
        return Selection(self.select, self.ignore, self.extend_select)

    @property
    def applicabilities(self) -> frozenset[str]:
        return frozenset({"safe", "unsafe"}) if self.unsafe_fixes else frozenset({"safe"})


@dataclass
class Folder:
    """One workspace folder: its files follow its `[tool.pglint]` as `pglint check` run
    there reads it (a sub-project with its own table follows that one)."""

    root: str
    resolver: SettingsResolver | None = None
    error: str | None = None  # the folder's own configuration cannot be used


@dataclass
class Analysis:
    options: Options = field(default_factory=Options)
    folders: list[Folder] = field(default_factory=list)
    project: Project = field(default_factory=Project)
    # Open Python documents' texts by key (notebooks are analysed on their own, as
    # `pglint check` does: their cells are no module another file imports).
    texts: dict[str, str] = field(default_factory=dict)
    _unlinted: set[str] = field(default_factory=set)
    # The program (pglint.program): what each module linted tells it, and what the
    # program told each open document's lint, to see when that no longer holds.
    entries: dict[str, ModuleEntry] = field(default_factory=dict)
    reads: dict[str, tuple[str, Read]] = field(default_factory=dict)  # key -> (module, read)
    _program: Program | None = None

    # --- settings -----------------------------------------------------------------------

    def set_folders(self, roots: Collection[str]) -> None:
        self.folders = [self._folder(root) for root in roots]

    def reload_settings(self) -> None:
        """A configuration file changed: read every folder's again."""
        self.set_folders([folder.root for folder in self.folders])

    def _folder(self, root: str) -> Folder:
        folder = Folder(os.path.abspath(root))
        try:
            found = find_config(Path(folder.root))
            config = load_config(found) if found else None
        except ConfigError as exc:
            folder.error = str(exc)
            return folder
        resolver = SettingsResolver(config, self.options.flags, hierarchical=True)
        if config is None:  # relative patterns are anchored at the folder, not our cwd
            resolver.base = build_settings(None, self.options.flags, root=Path(folder.root))
        folder.resolver = resolver
        return folder

    def folder_of(self, path: str) -> Folder:
        """The innermost workspace folder holding ``path``; a file outside every folder
        is read as `pglint check` run in its own directory would."""
        absolute = os.path.abspath(path)
        best: Folder | None = None
        for folder in self.folders:
            inside = absolute == folder.root or absolute.startswith(folder.root + os.sep)
            if inside and (best is None or len(folder.root) > len(best.root)):
                best = folder
        if best is None:
            best = self._folder(os.path.dirname(absolute))
            self.folders.append(best)
        return best

    def settings_for(self, path: str) -> Settings:
        """Raises ``ConfigError`` when the file's configuration cannot be used."""
        folder = self.folder_of(path)
        if folder.error is not None or folder.resolver is None:
            raise ConfigError(folder.error or "no configuration")
        return folder.resolver.for_file(path)

    def is_excluded(self, path: str, settings: Settings) -> bool:
        """Whether `pglint check` run in the folder would leave the file out."""
        return settings.is_excluded(path, ancestors=True)

    # --- documents ----------------------------------------------------------------------

    def open(self, path: str, text: str) -> set[str]:
        return self.change(path, text, opening=True)

    def change(self, path: str, text: str, *, opening: bool = False) -> set[str]:
        """The editor's text of a Python file is now ``text``. Returns the open documents
        (keys) whose findings may change: the file itself and those that read it."""
        k = key(path)
        data = _encoded(text)
        before = self.project.overlay.get(k)
        if before is None and opening:
            before = _disk(k)  # opened as saved: nothing the project knows changes
        self.texts[k] = text
        self.project.overlay[k] = data
        if before == data:
            return {k} | self._unlinted
        return {k} | self._forget(k)

    def close(self, path: str) -> set[str]:
        """The editor closed the document: the file is what the disk holds again."""
        k = key(path)
        self.texts.pop(k, None)
        self._unlinted.discard(k)
        self.reads.pop(k, None)
        overlay = self.project.overlay.pop(k, None)
        if overlay is None or overlay == _disk(k):
            return set()
        affected = self._forget(k)
        self.index(path)  # what the saved file tells the program
        return affected | self.disagreeing()

    def changed_on_disk(self, paths: Collection[str], *, created_or_deleted: bool) -> set[str]:
        """Files changed outside the editor. A file appearing or going changes what the
        imports resolve to, which the project looks up once: it starts afresh then,
        keeping the open texts and the summaries (keyed by content, never stale)."""
        if created_or_deleted:
            old = self.project
            self.project = Project(overlay=old.overlay, summaries=old.summaries)
            return set(self.texts)
        affected: set[str] = set()
        for path in paths:
            affected |= self._forget(key(path))
            self.index(path)  # what it now tells the program
        return affected | self.disagreeing()

    def _forget(self, changed: str) -> set[str]:
        """Drop what the project made from ``changed`` and from every module whose
        relevance, summary or resolution read it (they are read again when next asked
        for); returns the open documents among them."""
        units = self.project.units
        users: dict[str, list[str]] = {}
        for path, unit in units.items():
            for used in unit.uses:
                users.setdefault(used, []).append(path)
        stale = {changed}
        todo = [changed]
        while todo:
            for user in users.get(todo.pop(), ()):
                if user not in stale:
                    stale.add(user)
                    todo.append(user)
        for path in stale:
            units.pop(path, None)
        # Open documents dropped here are analysed again before they are known to read
        # anything: until then, every change may concern them.
        self._unlinted |= (stale - {changed}) & self.texts.keys()
        return set(self._unlinted)

    # --- analysis -----------------------------------------------------------------------

    def lint(self, path: str, settings: Settings) -> LintResult:
        """A Python file's findings, from the editor's text when it has one, as `pglint
        check` makes them: linted with what its own module says of its functions, then
        again with what the program says, when that differs (a helper a route in another
        module reaches per request)."""
        k = key(path)
        self._unlinted.discard(k)
        text = self.project.overlay.get(k)
        result = lint_file(path, settings, self.project, text=text)
        self._learn(result, path)
        module, read = result.module_path, result.read
        if module is not None and read is not None:
            if k in self.texts:
                self.reads[k] = (module, read)
            program = self.program()
            if not agrees(read, program, module):
                result = lint_file(path, settings, self.project, text=text, program=program)
                if k in self.texts and result.read is not None:
                    self.reads[k] = (module, result.read)
        return result

    def _learn(self, result: LintResult, path: str) -> None:
        """Take what a lint of the file at ``path`` tells the program of its module."""
        module, entry = result.module_path or key(path), result.entry
        if self.entries.get(module) == entry:
            return
        if entry is None:  # it declares nothing the program needs (any more)
            self.entries.pop(module, None)
        else:
            self.entries[module] = entry
        self._program = None

    def program(self) -> Program:
        """The call graph over every module linted so far (the workspace once indexed)."""
        if self._program is None:
            self._program = self.project.program(dict(self.entries))
        return self._program

    def disagreeing(self) -> set[str]:
        """The open documents whose last lint the program now sees otherwise (a route
        that reaches their helper was added or edited): to be analysed again."""
        if not self.reads:
            return set()
        program = self.program()
        return {k for k, (module, read) in self.reads.items() if not agrees(read, program, module)}

    def lint_text(self, text: str) -> LintResult:
        """A text that is no file (an editor's untitled buffer): on its own, with the
        settings of the first workspace folder."""
        folder = next((f for f in self.folders if f.resolver is not None), None)
        if folder is not None and folder.resolver is not None:
            settings = folder.resolver.base
        else:
            settings = build_settings(None, self.options.flags)
        return lint_source(text, "-", settings)

    def fix(self, path: str, text: str, settings: Settings) -> FixOutcome:
        """Every applicable fix, round after round, as `pglint check --fix` applies them."""
        imported = self.project.imported_for(path)
        return fix_text(text, path, settings, self.options.applicabilities, imported=imported)

    @staticmethod
    def lint_notebook(notebook: Notebook, path: str, settings: Settings) -> NotebookResult:
        return lint_notebook(notebook, path, settings)

    def fix_notebook(self, notebook: Notebook, path: str, settings: Settings) -> NotebookFix:
        return fix_notebook(notebook, path, settings, self.options.applicabilities)

    # --- warming up -----------------------------------------------------------------------

    def files_to_index(self) -> Iterator[str]:
        """Every Python file of the workspace folders that `pglint check` would lint."""
        for folder in list(self.folders):
            if folder.resolver is None:
                continue
            yield from discover([folder.root], folder.resolver.base, respect_gitignore=True)

    def index(self, path: str) -> None:
        """Lint one module of the workspace for what it tells the program (and so that a
        file opened later finds its imports summarized); its findings are not shown."""
        if key(path) in self.texts:
            return  # open: linted as the editor has it
        try:
            settings = self.settings_for(path)
        except ConfigError:
            return
        self._learn(lint_file(path, settings, self.project), path)


def _disk(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def _encoded(text: str) -> bytes:
    """The editor's text as the file's bytes would be: in its declared encoding (PEP 263),
    which the engine decodes it with."""
    head = "".join(text.splitlines(keepends=True)[:2])
    if "coding" in head:
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(head.encode("utf-8")).readline)
            return text.encode(encoding)
        except (SyntaxError, LookupError, UnicodeError):
            pass
    return text.encode("utf-8")
