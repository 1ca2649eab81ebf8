"""The `pglint` command.

Exit codes: 0 nothing found (or everything fixed), 1 findings remain, 2 a usage,
configuration or internal error, or a file that could not be read or written.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from pglint import __version__
from pglint.exits import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS
from pglint.output import FORMATS
from pglint.settings import CACHE_DIRECTORY


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
def check(**options: Any) -> int:
    """Lint PATHS (files or directories; default: the current directory; `-`: stdin)."""
    # The options are declared above, the run is pglint.command.check: imported only now,
    # so that `pglint --help` or `pglint rule` load no analysis.
    from pglint.command import check as run

    return run(**options)


@cli.command()
@click.argument("code", required=False)
@click.option("--all", "show_all", is_flag=True, help="Print every rule's documentation.")
def rule(code: str | None, show_all: bool) -> int:
    """Print the documentation of the rule CODE (for example PGL101)."""
    from pglint.docs import render_rule
    from pglint.rules import all_rules, get_rule

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
