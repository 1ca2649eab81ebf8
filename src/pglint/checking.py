"""One `pglint check` run over files: lint, fix, collect. Nothing here decides the output.

Python files and notebooks go through the same steps; a notebook is read, linted and
fixed by ``pglint.notebooks`` and written back as JSON.
"""

from __future__ import annotations

import gc
import os
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from pglint import budget, engine
from pglint.cache import Cache, ProgramFacts, digest, program_entry, program_read, settings_key
from pglint.config import ConfigError
from pglint.diagnostics import Diagnostic
from pglint.engine import (
    COLLECTOR_THRESHOLD,
    LintResult,
    lint_file,
    lint_source,
    start_run,
    too_large,
)
from pglint.files import FileTooLarge, Unreadable, read_source_file
from pglint.fixes import (
    MAX_ROUNDS,
    fix_text,
    is_applicable,
    out_of_time,
    unified_diff,
    write_atomically,
)
from pglint.noqa import add_noqa
from pglint.notebooks import (
    NOTEBOOK_SUFFIX,
    NotebookError,
    fix_notebook,
    lint_notebook,
    notebook_result,
    read_notebook,
)
from pglint.output import display_path
from pglint.program import Program, agrees
from pglint.program.entries import ModuleEntry
from pglint.program.tree import program_files
from pglint.program.view import Read
from pglint.project import file_stamp
from pglint.settings import Settings
from pglint.source import DecodeError, SourceFile, decode_source
from pglint.workers import run_in_workers

# Below this many files, starting worker processes costs more than it saves.
PARALLEL_MIN_FILES = 32


@contextmanager
def _fewer_collections() -> Iterator[None]:
    before = gc.get_threshold()
    _start_worker()
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def _start_worker() -> None:
    """Also each worker process's initializer."""
    gc.freeze()  # what is alive now (pglint itself) is never garbage: not scanned again
    gc.set_threshold(COLLECTOR_THRESHOLD, *gc.get_threshold()[1:])


def _lint_task(task: tuple[str, Settings, bool]) -> LintResult:
    """Lint one file (a module-level function, so worker processes can run it)."""
    path, settings, keep_suppressed = task
    if not path.endswith(NOTEBOOK_SUFFIX) or isinstance(path, Unreadable):
        return lint_file(path, settings, keep_suppressed=keep_suppressed)
    stamp = file_stamp(path)  # before the read: an edit after it must look like a change
    try:
        data = read_source_file(path, settings.max_file_size)
    except FileTooLarge as exc:
        return LintResult(path, [too_large(settings, path, exc.size)], SourceFile(text=""))
    except OSError as exc:
        return LintResult(path, error=exc.strerror or str(exc), io_error=True)
    result = lint_notebook(data, path, settings, keep_suppressed=keep_suppressed)
    # Cached like a file: a notebook's result depends on its content alone (its cells are
    # not imported by other modules, nor it by them). Not one that depends on the machine.
    if result.error is None and not any(d.code in ("PGL000", "PGL002") for d in result.diagnostics):
        result.content = (stamp, digest(data))
    return result


def _lint_chunk(tasks: list[tuple[str, Settings, bool]]) -> list[LintResult]:
    return [_lean(_lint_task(task)) for task in tasks]


def _lean(result: LintResult) -> LintResult:
    """Drop the text of a clean file: reports only show the code of findings, and a run
    over a large tree must not hold every file in memory."""
    if result.error is None and not result.diagnostics and not result.suppressed:
        result.source = None
    return result


def program_facts(result: LintResult) -> ProgramFacts | None:
    if result.module_path is None:
        return None
    return (result.module_path, result.entry, result.read)


def _unreadable(result: LintResult) -> bool:
    return result.error is not None or (result.source is None and bool(result.diagnostics))


def _stderr(text: str) -> None:
    import click

    click.echo(text, err=True)


@dataclass
class Run:
    """What a run has found so far, over all its files."""

    settings: Settings  # the base settings; a file may have its own (``resolve``)
    applicabilities: frozenset[str]
    resolve: Callable[[str], Settings] | None = None
    keep_suppressed: bool = False  # for reports that show silenced findings (SARIF)
    quiet: bool = False  # findings only: no closing summary, no warnings
    say: Callable[[str], None] = _stderr
    results: list[LintResult] = field(default_factory=list)
    fixed: dict[str, list[Diagnostic]] = field(default_factory=dict)
    diffs: list[str] = field(default_factory=list)
    errors: int = 0
    # Of which paths that could not be read (ruff's E902): --exit-zero covers these, not
    # the others (a file that is not text, a configuration, a write that failed).
    unreadable: int = 0
    baselined: dict[str, list[Diagnostic]] = field(default_factory=dict)
    cache: Cache | None = None
    checked: int = 0  # files with a result (clean ones are counted, not kept)
    skipped: int = 0  # of which the pre-filter found no database code in
    reused: int = 0  # of which the cache held a valid result
    _keys: dict[str, str] = field(default_factory=dict)  # path -> the cache's settings key
    _settings_keys: dict[int, tuple[Settings, str]] = field(default_factory=dict)
    # The program (pglint.program): what each file tells it, and for each file linted,
    # the name it was linted under and what the program said of its functions then.
    entries: dict[str, ModuleEntry] = field(default_factory=dict)
    linted_with: dict[str, tuple[str, Read]] = field(default_factory=dict)
    relinted: int = 0  # files linted again because the program saw their functions anew
    linted: int = 0  # files linted in this run (not taken from the cache)
    # The files whose findings the run reports; None: every file it lints. The others are
    # the rest of their projects, read for what they tell the program (pglint.program).
    shown: set[str] | None = None
    # Where the cache lives (None: no cache), and the processes a run may use: for the
    # rest of the project around standard input.
    cache_dir: str | None = None
    jobs: int = 1

    def error(self, filename: str, reason: str) -> None:
        self.errors += 1
        self.say(f"pglint: error: {display_path(filename)}: {reason}")

    def warn(self, text: str) -> None:
        """A warning on standard error, unless the run is quiet."""
        if not self.quiet:
            self.say(f"pglint: warning: {text}")

    def remaining(self) -> list[Diagnostic]:
        return [d for r in self.results for d in r.diagnostics]

    def settings_for(self, path: str) -> Settings:
        return self.resolve(path) if self.resolve is not None else self.settings

    def fixed_count(self) -> int:
        return sum(len(v) for v in self.fixed.values())

    # --- one file ---------------------------------------------------------------------

    def lint(self, path: str, settings: Settings) -> LintResult:
        return _lint_task((path, settings, self.keep_suppressed))

    def _collect(self, result: LintResult) -> None:
        """Keep a file's result, or report why it has none."""
        self._record_edges(result)
        if _unreadable(result) and self._reported(result.filename):
            self.unreadable += result.io_error
            self.error(result.filename, result.error or "cannot be read")
        else:
            self._add(result)

    def _add(self, result: LintResult) -> None:
        """Count a file's result, hand it to the cache, and keep it if it has anything to
        report: a run over a large tree must not hold every clean file in memory."""
        self._index(result)
        key = self._keys.get(result.filename)
        if not self._reported(result.filename):
            if self.cache is not None and key is not None and result.content is not None:
                self.cache.put(result.filename, key, result.content, result.diagnostics,
                               result.suppressed, program_facts(result))  # fmt: skip
            return
        self.checked += 1
        self.skipped += not result.analysed
        if self.cache is not None and key is not None and result.content is not None:
            self.cache.put(result.filename, key, result.content, result.diagnostics,
                           result.suppressed, program_facts(result))  # fmt: skip
        if result.diagnostics or result.suppressed or result.error is not None:
            self.results.append(_lean(result))

    def _reported(self, filename: str) -> bool:
        return self.shown is None or filename in self.shown

    def _index(self, result: LintResult) -> None:
        """What the file tells the program, and what the program told it."""
        self.linted += not result.from_cache
        path = result.module_path
        if path is None:
            return
        if result.entry is not None:
            self.entries[path] = result.entry
        if result.read is not None:
            self.linted_with[path] = (result.filename, result.read)

    # --- the program --------------------------------------------------------------------

    def program(self) -> Program:
        """The call graph over every file's entry; an entry taken from the cache is
        still JSON until here."""
        entries = {path: program_entry(entry) for path, entry in self.entries.items()}
        return engine.PROCESS_PROJECT.program(entries)

    def lint_program(self, *, fix: bool, diff: bool) -> None:
        """Phases 2 and 3 of a run (pglint.program): the call graph over every file's
        entry, then each file whose functions the program sees otherwise than its own
        module did is linted again with what the program says."""
        if not self.linted_with or not self.linted:
            # Every result from the cache, which keeps only results their program
            # agreed with: the program is the one they were checked against.
            return
        program = self.program()
        # A file not shown is linted again too, for the cache: its result then agrees
        # with the program, and a later run takes it as it is.
        stale = [
            filename for path, (filename, read) in self.linted_with.items()
            if not agrees(program_read(read), program, path)
        ]  # fmt: skip
        if not stale:
            return
        order = {r.filename: i for i, r in enumerate(self.results)}
        self.results = [r for r in self.results if r.filename not in set(stale)]
        self.checked -= sum(self._reported(filename) for filename in stale)
        # The main process holds the whole program now: the few files linted again here
        # keep no other module's facts beyond the moment they are read.
        project = engine.PROCESS_PROJECT
        kept, project.max_retained_text = project.max_retained_text, 0
        try:
            for filename in stale:
                self.relinted += 1
                self.check_file(filename, fix=fix, diff=diff, program=program)
        finally:
            project.max_retained_text = kept
        self.results.sort(key=lambda r: order.get(r.filename, len(order)))

    def _record_edges(self, result: LintResult) -> None:
        """Hand the cache what the project learnt of the import graph making a result,
        whether or not the result itself is kept: the project hands each edge out once,
        and a later file's result may depend on it (a fixed file's, an unreadable's)."""
        if self.cache is not None and result.edges:
            self.cache.record_edges(result.edges)
        result.edges = []

    def check_files(self, paths: list[str], *, fix: bool, diff: bool, jobs: int) -> None:
        """Check every file (reusing the cache's results where they are still valid); a
        read-only run over many files uses ``jobs`` processes."""
        start_run(writes=fix and not diff)
        # What unchanged modules export is read from this run's cache, if it has one (the
        # process's project outlives a run: under flake8, in tests).
        engine.PROCESS_PROJECT.known_summary = (
            self.cache.known_summary if self.cache is not None else None
        )
        with _fewer_collections():
            if self.cache is None:
                self._check_files(paths, fix=fix, diff=diff, jobs=jobs)
                self.lint_program(fix=fix, diff=diff)
                return
            if self.cache.summarize is None:
                # A changed module affects the files importing it only if what it exports
                # changed: asked of this process's project, which reads it as it is now.
                self.cache.summarize = engine.PROCESS_PROJECT.summary_digest
            order = {path: index for index, path in enumerate(paths)}
            todo = [
                path for path in paths
                if not self._from_cache(path, (fix or diff) and self._reported(path))
            ]  # fmt: skip
            self._check_files(todo, fix=fix, diff=diff, jobs=jobs)
            self.lint_program(fix=fix, diff=diff)
            self.results.sort(key=lambda r: order.get(r.filename, len(order)))

    def _from_cache(self, path: str, fixing: bool) -> bool:
        """Take the file's result from the cache, if it holds a valid one."""
        assert self.cache is not None
        try:
            settings = self.settings_for(path)
        except ConfigError:
            return False  # reported when the file is checked
        known = self._settings_keys.get(id(settings))
        if known is None or known[0] is not settings:
            known = self._settings_keys[id(settings)] = (
                settings,
                settings_key(settings, self.keep_suppressed),
            )
        self._keys[path] = key = known[1]
        cached = self.cache.get(path, key)
        if cached is None:
            return False
        if fixing and any(is_applicable(d, self.applicabilities) for d in cached.diagnostics):
            return False
        result = LintResult(
            path, cached.diagnostics, None, suppressed=cached.suppressed, from_cache=True
        )
        if cached.diagnostics or cached.suppressed:  # reports show the code of findings
            try:
                data = read_source_file(path, None)
                if path.endswith(NOTEBOOK_SUFFIX):  # and where each cell is
                    result = notebook_result(data, path, cached.diagnostics, cached.suppressed)
                else:
                    result.source = decode_source(data)
            except (OSError, FileTooLarge, DecodeError, NotebookError):
                return False
        self.reused += self._reported(path)
        if cached.program is not None:
            result.module_path, result.entry, result.read = cached.program
        self._add(result)
        return True

    def summary(self, seconds: float) -> str:
        """One line on what the run did with its files (`--verbose`)."""
        analysed = self.checked - self.reused - self.skipped
        return (
            f"pglint: {self.checked:,} file{'' if self.checked == 1 else 's'} in "
            f"{seconds:.2f} s: {analysed:,} analysed, "
            f"{self.skipped:,} without database code (not parsed), {self.reused:,} "
            f"unchanged since the last run (from the cache), {self.errors:,} not readable"
        )

    def _check_files(self, paths: list[str], *, fix: bool, diff: bool, jobs: int) -> None:
        if fix or diff or jobs <= 1 or len(paths) < PARALLEL_MIN_FILES:
            for path in paths:
                self.check_file(path, fix=fix, diff=diff)
            return
        tasks = []
        for path in paths:
            try:
                tasks.append((path, self.settings_for(path), self.keep_suppressed))
            except ConfigError as exc:
                self.error(path, str(exc))
        # Results come back as their workers finish them; the unreadable files are
        # reported at the end, in the order of the files, so a run's messages do not vary.
        unreadable: list[LintResult] = []

        def collect(result: LintResult) -> None:
            if _unreadable(result):
                self._record_edges(result)
                unreadable.append(result)
            else:
                self._collect(result)

        run_in_workers(tasks, [task[0] for task in tasks], jobs, _lint_chunk, collect,
                       initializer=_start_worker)  # fmt: skip
        order = {task[0]: index for index, task in enumerate(tasks)}
        for result in sorted(unreadable, key=lambda r: order[r.filename]):
            self._collect(result)
        self.results.sort(key=lambda r: order.get(r.filename, len(order)))

    def check_file(
        self, path: str, *, fix: bool, diff: bool, program: Program | None = None
    ) -> None:
        if not self._reported(path):
            fix = diff = False  # the rest of the project is read, never changed
        try:
            settings = self.settings_for(path)
        except ConfigError as exc:
            self.error(path, str(exc))
            return
        # One budget for the file, linted and fixed (pglint.budget).
        with budget.limit(settings.max_file_seconds):
            result = (
                self.lint(path, settings)
                if program is None
                else lint_file(
                    path, settings, keep_suppressed=self.keep_suppressed, program=program
                )
            )
            self._record_edges(result)
            if result.error is not None or result.source is None:
                if self._reported(path):
                    self.unreadable += result.io_error
                    self.error(path, result.error or "cannot be read")
                return
            if not (fix or diff) or not any(
                is_applicable(d, self.applicabilities) for d in result.diagnostics
            ):
                if (fix or diff) and out_of_time(result):  # what it would fix is unknown
                    self._not_fixed(path, settings, "analysing it")
                self._add(result)
                return
            fixed = self._fixed(path, result, settings, program)
        if fixed is None:
            self._add(result)
            return
        before, after, outcome_result, fixed_diagnostics = fixed
        self._index(result)  # what the file tells the program, as it was linted
        if diff:
            self.diffs.append(unified_diff(before, after, path))
        else:
            try:
                write_atomically(path, self._encode(path, result, after))
            except (OSError, UnicodeError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                self.error(path, f"cannot write the fixed file: {reason}")
                self.checked += 1
                self.results.append(result)
                return
        self.fixed[path] = fixed_diagnostics
        self.checked += 1
        self.results.append(outcome_result)

    def _encode(self, path: str, result: LintResult, text: str) -> bytes:
        if path.endswith(NOTEBOOK_SUFFIX):
            return text.encode("utf-8")
        return result.source.encode(text)  # type: ignore[union-attr]

    def _fixed(
        self, path: str, result: LintResult, settings: Settings, program: Program | None = None
    ) -> tuple[str, str, LintResult, list[Diagnostic]] | None:
        """(text before, text after, what remains, what was fixed); None if unchanged."""
        if out_of_time(result):
            self._not_fixed(path, settings, "analysing it")
            return None
        if path.endswith(NOTEBOOK_SUFFIX):
            with open(path, "rb") as handle:
                try:
                    notebook = read_notebook(handle.read())
                except NotebookError:
                    return None
            before = notebook.text
            outcome = fix_notebook(notebook, path, settings, self.applicabilities)
            if outcome.out_of_time:
                self._not_fixed(path, settings, "fixing it")
                return None
            self._warn(path, outcome.rejected, outcome.converged)
            if not outcome.changed:
                return None
            try:
                after = notebook.dumps()
            except NotebookError as exc:
                self.warn(f"{display_path(path)}: not fixed: {exc}")
                return None
            return before, after, outcome.result, outcome.fixed
        text = result.source.text  # type: ignore[union-attr]
        plain = fix_text(text, path, settings, self.applicabilities, linted=result, program=program)
        if plain.out_of_time:
            self._not_fixed(path, settings, "fixing it")
            return None
        self._warn(path, plain.rejected, plain.converged, plain.unbuilt)
        if plain.text == text:
            if plain.unbuilt:  # the same findings, without the fixes that cannot be made
                result.diagnostics = plain.result.diagnostics
            return None
        return text, plain.text, plain.result, plain.fixed

    def _not_fixed(self, path: str, settings: Settings, what: str) -> None:
        self.warn(
            f"{display_path(path)}: not fixed: {what} took longer than the "
            f"{settings.max_file_seconds:g} s budget (`max-file-seconds`); the file is "
            "left as it was"
        )

    def _warn(
        self, path: str, rejected: list[Diagnostic], converged: bool,
        unbuilt: list[Diagnostic] = (),  # type: ignore[assignment]
    ) -> None:  # fmt: skip
        shown = display_path(path)
        for d in rejected:
            self.warn(
                f"{shown}:{d.location.row}:{d.location.column}: {d.code} fix not applied: the "
                "result would not parse (please report it)"
            )
        for d in unbuilt:
            self.say(
                f"pglint: warning: {shown}:{d.location.row}:{d.location.column}: {d.code} fix "
                "not applied: this code could not be restructured"
            )
        if not converged:
            self.warn(f"{shown}: fixes did not converge after {MAX_ROUNDS} rounds")

    # --- standard input ---------------------------------------------------------------

    def program_around(self, filename: str, *, with_it: bool = False) -> Program | None:
        """The program of the project the file named belongs to, without the file itself
        (its text comes from elsewhere) unless ``with_it``: the project's files are
        linted, or taken from the cache, for what they tell the program; nothing of them
        is reported. None for a name that is no file on disk."""
        if not os.path.isfile(filename):
            return None
        rest = program_files([filename], self.settings, respect_gitignore=True)
        if with_it:
            rest.insert(0, filename)
        run = Run(self.settings, self.applicabilities, resolve=self.resolve,
                  say=lambda _: None, shown=set())  # fmt: skip
        if self.cache_dir is not None:
            run.cache = Cache.open(self.cache_dir, rest if with_it else [filename, *rest])
        run.check_files(rest, fix=False, diff=False, jobs=self.jobs)
        if run.cache is not None:
            run.cache.save()
        return run.program()

    def check_stdin(self, data: bytes, filename: str, *, fix: bool, diff: bool) -> bytes | None:
        """Lint (and fix) standard input; returns the text a filter must print, if any."""
        settings = self.settings_for(filename)
        try:
            with budget.limit(settings.max_file_seconds):
                return self._check_stdin(data, filename, settings, fix=fix, diff=diff)
        except Exception as exc:  # a filter never swallows its input, whatever happened
            where = traceback.extract_tb(exc.__traceback__)[-1]
            self.error(
                filename,
                f"internal error: {type(exc).__name__}: {exc} (at "
                f"{os.path.basename(where.filename)}:{where.lineno}); please report it",
            )
            return data if fix and not diff else None

    def _check_stdin(
        self, data: bytes, filename: str, settings: Settings, *, fix: bool, diff: bool
    ) -> bytes | None:
        if filename.endswith(NOTEBOOK_SUFFIX) and data.strip():
            return self._check_stdin_notebook(data, filename, settings, fix=fix, diff=diff)
        # Named after a file of a project: read with the rest of the project, as
        # `pglint check` reads that file.
        with budget.unlimited():  # the rest of the project is not this file's cost
            program = self.program_around(filename)
        if program is not None:
            result = lint_file(filename, settings, keep_suppressed=self.keep_suppressed,
                               program=program, text=data)  # fmt: skip
        else:
            result = lint_source(data, filename, settings, keep_suppressed=self.keep_suppressed)
        if result.error is not None or result.source is None:
            self.error(filename, result.error or "cannot read standard input")
            return data if fix and not diff else None  # a filter never swallows its input
        original, text = result.source, result.source.text
        fixable = any(is_applicable(d, self.applicabilities) for d in result.diagnostics)
        if (fix or diff) and out_of_time(result):
            self._not_fixed(filename, settings, "analysing it")
        elif (fix or diff) and fixable:
            outcome = fix_text(
                text, filename, settings, self.applicabilities, linted=result, program=program
            )
            if outcome.out_of_time:
                self._not_fixed(filename, settings, "fixing it")
            self._warn(filename, outcome.rejected, outcome.converged, outcome.unbuilt)
            if outcome.text != text:
                if diff:
                    self.diffs.append(unified_diff(text, outcome.text, filename))
                self.fixed[filename] = outcome.fixed
                result, text = outcome.result, outcome.text
        self.results.append(result)
        return original.encode(text) if fix and not diff else None

    def _check_stdin_notebook(
        self, data: bytes, filename: str, settings: Settings, *, fix: bool, diff: bool
    ) -> bytes | None:
        result = lint_notebook(data, filename, settings, keep_suppressed=self.keep_suppressed)
        if result.error is not None:
            self.error(filename, result.error)
            return data if fix and not diff else None
        fixable = any(is_applicable(d, self.applicabilities) for d in result.diagnostics)
        if (fix or diff) and out_of_time(result):
            self._not_fixed(filename, settings, "analysing it")
        if not (fix or diff) or not fixable or out_of_time(result):
            self.results.append(result)
            return data if fix and not diff else None
        notebook = read_notebook(data)
        outcome = fix_notebook(notebook, filename, settings, self.applicabilities)
        if outcome.out_of_time:
            self._not_fixed(filename, settings, "fixing it")
            self.results.append(result)
            return data if fix and not diff else None
        self._warn(filename, outcome.rejected, outcome.converged)
        try:
            after = notebook.dumps() if outcome.changed else notebook.text
        except NotebookError as exc:
            self.warn(f"{display_path(filename)}: not fixed: {exc}")
            self.results.append(result)
            return data if fix and not diff else None
        if outcome.changed:
            self.fixed[filename] = outcome.fixed
            if diff:
                self.diffs.append(unified_diff(notebook.text, after, filename))
        self.results.append(outcome.result)
        return after.encode("utf-8") if fix and not diff else None

    # --- --add-noqa -------------------------------------------------------------------

    def add_noqa(self) -> int:
        """Write `# noqa: CODE` on every finding's noqa row; returns the rows changed."""
        total = 0
        for result in self.results:
            if result.source is None or not result.diagnostics:
                continue
            if result.filename.endswith(NOTEBOOK_SUFFIX):
                self.warn(
                    f"{display_path(result.filename)}: --add-noqa does not edit notebooks; use "
                    "a baseline for them"
                )
                continue
            found = [(d.code, d.location.row) for d in result.diagnostics]
            text, changed = add_noqa(result.source.text, found)
            if not changed:
                continue
            try:
                write_atomically(result.filename, result.source.encode(text))
            except (OSError, UnicodeError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                self.error(result.filename, f"cannot write the file: {reason}")
                continue
            total += changed
        return total
