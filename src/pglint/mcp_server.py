"""`pglint mcp`: pglint's checks as tools for coding assistants (Model Context Protocol).

An assistant that writes database code can check it before anyone reads it: `check`
returns the findings of files, or of a text it is about to write, with their
suggestions and fixes, in the shape of `pglint check --output-format json`; `fix`
returns the fixed text or a diff and writes nothing unless asked; `explain` returns a
rule's documentation, as `pglint rule` prints it.

The tools read `[tool.pglint]` as `pglint check` run in the server's working directory
does; a text given with a file name is read with the project around that file, as the
editor's unsaved text is in `pglint server`. The MCP SDK is imported only by this
command (``pip install 'pglint[mcp]'``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError as SdkError

from pglint.checking import Run
from pglint.config import ConfigError, SettingsResolver, find_config, load_config
from pglint.docs import render_rule
from pglint.engine import LintResult
from pglint.files import discover
from pglint.fixes import SAFE, SAFE_AND_UNSAFE, unified_diff
from pglint.notebooks import NOTEBOOK_SUFFIX, fix_notebook, lint_notebook, read_notebook
from pglint.output.machine import json_items
from pglint.rules import all_rules, get_rule
from pglint.server.analysis import Analysis, Options
from pglint.settings import Selection, invalid_selectors

INSTRUCTIONS = (
    "pglint finds the PostgreSQL mistakes in Python database code (SQL built from "
    "strings, wrong placeholders, engines or connections per request, sessions never "
    "closed, sync drivers in async endpoints) and fixes the safe ones. Call `check` on "
    "code you wrote or changed (files, or the text you are about to write with its file "
    "name), `fix` to get the corrected text, and `explain` for why a rule matters."
)


class ToolError(Exception):
    """Bad input to a tool: said to the assistant, never a traceback."""


def _flags(select: list[str] | None, ignore: list[str] | None) -> Selection:
    for given in (select or [], ignore or []):
        bad = invalid_selectors(given)
        if bad:
            raise ToolError(f"invalid rule code {bad[0]!r}: PGL followed by up to three digits")
    return Selection(tuple(select) if select else None, tuple(ignore or ()))


def _resolver(flags: Selection) -> SettingsResolver:
    try:
        found = find_config(Path.cwd())
        config = load_config(found) if found else None
    except ConfigError as exc:
        raise ToolError(f"configuration error: {exc}") from None
    return SettingsResolver(config, flags, hierarchical=True)


def _inputs(paths: list[str] | None, source: str | None, filename: str | None) -> None:
    if source is None and not paths:
        raise ToolError("give `paths` (files or directories) or `source` with `filename`")
    if source is not None and paths:
        raise ToolError("give either `paths` or `source`, not both")
    if source is not None and not filename:
        raise ToolError("`source` needs `filename`: the path the text is (or will be) saved at")


def _run_paths(
    paths: list[str], flags: Selection, applicabilities: frozenset[str], *, fix: bool, diff: bool
) -> tuple[Run, list[str]]:
    """`pglint check` over ``paths``: the run, and the errors and warnings it said."""
    resolver = _resolver(flags)
    said: list[str] = []
    run = Run(resolver.base, applicabilities, resolve=resolver.for_file, say=said.append)
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise ToolError(f"no such file or directory: {missing[0]}")
    found = list(discover(paths, resolver.base, respect_gitignore=True, notebooks=True))
    run.check_files(found, fix=fix, diff=diff, jobs=1)
    return run, said


def _source_result(
    source: str, filename: str, flags: Selection, applicabilities: frozenset[str], *, fix: bool
) -> tuple[LintResult, str, list]:
    """(findings, fixed text, what was fixed) of a text that is, or will be, the file
    ``filename``, read with the project around it."""
    options = Options(flags.select, flags.ignore, (), "unsafe" in applicabilities)
    analysis = Analysis(options=options)
    analysis.set_folders([os.getcwd()])
    path = os.path.abspath(filename)
    try:
        settings = analysis.settings_for(path)
    except ConfigError as exc:
        raise ToolError(f"configuration error: {exc}") from None
    if path.endswith(NOTEBOOK_SUFFIX):
        result = lint_notebook(source.encode("utf-8"), filename, settings)
        if result.error is not None:
            raise ToolError(f"{filename}: {result.error}")
        if not fix:
            return result, source, []
        notebook = read_notebook(source.encode("utf-8"))
        outcome = fix_notebook(notebook, filename, settings, applicabilities)
        text = notebook.dumps() if outcome.changed else source
        return outcome.result, text, outcome.fixed
    analysis.change(path, source)
    result = analysis.lint(path, settings)
    if result.error is not None:
        raise ToolError(f"{filename}: {result.error}")
    result.filename = filename
    if not fix:
        return result, source, []
    fixed = analysis.fix(path, source, settings)
    fixed.result.filename = filename
    return fixed.result, fixed.text, fixed.fixed


def check(
    paths: list[str] | None = None,
    source: str | None = None,
    filename: str | None = None,
    select: list[str] | None = None,
    ignore: list[str] | None = None,
) -> str:
    """Check Python files, directories or notebooks (`paths`), or a text you are about to
    save (`source`, with the `filename` it will have: the project around that file is
    read). Returns JSON: `findings`, each with its code, message, location, the
    suggested corrected code and the automatic fix if there is one (the shape of
    `pglint check --output-format json`), and `errors` (files that could not be
    checked)."""
    _inputs(paths, source, filename)
    flags = _flags(select, ignore)
    if source is not None:
        result, _, _ = _source_result(source, filename or "", flags, SAFE, fix=False)
        return _dump({"findings": json_items([result]), "errors": []})
    run, said = _run_paths(paths or [], flags, SAFE, fix=False, diff=False)
    return _dump({"findings": json_items(run.results), "errors": said})


def fix(
    paths: list[str] | None = None,
    source: str | None = None,
    filename: str | None = None,
    unsafe_fixes: bool = False,
    write: bool = False,
    select: list[str] | None = None,
    ignore: list[str] | None = None,
) -> str:
    """Apply pglint's automatic fixes. For `source` (with its `filename`): returns JSON
    with the fixed `text`, its `diff`, what was `fixed` and the findings that `remain`.
    For `paths`: returns the `diff` and writes nothing, unless `write` is true (then the
    files are rewritten, as `pglint check --fix` does). Unsafe fixes change what is sent
    to the database; they are applied only with `unsafe_fixes`."""
    _inputs(paths, source, filename)
    flags = _flags(select, ignore)
    applicabilities = SAFE_AND_UNSAFE if unsafe_fixes else SAFE
    if source is not None:
        if write:
            raise ToolError("`write` is for `paths`; with `source`, save the returned text")
        result, text, fixed = _source_result(
            source, filename or "", flags, applicabilities, fix=True
        )
        return _dump(
            {
                "text": text,
                "diff": unified_diff(source, text, filename or "") if text != source else "",
                "fixed": [
                    {"code": d.code, "message": d.fix.message if d.fix else ""} for d in fixed
                ],
                "remain": json_items([result]),
            }
        )
    run, said = _run_paths(paths or [], flags, applicabilities, fix=write, diff=not write)
    return _dump(
        {
            "written": sorted(run.fixed) if write else [],
            "diff": "".join(run.diffs),
            "fixed": [
                {"filename": path, "code": d.code} for path, ds in run.fixed.items() for d in ds
            ],
            "remain": json_items(run.results),
            "errors": said,
        }
    )


def explain(code: str) -> str:
    """The documentation of a pglint rule (for example PGL101): what it checks, why it
    breaks in production, an example, what to write instead, and whether its fix is
    safe."""
    rule = get_rule(code.strip().upper())
    if rule is None:
        known = ", ".join(r.code for r in all_rules())
        raise ToolError(f"unknown rule code {code!r}; known codes: {known}")
    return render_rule(rule)


def _dump(value: Any) -> str:
    return json.dumps(value, indent=1, ensure_ascii=False)


def build() -> Any:
    """The MCP server with pglint's tools."""
    from pglint import __version__

    server = MCPServer("pglint", instructions=INSTRUCTIONS, version=__version__)
    for tool in (check, fix, explain):
        server.add_tool(_said(tool), name=tool.__name__, description=tool.__doc__)
    return server


def _said(tool: Any) -> Any:
    """The tool, with bad input turned into the SDK's tool error: a message for the
    assistant, not a traceback."""
    import functools

    @functools.wraps(tool)
    def wrapper(*args: Any, **kwargs: Any) -> str:
        try:
            return tool(*args, **kwargs)
        except ToolError as exc:
            raise SdkError(str(exc)) from None

    return wrapper


def serve() -> None:
    build().run()
