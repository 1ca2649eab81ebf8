"""The engine every front end calls: source text in, diagnostics out.

One ``ast`` parse per file (or flake8's tree), one facts pass, then each enabled rule's
check over the facts. Nothing here prints; front ends format the results.
"""

from __future__ import annotations

import ast
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pglint import budget
from pglint.budget import OutOfTime
from pglint.diagnostics import Diagnostic, Edit, Fix, Location
from pglint.facts import build_facts, release
from pglint.facts.model import ImportedNames, ModuleFacts
from pglint.files import FileTooLarge, discover, read_source_file
from pglint.newer_syntax import needs_newer_python
from pglint.noqa import UNUSED_NOQA, NoqaMap, removal, unused_codes
from pglint.prefilter import has_database_code, may_declare_routes, mentions
from pglint.program import Program, agrees
from pglint.program.entries import ModuleEntry, tells_the_program
from pglint.program.view import Read
from pglint.project import AnalysisTooDeep, Project, Unit, file_stamp
from pglint.rules import all_rules
from pglint.settings import DEFAULT_SETTINGS, Settings
from pglint.source import (
    DecodeError,
    RefusedEncoding,
    SourceFile,
    SourceText,
    decode_source,
    parse_module,
)

# Allocations between the cyclic collector's youngest passes while pglint lints. Parsing
# allocates millions of objects and the facts leave no cycles behind (they are released
# when the rules are done with a file), so the collector's passes over them are wasted
# work: at Python's default of 700 they took a third of a run.
COLLECTOR_THRESHOLD = 100_000


@dataclass
class LintResult:
    filename: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    source: SourceFile | None = None
    error: str | None = None  # the file could not be read or decoded
    # Findings a `# noqa` comment silenced; filled only with ``keep_suppressed``.
    suppressed: list[Diagnostic] = field(default_factory=list)
    # For the cache: ((mtime_ns, size), digest) of the content linted, and what the
    # project learnt of the import graph while linting it (``Project.new_edges``).
    content: tuple[tuple[int, int], str] | None = None
    edges: list[tuple[str, tuple[int, int] | None, str | None, list[str]]] = field(
        default_factory=list
    )
    analysed: bool = True  # False: the pre-filter found no database code to analyse
    # The path could not be read (ruff's E902): a finding of the run, as --exit-zero sees it.
    io_error: bool = False
    # For the program (pglint.program): the module as the program knows it (its path as
    # a key), what it tells the program, and what its lint read of the program's facts.
    # A file with no entry declares nothing the program needs.
    module_path: str | None = None
    entry: ModuleEntry | None = None
    read: Read | None = None
    from_cache: bool = False  # taken from an earlier run's cache (pglint.cache)


def lint_source(
    source: str | bytes,
    filename: str = "-",
    settings: Settings = DEFAULT_SETTINGS,
    *,
    tree: ast.Module | None = None,
    apply_noqa: bool = True,
    keep_suppressed: bool = False,
    imported: ImportedNames | None = None,
    prefilter: bool = True,
    fixes: bool = True,
    program: Program | None = None,
) -> LintResult:
    """Lint one module's source. ``tree`` lets flake8 hand over the tree it already has;
    ``imported`` is what the project modules it imports provide (see pglint.project),
    ``program`` what the rest of the program says of its functions (pglint.program).

    ``fixes=False`` leaves suggestions and fixes out of the findings, for a front end
    that shows only the messages: the rules then need not build them.

    ``prefilter=False`` analyses the text even when it names no database code.

    ``keep_suppressed`` keeps the findings `# noqa` silenced in ``LintResult.suppressed``
    (for reports, such as SARIF, that show them marked as suppressed).
    """
    with budget.limit(settings.max_file_seconds):
        source_file = None
        try:
            with budget.phase("decoding"):
                if isinstance(source, bytes):
                    try:
                        source_file = decode_source(source)
                    except RefusedEncoding as exc:
                        return _refused(exc, filename)
                    except DecodeError as exc:
                        return LintResult(filename, error=str(exc))
                else:
                    source_file = SourceFile(text=source.removeprefix("\ufeff"))
                budget.check()
            if prefilter and not _may_have_findings(source_file.text, imported):
                return LintResult(filename, [], source_file, analysed=False)
            text = SourceText(source_file.text)
            diagnostics = list(_check(text, filename, settings, tree, imported, fixes, program))
        except OutOfTime as exc:
            diagnostics = [over_time(settings, filename, exc.phase)]
            text = SourceText(source_file.text if source_file is not None else "")
            source_file = source_file or SourceFile(text="")
    return _finish(source_file, text, filename, diagnostics, apply_noqa, keep_suppressed, settings)


def _may_have_findings(text: str, imported: ImportedNames | None) -> bool:
    """The pre-filter for one source text on its own (see pglint.prefilter)."""
    if has_database_code(text):
        return True
    return bool(imported) and mentions(text, {name.rpartition(".")[2] for name in imported})


def _finish(
    source_file: SourceFile,
    text: SourceText,
    filename: str,
    diagnostics: list[Diagnostic],
    apply_noqa: bool = True,
    keep_suppressed: bool = False,
    settings: Settings | None = None,
) -> LintResult:
    suppressed: list[Diagnostic] = []
    if apply_noqa and "noqa" in source_file.text.lower():
        noqa = NoqaMap(text.lines, text.text)
        if settings is not None and settings.is_enabled(UNUSED_NOQA, filename):
            diagnostics += _unused_noqa(text, filename, diagnostics, settings)
        kept = []
        for d in diagnostics:
            silenced = d.code != "PGL000" and noqa.suppressed(d.code, d.location.row)
            (suppressed if silenced else kept).append(d)
        diagnostics = kept
        suppressed.sort(key=lambda d: d.sort_key)
    diagnostics.sort(key=lambda d: d.sort_key)
    return LintResult(
        filename, diagnostics, source_file, suppressed=suppressed if keep_suppressed else []
    )


def _unused_noqa(
    text: SourceText, filename: str, diagnostics: list[Diagnostic], settings: Settings
) -> list[Diagnostic]:
    """PGL003 for each `# noqa` comment whose pglint codes silence nothing. Only after the
    rules have all run on the whole file: not beside PGL000, PGL001 or PGL002."""
    if any(d.code in _OWN_NAMES for d in diagnostics):
        return []
    known = tuple(rule.code for rule in all_rules())
    found = []
    for comment, unused, kept in unused_codes(
        text.text, text.lines, diagnostics, known, lambda code: settings.is_enabled(code, filename)
    ):
        line = text.lines[comment.row - 1]
        start, end, content = removal(line, comment, kept)
        shown = ", ".join(f"`{code}`" for code in unused[:3])
        more = f" and {len(unused) - 3} more" if len(unused) > 3 else ""
        it = "it" if len(unused) == 1 else "them"
        edit = Edit(Location(comment.row, start + 1), Location(comment.row, end + 1), content)
        found.append(
            Diagnostic(
                UNUSED_NOQA,
                f"Unused `# noqa` code{'s' if len(unused) > 1 else ''} {shown}{more}: nothing "
                f"here to silence; remove {it}",
                filename,
                Location(comment.row, comment.start + 1),
                Location(comment.row, comment.end + 1),
                fix=Fix("safe", f"Remove the unused code{'s' if len(unused) > 1 else ''}", (edit,)),
                name="unused-noqa",
            )
        )
    return found


def _check(
    text: SourceText,
    filename: str,
    settings: Settings,
    tree: ast.Module | None,
    imported: ImportedNames | None = None,
    fixes: bool = True,
    program: Program | None = None,
) -> Iterator[Diagnostic]:
    if tree is None:
        try:
            with budget.phase("parsing"):
                tree = parse_module(text.text, filename)
                budget.check()
        except SyntaxError as exc:
            yield _syntax_error(exc, filename, text)
            return
        except (ValueError, RecursionError, MemoryError) as exc:
            yield _own(
                "PGL001", f"cannot parse this file: {_describe(exc)}", filename, Location(1, 1)
            )
            return
    try:
        with budget.phase("building its facts"):
            facts = build_facts(tree, text, filename, imported, program)
            budget.check()
    except RecursionError:
        yield _own("PGL000", "analysis gave up: the code is nested too deeply", filename)
        return
    except OutOfTime:
        raise
    except Exception as exc:  # a bug in pglint must never end the run
        yield _internal_error(exc, filename)
        return
    facts.wants_fixes = fixes
    yield from _run_rules(facts, filename, settings)
    release(facts)  # nothing reads them now: freed at once, not by the cyclic collector


def _run_rules(facts: ModuleFacts, filename: str, settings: Settings) -> Iterator[Diagnostic]:
    """Each enabled rule over the facts. A rule that fails costs its own findings on this
    file, not the other rules'; the budget running out stops the rules not yet run."""
    fixes = facts.wants_fixes
    in_tests = facts.roles is not None and "test" in facts.roles.module_roles
    check = budget.check
    for rule in all_rules():
        if not settings.is_enabled(rule.code, filename):
            continue
        if in_tests and not rule.checks_test_modules:
            continue
        try:
            check()
            found = []
            for finding in rule.check(facts):
                check()  # a rule may find thousands
                found.append(
                    Diagnostic(
                        code=rule.code,
                        message=finding.message,
                        filename=filename,
                        location=finding.location,
                        end_location=finding.end_location,
                        suggestion=finding.suggestion if fixes else None,
                        fix=finding.fix if fixes else None,
                        name=rule.name,
                        related=finding.related,
                    )
                )
            check()  # the time a rule spent is its own, not the next rule's
        except OutOfTime:
            yield over_time(settings, filename, f"running {rule.code}", rules=True)
            return
        except RecursionError:
            yield _own(
                "PGL000",
                f"{rule.code} ({rule.name}) gave up on this file: the code is nested too "
                "deeply; the other rules' findings are reported",
                filename,
            )
            continue
        except Exception as exc:  # a bug in one rule must cost that rule only
            yield _internal_error(exc, filename, rule.code, rule.name)
            continue
        yield from found


def _internal_error(
    exc: Exception, filename: str, code: str | None = None, name: str = ""
) -> Diagnostic:
    where = traceback.extract_tb(exc.__traceback__)[-1]
    rule = f" in {code} ({name})" if code else ""
    rest = "; the other rules' findings are reported" if code else ""
    return _own(
        "PGL000",
        f"internal error{rule} while analysing this file: {_describe(exc)} "
        f"(at {Path(where.filename).name}:{where.lineno}); please report it{rest}",
        filename,
    )


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _own(code: str, message: str, filename: str, location: Location | None = None) -> Diagnostic:
    location = location or Location(1, 1)
    return Diagnostic(code, message, filename, location, location, name=_OWN_NAMES.get(code, ""))


def over_time(settings: Settings, filename: str, phase: str, *, rules: bool = False) -> Diagnostic:
    kept = "; the findings of the rules before it are reported" if rules else ""
    return _own(
        "PGL002",
        f"file skipped while {phase}: analysing it took longer than the "
        f"{settings.max_file_seconds:g} s budget (`max-file-seconds`){kept}",
        filename,
    )


def too_large(settings: Settings, filename: str, size: int) -> Diagnostic:
    return _own(
        "PGL002",
        f"file skipped: {size:,} bytes is more than the {settings.max_file_size:,}-byte "
        "budget (`max-file-size`)",
        filename,
    )


_OWN_NAMES = {"PGL000": "internal-error", "PGL001": "syntax-error", "PGL002": "file-skipped"}


def _syntax_error(exc: SyntaxError, filename: str, text: SourceText) -> Diagnostic:
    row = exc.lineno or 1
    column = max(exc.offset or 1, 1)
    hint = needs_newer_python(exc.msg, exc.text or text.line(row))
    if hint:
        # Not broken: written for a newer Python than the one running pglint, which
        # cannot read it. Said as a file not checked, with what to run instead.
        return _own("PGL002", f"file not checked: {hint}", filename, Location(row, column))
    message = f"cannot parse this file: SyntaxError: {exc.msg}"
    return _own("PGL001", message, filename, Location(row, column))


def lint_file(
    path: str,
    settings: Settings = DEFAULT_SETTINGS,
    project: Project | None = None,
    *,
    keep_suppressed: bool = False,
    text: bytes | None = None,
    program: Program | None = None,
    tree: ast.Module | None = None,
    apply_noqa: bool = True,
    fixes: bool = True,
) -> LintResult:
    """Lint one file with what the project modules it imports provide, and what the
    program says of its functions (``program``; without it, what its own module says).

    ``project`` holds what a run has read and summarized; by default, one shared by the
    whole process (summaries are keyed by file content, so they never go stale).
    ``text`` is the file's content when it is not what the disk holds (an editor's
    unsaved document, standard input), ``tree`` its parse when the front end has one
    (flake8).
    """
    project = project if project is not None else PROCESS_PROJECT
    given = _Given(program, text, tree, apply_noqa, fixes)
    with budget.limit(settings.max_file_seconds):
        result, unit = _lint_file(path, settings, project, keep_suppressed, given)
    if unit is not None:
        with budget.unlimited():  # what the file held is let go, however late
            project.release(unit)
        # A result that depends on the machine (over time, an internal error) is not kept.
        if not any(d.code in ("PGL000", "PGL002") for d in result.diagnostics):
            _provenance(result, unit, project)
    return result


@dataclass(frozen=True)
class _Given:
    """What a front end hands `lint_file` besides the path."""

    program: Program | None = None
    text: bytes | None = None
    tree: ast.Module | None = None
    apply_noqa: bool = True
    fixes: bool = True


def _lint_file(
    path: str, settings: Settings, project: Project, keep_suppressed: bool, given: _Given
) -> tuple[LintResult, Unit | None]:
    """The result, and the unit the project must release once it is made."""
    stamp = file_stamp(path)  # before the read: an edit after it must look like a change
    content = given.text
    try:
        if content is None:
            data = read_source_file(path, settings.max_file_size)
        elif settings.max_file_size and len(content) > settings.max_file_size:
            raise FileTooLarge(len(content))
        else:
            data = content
            stamp = (0, -1)  # not the file on disk: never taken for it
    except FileTooLarge as exc:
        return LintResult(path, [too_large(settings, path, exc.size)], SourceFile(text="")), None
    except OSError as exc:
        return LintResult(path, error=exc.strerror or str(exc), io_error=True), None
    unit = source_file = facts = None
    try:
        with budget.phase("decoding"):
            unit = project.unit(path, data, stamp)
            budget.check()
        if unit is None or unit.source is None:
            try:
                decode_source(data)  # again, for the kind of error: rare enough
            except RefusedEncoding as exc:
                return _refused(exc, path), None
            except DecodeError:
                pass
            return LintResult(path, error=unit.decode_error if unit else "cannot be read"), None
        if given.tree is not None:
            unit.tree = given.tree
        # Kept here: summarizing the modules it imports may come back to this one (an
        # import cycle) and drop its text.
        source_file = unit.source
        with budget.phase("resolving imports"):
            relevant = project.relevant(unit)
        if not relevant:
            skipped = LintResult(path, [], source_file, analysed=False)
            if may_declare_routes(source_file.text, path):
                # No finding can start here, but a request may: the program needs to
                # know which functions it calls.
                with budget.phase("indexing its functions"):
                    entry = project.index_entry(unit.path)
                if entry is not None and tells_the_program(entry):
                    skipped.entry = entry
                skipped.module_path = unit.path
            return skipped, unit
        # The phases (resolving imports, parsing, building its facts) are named inside.
        facts = project.facts_for(unit, given.program)
        text = facts.source if facts is not None else SourceText(source_file.text)
        if facts is None:
            diagnostics = list(_unparsed(unit.parse_error, text, path))
        else:
            facts.filename = path
            facts.wants_fixes = given.fixes
            diagnostics = list(_run_rules(facts, path, settings))
    except OutOfTime as exc:
        text = SourceText(source_file.text if source_file is not None else "")
        diagnostics = [over_time(settings, path, exc.phase)]
    except RecursionError:
        return lint_source(data, path, settings, keep_suppressed=keep_suppressed), None
    except Exception as exc:  # a bug in the project pass: lint the file on its own
        result = lint_source(data, path, settings, keep_suppressed=keep_suppressed)
        result.diagnostics.append(_internal_error(exc, path))
        return result, None
    source_file = source_file or SourceFile(text="")
    result = _finish(
        source_file, text, path, diagnostics, given.apply_noqa, keep_suppressed, settings=settings
    )
    if facts is not None and facts.reverse is not None:
        result.module_path, result.entry, result.read = unit.path, facts.entry, facts.reverse.read
    return result, unit


def _refused(exc: RefusedEncoding, filename: str) -> LintResult:
    """An encoding the interpreter refuses is a finding of the file, as a syntax error is."""
    diagnostic = _own("PGL001", f"cannot parse this file: {exc}", filename, Location(1, 1))
    return LintResult(filename, [diagnostic], SourceFile(text=""))


def _provenance(result: LintResult, unit: Unit, project: Project) -> None:
    """What the result was made from, for the cache (pglint.cache)."""
    result.content = (unit.stamp, unit.digest)
    result.edges = project.new_edges()


def _unparsed(error: BaseException | None, text: SourceText, path: str) -> Iterator[Diagnostic]:
    if isinstance(error, SyntaxError):
        yield _syntax_error(error, path, text)
    elif isinstance(error, AnalysisTooDeep):
        yield _own("PGL000", "analysis gave up: the code is nested too deeply", path)
    else:
        detail = _describe(error) if error is not None else "unknown error"
        yield _own("PGL001", f"cannot parse this file: {detail}", path, Location(1, 1))


def lint_paths(
    paths: Iterable[str], settings: Settings = DEFAULT_SETTINGS, project: Project | None = None
) -> list[LintResult]:
    """Lint files and directories as one program (pglint.program): each file is read and
    parsed once, and linted again only when the whole program says otherwise of its
    functions than its own module did."""
    project = project if project is not None else Project()
    results = [lint_file(path, settings, project) for path in discover(paths, settings)]
    entries = {r.module_path: r.entry for r in results if r.module_path and r.entry}
    program = project.program(entries)
    for i, result in enumerate(results):
        path, read = result.module_path, result.read
        if path is not None and read is not None and not agrees(read, program, path):
            results[i] = lint_file(result.filename, settings, project, program=program)
    return results


# The project state `lint_file` uses when no run hands one over (the CLI lints file by
# file); keyed by file content, so a changed file is simply read again.
PROCESS_PROJECT = Project()


def start_run(*, writes: bool = True) -> None:
    """Give the next run of this process a fresh project: a project hands each import
    edge it learns out once, so one that read the files in an earlier run would leave
    them out of this run's cache. A run that ``writes`` no file (no `--fix`) reads each
    file once."""
    global PROCESS_PROJECT
    PROCESS_PROJECT = Project(snapshot=not writes)


def imported_for(filename: str) -> ImportedNames:
    """What the project modules a file imports provided when `lint_file` linted it; empty
    for a file not linted that way (standard input, a single source text)."""
    return PROCESS_PROJECT.imported_for(filename)
