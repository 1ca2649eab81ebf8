"""Turning a finished run into its report and its exit code.

Exit codes: 0 nothing found (or everything fixed), 1 findings remain (or, with
`--exit-non-zero-on-fix`, something was fixed), 2 an error. `--exit-zero` turns 1 into
0, never 2.
"""

from __future__ import annotations

import os

import click

from pglint.checking import Run
from pglint.exits import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS
from pglint.fixes import SAFE
from pglint.output import (
    TEXT_FORMATS,
    findings,
    fixed_listing,
    format_concise,
    format_full,
    format_github,
    format_gitlab,
    format_grouped,
    format_json,
    format_json_lines,
    format_junit,
    format_sarif,
    format_statistics,
    project_root,
    statistics,
    summary,
)

_TEXT = {"full": format_full, "concise": format_concise, "grouped": format_grouped}


def render(run: Run, output_format: str, *, stats: bool, fixing: bool, show_fixes: bool) -> str:
    """The whole report as text (a machine format's document, or the text lines)."""
    remaining = run.remaining()
    if stats:
        rows = statistics(remaining, run.applicabilities)
        as_json = output_format in ("json", "json-lines")
        text = format_statistics(rows, as_json)
        if not as_json and not run.quiet:
            # The same closing count as the report's, so the fixable counts agree.
            text = "\n".join([*([text] if text else []), *_summary(run, fixing)])
        return text + "\n" if text else ""
    if output_format not in TEXT_FORMATS:
        return _machine(run, output_format)
    lines = list(_TEXT[output_format](run.results, run.applicabilities))
    if output_format == "concise" and remaining and not run.quiet:
        lines.append("")
    if show_fixes and fixing:
        lines += fixed_listing(run.fixed)
    if not run.quiet:
        lines += _summary(run, fixing)
    return "".join(line + "\n" for line in lines)


def _summary(run: Run, fixing: bool) -> list[str]:
    remaining = run.remaining()
    fixed = run.fixed_count()
    if not (remaining or fixed or not run.errors):
        return []
    return summary(
        remaining,
        run.applicabilities,
        fixed=fixed if fixing else None,
        unsafe_enabled=run.applicabilities != SAFE,
    )


def _machine(run: Run, output_format: str) -> str:
    if output_format == "json":
        return format_json(run.results) + "\n"
    if output_format == "json-lines":
        return format_json_lines(run.results)
    if output_format == "github":
        return format_github(run.results)
    if output_format == "junit":
        return format_junit(run.results)
    root = project_root()
    if output_format == "gitlab":
        return format_gitlab(findings(run.results, root)) + "\n"
    if output_format == "sarif":
        found = findings(run.results, root, include_suppressed=True, baselined=run.baselined)
        return format_sarif(found, root) + "\n"
    raise ValueError(f"unknown output format {output_format!r}")


def report(
    run: Run,
    output_format: str,
    *,
    stats: bool,
    fixing: bool,
    show_fixes: bool,
    err: bool,
    output_file: str | None,
    color: bool | None = None,
) -> None:
    """``color``: True or False as `--color always` or `never` say; None: on a terminal,
    unless NO_COLOR is set."""
    text = render(run, output_format, stats=stats, fixing=fixing, show_fixes=show_fixes)
    if output_file is not None:
        write_report(run, output_file, click.unstyle(text))
        return
    if color is None and os.environ.get("NO_COLOR"):
        color = False
    click.echo(text, err=err, color=color, nl=False)


def write_report(run: Run, output_file: str, text: str) -> None:
    try:
        with open(output_file, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except OSError as exc:
        run.error(output_file, f"cannot write the report: {exc.strerror or exc}")


def finish_diff(run: Run, color: bool | None = None) -> int:
    for text in run.diffs:
        click.echo(_coloured_diff(text), nl=False, color=color)
    count = run.fixed_count()
    if run.quiet:
        pass
    elif count:
        click.echo(f"Would fix {count} error{'s' if count != 1 else ''}.", err=True)
    else:
        click.echo("No errors would be fixed.", err=True)
    if run.errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if run.diffs else EXIT_CLEAN


def _coloured_diff(text: str) -> str:
    """Removed rows red, added rows green (click drops the colours where they do not
    belong: a pipe, a file, `--color never`)."""
    out = []
    for line in text.splitlines(keepends=True):
        if line.startswith(("---", "+++")):
            out.append(click.style(line, bold=True))
        elif line.startswith("-"):
            out.append(click.style(line, fg="red"))
        elif line.startswith("+"):
            out.append(click.style(line, fg="green"))
        else:
            out.append(line)
    return "".join(out)


def exit_code(run: Run, *, exit_zero: bool, exit_non_zero_on_fix: bool) -> int:
    # Like ruff's E902, a file that cannot be read is a finding of the run: --exit-zero
    # covers it, and not the errors of the run itself (configuration, writing).
    if run.errors > (run.unreadable if exit_zero else 0):
        return EXIT_ERROR
    if exit_zero:
        return EXIT_CLEAN
    if run.remaining() or (exit_non_zero_on_fix and run.fixed_count()):
        return EXIT_FINDINGS
    return EXIT_CLEAN
