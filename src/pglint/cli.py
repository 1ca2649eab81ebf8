"""The `pglint` command.

Exit codes: 0 nothing found (or everything fixed), 1 findings remain, 2 a usage,
configuration or internal error, or a file that could not be read or written.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from pglint import __version__, baseline
from pglint.cache import CACHE_DIRECTORY, Cache
from pglint.checking import Run
from pglint.config import (
    ConfigError,
    Overrides,
    SettingsResolver,
    find_config,
    load_config,
    selector_problem,
)
from pglint.docs import render_rule
from pglint.files import discover
from pglint.fixes import SAFE, SAFE_AND_UNSAFE
from pglint.output import FORMATS, display_path
from pglint.program.tree import program_files
from pglint.reporting import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, exit_code, finish_diff, report
from pglint.rules import all_rules, get_rule
from pglint.settings import Selection


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
        except OSError as exc:
            # A full disk, a closed terminal: the system's error, not pglint's bug.
            where = f" ({exc.filename})" if exc.filename else ""
            click.echo(f"pglint: error: I/O error{where}: {exc.strerror or exc}", err=True)
            code = EXIT_ERROR
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
    problem = selector_problem(codes)
    if problem:
        raise click.BadParameter(problem.removeprefix("an "), param_hint=option)
    return codes


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
@click.option(
    "--per-file-ignores",
    multiple=True,
    metavar="GLOB:CODES",
    help="Disable rules for files matching GLOB, e.g. 'tests/*:PGL101,PGL601' (repeatable; "
    "added to the configuration's).",
)
@click.option(
    "--exclude",
    multiple=True,
    metavar="GLOBS",
    help="Files and directories to skip (comma-separated); replaces the configuration's "
    "and the defaults.",
)
@click.option(
    "--extend-exclude",
    multiple=True,
    metavar="GLOBS",
    help="Files and directories to skip, in addition to the excluded ones.",
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
@click.option(
    "-o",
    "--output-file",
    type=click.Path(dir_okay=False),
    help="Write the report to this file instead of standard output.",
)
@click.option("--statistics", is_flag=True, help="Print a count per rule instead of findings.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings remain.")
@click.option(
    "--exit-non-zero-on-fix",
    is_flag=True,
    help="Exit 1 when --fix changed something, even if nothing remains.",
)
@click.option(
    "--add-noqa",
    is_flag=True,
    help="Add `# noqa: CODE` comments for every current finding (adopting pglint).",
)
@click.option(
    "--baseline",
    "baseline_file",
    type=click.Path(dir_okay=False),
    help="Report only findings not recorded in this baseline file.",
)
@click.option(
    "--write-baseline",
    "write_baseline_file",
    type=click.Path(dir_okay=False),
    help="Record every current finding in this baseline file, and exit 0.",
)
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
    "--respect-gitignore/--no-respect-gitignore",
    default=None,
    help="Skip files .gitignore ignores when walking directories (default: on).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False),
    help="A pyproject.toml (its [tool.pglint]) or a TOML file with the same keys.",
)
@click.option("--isolated", "--no-config", is_flag=True, help="Ignore every configuration file.")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Processes for a run over many files; 0: one per core.",
)
@click.option(
    "--no-cache",
    is_flag=True,
    envvar="PGLINT_NO_CACHE",
    help="Lint every file afresh, and do not write the cache.",
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Say on stderr how many files were analysed, skipped or taken from the cache.",
)
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="Print the findings and errors only: no summary, no warnings.",
)
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the text report (auto: on a terminal, unless NO_COLOR is set).",
)
@click.option(
    "--show-settings",
    is_flag=True,
    help="Print the settings the first path is checked with, and exit.",
)
@click.option(
    "--show-files",
    is_flag=True,
    help="Print the files that would be checked, and exit.",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    envvar="PGLINT_CACHE_DIR",
    default=CACHE_DIRECTORY,
    show_default=True,
    help="Where results are kept for the next run (relative to the working directory).",
)
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
    output_file: str | None,
    statistics: bool,
    exit_zero: bool,
    exit_non_zero_on_fix: bool,
    add_noqa: bool,
    baseline_file: str | None,
    write_baseline_file: str | None,
    stdin_filename: str | None,
    force_exclude: bool,
    respect_gitignore: bool | None,
    config_file: str | None,
    isolated: bool,
    jobs: int,
    no_cache: bool,
    cache_dir: str,
    verbose: bool,
    quiet: bool,
    color: str,
    show_settings: bool,
    show_files: bool,
    per_file_ignores: tuple[str, ...],
    exclude: tuple[str, ...],
    extend_exclude: tuple[str, ...],
) -> int:
    """Lint PATHS (files or directories; default: the current directory; `-`: stdin)."""
    flags = Selection(
        _selectors(select, "--select") or None,
        _selectors(ignore, "--ignore"),
        _selectors(extend_select, "--extend-select"),
    )
    overrides = Overrides(
        exclude=_patterns(exclude) or None,
        extend_exclude=_patterns(extend_exclude),
        per_file_ignores=_per_file_ignores(per_file_ignores),
    )
    started = time.monotonic()
    reading_stdin = paths == ("-",) or (not paths and stdin_filename is not None)
    _check_combinations(paths, reading_stdin, fix, diff, add_noqa, baseline_file,
                        write_baseline_file)  # fmt: skip
    try:
        config = None
        if config_file:
            config = load_config(Path(config_file))
        elif not isolated:
            found = find_config(Path.cwd())
            config = load_config(found) if found else None
        loaded_baseline = baseline.load(Path(baseline_file)) if baseline_file else None
    except (ConfigError, baseline.BaselineError) as exc:
        click.echo(f"pglint: error: {exc}", err=True)
        if reading_stdin and fix and not diff:  # a filter never swallows its input
            sys.stdout.buffer.write(sys.stdin.buffer.read())
        return EXIT_ERROR
    resolver = SettingsResolver(
        config, flags, hierarchical=not (config_file or isolated), overrides=overrides
    )
    settings = resolver.base
    if respect_gitignore is None:
        respect_gitignore = config.respect_gitignore if config is not None else True
    run = Run(
        settings,
        SAFE_AND_UNSAFE if unsafe_fixes else SAFE,
        resolve=resolver.for_file,
        keep_suppressed=output_format == "sarif",
        quiet=quiet,
    )
    if show_settings:
        return _show_settings(resolver, paths, stdin_filename, respect_gitignore, run)
    run.cache_dir = None if no_cache else cache_dir
    run.jobs = jobs or os.cpu_count() or 1
    fixing = fix and not diff
    stdout_is_report = True
    if reading_stdin:
        data = sys.stdin.buffer.read()
        name = stdin_filename or "-"
        try:
            own = resolver.for_file(name)
        except ConfigError as exc:
            click.echo(f"pglint: error: {exc}", err=True)
            if fixing:  # a filter never swallows its input
                sys.stdout.buffer.write(data)
            return EXIT_ERROR
        if force_exclude and stdin_filename and own.is_excluded(name, ancestors=True):
            if fixing:
                sys.stdout.buffer.write(data)
            return EXIT_CLEAN
        filtered = run.check_stdin(data, name, fix=fix, diff=diff)
        if filtered is not None:
            # Like ruff: the fixed source goes to stdout, the report to stderr.
            sys.stdout.buffer.write(filtered)
            sys.stdout.buffer.flush()
            stdout_is_report = False
    else:
        found = [
            path
            for path in discover(
                paths or (".",), settings, force_exclude=force_exclude,
                respect_gitignore=respect_gitignore, notebooks=True,
            )
            if not _excluded_by_own_config(resolver, path, paths, force_exclude)
        ]  # fmt: skip
        if show_files:
            for path in sorted(found):
                click.echo(display_path(path))
            return EXIT_CLEAN
        # The rest of the projects the files belong to: what their other files tell the
        # program (a router reaching a helper of `db.py`) is read, not reported.
        rest = program_files(found, settings, respect_gitignore=respect_gitignore,
                             force_exclude=force_exclude, walked=paths or (".",))  # fmt: skip
        if rest:
            run.shown = set(found)
        if not no_cache:
            run.cache = Cache.open(cache_dir, found + rest)
        run.check_files(found + rest, fix=fixing, diff=diff, jobs=jobs or os.cpu_count() or 1)
        problem = run.cache.save() if run.cache is not None else None
        if problem is not None:
            run.warn(f"cannot write the cache in {cache_dir}: {problem}")
        if verbose:
            click.echo(run.summary(time.monotonic() - started), err=True)
        if not run.checked and not run.errors:
            run.warn("no Python files found under the given paths")
    colour = {"always": True, "never": False}.get(color)
    if colour is None and os.environ.get("NO_COLOR"):
        colour = False
    if diff:
        return finish_diff(run, color=colour)
    if add_noqa:
        added = run.add_noqa()
        if not quiet:
            click.echo(f"Added {added} noqa directive{'s' if added != 1 else ''}.", err=True)
        return EXIT_ERROR if run.errors else EXIT_CLEAN
    if write_baseline_file:
        return _write_baseline(run, Path(write_baseline_file))
    if loaded_baseline is not None:
        run.baselined, stale = baseline.apply(loaded_baseline, run.results)
        _say_baselined(run, stale)
    report(run, output_format, stats=statistics, fixing=fix, show_fixes=show_fixes,
           err=not stdout_is_report, output_file=output_file, color=colour)  # fmt: skip
    return exit_code(run, exit_zero=exit_zero, exit_non_zero_on_fix=exit_non_zero_on_fix)


def _patterns(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(p.strip() for value in values for p in value.split(",") if p.strip())


def _per_file_ignores(values: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """`GLOB:CODES` pairs, as flake8 writes them (codes split by commas or spaces)."""
    pairs = []
    for value in values:
        glob, colon, codes = value.rpartition(":")
        found = tuple(c for c in codes.replace(",", " ").split() if c)
        if not colon or not glob.strip() or not found:
            raise click.BadParameter(
                f"{value!r} is not GLOB:CODES (for example 'tests/*:PGL101,PGL601')",
                param_hint="--per-file-ignores",
            )
        problem = selector_problem(found)
        if problem:
            raise click.BadParameter(problem.removeprefix("an "), param_hint="--per-file-ignores")
        pairs.append((glob.strip(), found))
    return tuple(pairs)


def _show_settings(
    resolver: SettingsResolver,
    paths: tuple[str, ...],
    stdin_filename: str | None,
    respect_gitignore: bool,
    run: Run,
) -> int:
    """What `--show-settings` prints: the settings the first path is checked with."""
    target = stdin_filename or (paths[0] if paths and paths[0] != "-" else ".")
    probe = os.path.join(target, "__init__.py") if os.path.isdir(target) else target
    try:
        settings = resolver.for_file(probe)
    except ConfigError as exc:
        click.echo(f"pglint: error: {exc}", err=True)
        return EXIT_ERROR
    codes = [rule.code for rule in all_rules()]
    enabled = [code for code in codes if settings.is_enabled(code)]
    here = [code for code in enabled if not settings.is_enabled(code, probe)]
    lines = [
        f"Settings for: {display_path(target)}",
        f"Configuration file: {settings.config_file or 'none (the defaults)'}",
        f"Globs are relative to: {settings.root}",
        f"Rules enabled: {', '.join(enabled) or 'none'}",
        f"Rules disabled: {', '.join(c for c in codes if c not in enabled) or 'none'}",
        "per-file-ignores: "
        + ("; ".join(f"{glob}: {', '.join(c)}" for glob, c in settings.per_file_ignores) or "none"),
    ]
    if here:
        lines.append(f"  of which apply to {display_path(target)}: {', '.join(here)}")
    lines += [
        f"exclude: {', '.join(settings.exclude) or 'none'}",
        f"extend-exclude: {', '.join(settings.extend_exclude) or 'none'}",
        f"respect-gitignore: {str(respect_gitignore).lower()}",
        f"max-file-size: {settings.max_file_size or 0} bytes (0: no limit)",
        f"max-file-seconds: {settings.max_file_seconds or 0:g} (0: no limit)",
        "fixes: " + ("safe and unsafe" if run.applicabilities != SAFE else "safe"),
    ]
    click.echo("\n".join(lines))
    return EXIT_CLEAN


def _excluded_by_own_config(
    resolver: SettingsResolver, path: str, named: tuple[str, ...], force_exclude: bool
) -> bool:
    """Whether a sub-project's own `exclude` drops a file the walk found. (The walk
    applied the base excludes; a file named on the command line is kept, as ever, unless
    ``force_exclude``.)"""
    try:
        own = resolver.for_file(path)
    except ConfigError:
        return False  # reported when the file is checked
    if own is resolver.base:
        return False
    if not force_exclude and os.path.normpath(path) in {os.path.normpath(p) for p in named}:
        return False
    return own.is_excluded(path, ancestors=True)


def _check_combinations(
    paths: tuple[str, ...],
    reading_stdin: bool,
    fix: bool,
    diff: bool,
    add_noqa: bool,
    baseline_file: str | None,
    write_baseline_file: str | None,
) -> None:
    if "-" in paths and len(paths) > 1:
        raise click.UsageError("`-` (standard input) cannot be combined with other paths")
    if add_noqa and (fix or diff):
        raise click.UsageError("--add-noqa cannot be combined with --fix or --diff")
    if add_noqa and reading_stdin:
        raise click.UsageError("--add-noqa edits files; it cannot read standard input")
    if write_baseline_file and baseline_file:
        raise click.UsageError("give either --baseline or --write-baseline, not both")
    if write_baseline_file and (fix or diff or add_noqa):
        raise click.UsageError("--write-baseline records findings; it cannot fix or add noqa")


def _write_baseline(run: Run, file: Path) -> int:
    recorded = baseline.build(run.results, file)
    try:
        file.write_text(baseline.dumps(recorded), encoding="utf-8")
    except OSError as exc:
        run.error(str(file), f"cannot write the baseline: {exc.strerror or exc}")
        return EXIT_ERROR
    count = sum(recorded.counts.values())
    click.echo(f"Recorded {count} finding{'s' if count != 1 else ''} in {file}.", err=True)
    return EXIT_ERROR if run.errors else EXIT_CLEAN


def _say_baselined(run: Run, stale: int) -> None:
    if run.quiet:
        return
    hidden = sum(len(v) for v in run.baselined.values())
    if hidden:
        click.echo(f"pglint: {hidden} finding{'s' if hidden != 1 else ''} in the baseline "
                   "not shown", err=True)  # fmt: skip
    if stale:
        click.echo(
            f"pglint: {stale} baseline entr{'ies' if stale != 1 else 'y'} matched nothing "
            "(fixed?); run --write-baseline to shrink the baseline",
            err=True,
        )


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


@cli.command()
def server() -> int:
    """Run the language server (LSP) on stdin and stdout, for editors."""
    serve = _extra("server", "pglint.server.lsp", "serve")
    if serve is None:
        return EXIT_ERROR
    serve()
    return EXIT_CLEAN


@cli.command()
def mcp() -> int:
    """Run the Model Context Protocol server on stdin and stdout, for coding assistants."""
    serve = _extra("mcp", "pglint.mcp_server", "serve")
    if serve is None:
        return EXIT_ERROR
    serve()
    return EXIT_CLEAN


def _extra(extra: str, module: str, name: str) -> Any:
    """A command's entry point, imported only when it runs; None, said on stderr, when
    the optional dependencies it needs are not installed."""
    import importlib

    try:
        return getattr(importlib.import_module(module), name)
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.startswith("pglint"):
            raise
        click.echo(
            f"pglint: error: `pglint {extra}` needs {exc.name}, which is not installed; "
            f"install it with: pip install 'pglint[{extra}]'",
            err=True,
        )
        return None


def main(argv: Sequence[str] | None = None) -> None:
    cli.main(args=list(argv) if argv is not None else None, prog_name="pglint")
