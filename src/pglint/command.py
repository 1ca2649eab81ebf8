"""One `pglint check` run, from the options the command line gave to the exit code.

Kept apart from the command's definition (pglint.cli) so that starting the command,
`pglint --help` or `pglint rule` never import the analysis.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click

from pglint import baseline
from pglint.cache import Cache
from pglint.checking import Run
from pglint.config import (
    ConfigError,
    Overrides,
    SettingsResolver,
    find_config,
    load_config,
    selector_problem,
)
from pglint.files import discover
from pglint.fixes import SAFE, SAFE_AND_UNSAFE
from pglint.output import display_path
from pglint.program.tree import program_files
from pglint.reporting import EXIT_CLEAN, EXIT_ERROR, exit_code, finish_diff, report
from pglint.rules import all_rules
from pglint.settings import Selection


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


def _selectors(values: tuple[str, ...], option: str) -> tuple[str, ...]:
    codes = tuple(c.strip() for value in values for c in value.split(",") if c.strip())
    problem = selector_problem(codes)
    if problem:
        raise click.BadParameter(problem.removeprefix("an "), param_hint=option)
    return codes


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
