"""The `pglint` command.

Exit codes: 0 nothing found (or everything fixed), 1 findings remain, 2 a usage,
configuration or internal error, or a file that could not be read or written.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from pglint import __version__
from pglint.config import CODE_HELP, ConfigError, build_settings, find_config, load_config
from pglint.diagnostics import Diagnostic
from pglint.docs import render_rule
from pglint.engine import LintResult, lint_file, lint_source
from pglint.files import discover
from pglint.fixes import (
    MAX_ROUNDS,
    SAFE,
    SAFE_AND_UNSAFE,
    FixOutcome,
    fix_text,
    is_applicable,
    unified_diff,
    write_atomically,
)
from pglint.output import (
    FORMATS,
    display_path,
    fixed_listing,
    format_concise,
    format_full,
    format_json,
    format_statistics,
    statistics,
    summary,
)
from pglint.rules import all_rules, get_rule
from pglint.settings import SELECTOR_PATTERN, Selection, Settings

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class _Pglint(click.Group):
    """Maps every way a run can end onto the three documented exit codes.

    click exits 1 for its own ClickException and lets other exceptions escape with a
    traceback; here both become a one-line message and exit code 2.
    """

    def main(self, args: Sequence[str] | None = None, *pos: Any, **kwargs: Any) -> Any:
        standalone = kwargs.pop("standalone_mode", True)
        try:
            code = super().main(args, *pos, standalone_mode=False, **kwargs)
        except click.ClickException as exc:
            exc.show()
            code = EXIT_ERROR
        except click.Abort:
            click.echo("pglint: error: aborted", err=True)
            code = EXIT_ERROR
        except BrokenPipeError:
            # The reader went away (`pglint check | head`); say nothing more.
            _silence_stdout()
            code = EXIT_FINDINGS
        except Exception as exc:
            if os.environ.get("PGLINT_TRACEBACK"):
                traceback.print_exc()
            where = traceback.extract_tb(exc.__traceback__)[-1]
            click.echo(
                f"pglint: error: internal error: {type(exc).__name__}: {exc} "
                f"(at {Path(where.filename).name}:{where.lineno}); please report it "
                "(set PGLINT_TRACEBACK=1 for the traceback)",
                err=True,
            )
            code = EXIT_ERROR
        code = code if isinstance(code, int) else EXIT_CLEAN
        if standalone:
            sys.exit(code)
        return code


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


@click.group(cls=_Pglint, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="pglint")
def cli() -> None:
    """Find the PostgreSQL mistakes in Python code, explain them, fix the safe ones."""


def _selectors(values: tuple[str, ...], option: str) -> tuple[str, ...]:
    codes = tuple(c.strip() for value in values for c in value.split(",") if c.strip())
    bad = [c for c in codes if not SELECTOR_PATTERN.match(c)]
    if bad:
        raise click.BadParameter(f"invalid rule code {bad[0]!r}; {CODE_HELP}", param_hint=option)
    return codes


@dataclass
class _Run:
    """What a `check` run has found so far, over all its files."""

    settings: Settings
    applicabilities: frozenset[str]
    results: list[LintResult] = field(default_factory=list)
    fixed: dict[str, list[Diagnostic]] = field(default_factory=dict)
    diffs: list[str] = field(default_factory=list)
    errors: int = 0

    def error(self, filename: str, reason: str) -> None:
        self.errors += 1
        click.echo(f"pglint: error: {display_path(filename)}: {reason}", err=True)

    def remaining(self) -> list[Diagnostic]:
        return [d for r in self.results for d in r.diagnostics]

    def fix(self, result: LintResult) -> FixOutcome | None:
        """Fix one file's text (in memory); None when it has nothing to fix."""
        if result.source is None or not any(
            is_applicable(d, self.applicabilities) for d in result.diagnostics
        ):
            return None
        outcome = fix_text(result.source.text, result.filename, self.settings, self.applicabilities)
        path = display_path(result.filename)
        for d in outcome.rejected:
            click.echo(
                f"pglint: warning: {path}:{d.location.row}:{d.location.column}: {d.code} fix "
                "not applied: the result would not parse (please report it)",
                err=True,
            )
        if not outcome.converged:
            click.echo(
                f"pglint: warning: {path}: fixes did not converge after {MAX_ROUNDS} rounds",
                err=True,
            )
        return outcome


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--select",
    multiple=True,
    metavar="CODES",
    help="Rule codes or prefixes to enable (comma-separated); replaces the config's.",
)
@click.option(
    "--ignore",
    multiple=True,
    metavar="CODES",
    help="Rule codes or prefixes to disable (comma-separated).",
)
@click.option(
    "--extend-select",
    multiple=True,
    metavar="CODES",
    help="Rule codes or prefixes to enable in addition to those selected.",
)
@click.option("--fix", is_flag=True, help="Apply the safe fixes and write the files.")
@click.option(
    "--unsafe-fixes",
    is_flag=True,
    help="Also apply (with --fix) or count fixes that may change behaviour.",
)
@click.option(
    "--diff",
    is_flag=True,
    help="Print the changes --fix would make as a unified diff; write nothing.",
)
@click.option("--show-fixes", is_flag=True, help="After --fix, list what was fixed.")
@click.option("--output-format", type=click.Choice(FORMATS), default="full", show_default=True)
@click.option("--statistics", is_flag=True, help="Print a count per rule instead of findings.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings remain.")
@click.option(
    "--stdin-filename",
    metavar="PATH",
    help="The name of the file read from standard input (for config and output).",
)
@click.option(
    "--force-exclude",
    is_flag=True,
    help="Apply the excludes to paths named on the command line too (pre-commit).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False),
    help="A pyproject.toml (its [tool.pglint]) or a TOML file with the same keys.",
)
@click.option("--isolated", "--no-config", is_flag=True, help="Ignore every configuration file.")
def check(
    paths: tuple[str, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    extend_select: tuple[str, ...],
    fix: bool,
    unsafe_fixes: bool,
    diff: bool,
    show_fixes: bool,
    output_format: str,
    statistics: bool,
    exit_zero: bool,
    stdin_filename: str | None,
    force_exclude: bool,
    config_file: str | None,
    isolated: bool,
) -> int:
    """Lint PATHS (files or directories; default: the current directory; `-`: stdin)."""
    flags = Selection(
        _selectors(select, "--select") or None,
        _selectors(ignore, "--ignore"),
        _selectors(extend_select, "--extend-select"),
    )
    try:
        config = None
        if config_file:
            config = load_config(Path(config_file))
        elif not isolated:
            found = find_config(Path.cwd())
            config = load_config(found) if found else None
    except ConfigError as exc:
        click.echo(f"pglint: error: {exc}", err=True)
        return EXIT_ERROR
    settings = build_settings(config, flags)
    _warn_unmatched(settings)
    if "-" in paths and len(paths) > 1:
        raise click.UsageError("`-` (standard input) cannot be combined with other paths")
    run = _Run(settings, SAFE_AND_UNSAFE if unsafe_fixes else SAFE)
    if paths == ("-",) or (not paths and stdin_filename):
        return _check_stdin(
            run, stdin_filename, fix, diff, force_exclude, output_format, statistics, exit_zero
        )
    for path in discover(paths or (".",), settings, force_exclude=force_exclude):
        _check_file(run, path, fix=fix and not diff, diff=diff)
    if not run.results and not run.errors:
        click.echo("pglint: warning: no Python files found under the given paths", err=True)
    if diff:
        return _finish_diff(run)
    _report(run, output_format, statistics, fixing=fix, show_fixes=show_fixes, err=False)
    return _exit_code(run, exit_zero)


def _check_file(run: _Run, path: str, *, fix: bool, diff: bool) -> None:
    result = lint_file(path, run.settings)
    if result.error is not None:
        run.error(path, result.error)
        return
    outcome = run.fix(result) if fix or diff else None
    if outcome is None or outcome.text == result.source.text:  # type: ignore[union-attr]
        run.results.append(result)
        return
    if diff:
        run.diffs.append(unified_diff(result.source.text, outcome.text, path))  # type: ignore[union-attr]
        run.fixed[path] = outcome.fixed
        run.results.append(outcome.result)
        return
    try:
        data = result.source.encode(outcome.text)  # type: ignore[union-attr]
        write_atomically(path, data)
    except (OSError, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        run.error(path, f"cannot write the fixed file: {reason}")
        run.results.append(result)
        return
    run.fixed[path] = outcome.fixed
    run.results.append(outcome.result)


def _check_stdin(
    run: _Run,
    stdin_filename: str | None,
    fix: bool,
    diff: bool,
    force_exclude: bool,
    output_format: str,
    stats: bool,
    exit_zero: bool,
) -> int:
    data = sys.stdin.buffer.read()
    filename = stdin_filename or "-"
    stdout = sys.stdout.buffer
    if force_exclude and stdin_filename and run.settings.is_excluded(filename, ancestors=True):
        if fix and not diff:
            stdout.write(data)
        return EXIT_CLEAN
    result = lint_source(data, filename, run.settings)
    if result.error is not None or result.source is None:
        run.error(filename, result.error or "cannot read standard input")
        if fix and not diff:
            stdout.write(data)  # a filter must never swallow its input
        return EXIT_ERROR
    outcome = run.fix(result) if fix or diff else None
    if diff:
        if outcome is not None and outcome.text != result.source.text:
            run.diffs.append(unified_diff(result.source.text, outcome.text, filename))
            run.fixed[filename] = outcome.fixed
        return _finish_diff(run)
    run.results.append(outcome.result if outcome is not None else result)
    if fix:
        # Like ruff: the fixed source goes to stdout, the report to stderr.
        text = outcome.text if outcome is not None else result.source.text
        stdout.write(result.source.encode(text))
        stdout.flush()
        if outcome is not None:
            run.fixed[filename] = outcome.fixed
    _report(run, output_format, stats, fixing=fix, show_fixes=False, err=fix)
    return _exit_code(run, exit_zero)


def _finish_diff(run: _Run) -> int:
    for text in run.diffs:
        click.echo(text, nl=False)
    count = sum(len(v) for v in run.fixed.values())
    if count:
        click.echo(f"Would fix {count} error{'s' if count != 1 else ''}.", err=True)
    else:
        click.echo("No errors would be fixed.", err=True)
    if run.errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if run.diffs else EXIT_CLEAN


def _report(
    run: _Run, output_format: str, stats: bool, *, fixing: bool, show_fixes: bool, err: bool
) -> None:
    color = False if os.environ.get("NO_COLOR") else None

    def echo(text: str) -> None:
        click.echo(text, err=err, color=color)

    remaining = run.remaining()
    if stats:
        rows = statistics(remaining, run.applicabilities)
        text = format_statistics(rows, output_format == "json")
        if text:
            echo(text)
        return
    if output_format == "json":
        echo(format_json(run.results))
        return
    formatter = format_full if output_format == "full" else format_concise
    for line in formatter(run.results, run.applicabilities):
        echo(line)
    if output_format == "concise" and remaining:
        echo("")
    if show_fixes and fixing:
        for line in fixed_listing(run.fixed):
            echo(line)
    fixed = sum(len(v) for v in run.fixed.values())
    if remaining or fixed or not run.errors:
        for line in summary(
            remaining,
            run.applicabilities,
            fixed=fixed if fixing else None,
            unsafe_enabled=run.applicabilities != SAFE,
        ):
            echo(line)


def _exit_code(run: _Run, exit_zero: bool) -> int:
    if run.errors:
        return EXIT_ERROR
    if exit_zero or not run.remaining():
        return EXIT_CLEAN
    return EXIT_FINDINGS


def _warn_unmatched(settings: Settings) -> None:
    """A well-formed code that selects no rule is most likely a typo: say so."""
    codes = [rule.code for rule in all_rules()]
    selectors = [s for layer in settings.layers for s in (*(layer.select or ()), *layer.ignore,
                 *layer.extend_select)]  # fmt: skip
    selectors += [c for _, group in settings.per_file_ignores for c in group]
    for selector in dict.fromkeys(selectors):
        if selector != "ALL" and not any(code.startswith(selector) for code in codes):
            click.echo(f"pglint: warning: {selector} matches no rule", err=True)


@cli.command()
@click.argument("code", required=False)
@click.option("--all", "show_all", is_flag=True, help="Print every rule's documentation.")
def rule(code: str | None, show_all: bool) -> int:
    """Print the documentation of the rule CODE (for example PGL101)."""
    if show_all:
        click.echo("\n".join(render_rule(r) for r in all_rules()), nl=False)
        return EXIT_CLEAN
    if not code:
        raise click.UsageError("give a rule code, for example `pglint rule PGL101`, or --all")
    found = get_rule(code)
    if found is None:
        known = ", ".join(r.code for r in all_rules())
        click.echo(f"pglint: error: unknown rule code {code!r}; known codes: {known}", err=True)
        return EXIT_ERROR
    click.echo(render_rule(found), nl=False)
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> None:
    cli.main(args=list(argv) if argv is not None else None, prog_name="pglint")
