"""`pglint server`: the Language Server's features, over stdio, on pygls.

Diagnostics come as the client prefers them: pulled (`textDocument/diagnostic`) by a
client that says it can, pushed (`textDocument/publishDiagnostics`) to the others, on
open, on change (after a short pause in typing) and on save. A change re-analyses the
open documents that read the changed file too (a router that imports `get_db` from the
`database.py` being edited); a pulling client is asked to pull again. Code actions,
hover and settings are answered here from what ``pglint.server.core`` found.

Nothing a document or a configuration holds ends the server: a file pglint cannot check
gets a diagnostic that says why, a configuration error is also shown as a message, and
an error in pglint itself is logged and shown, and the next edit is analysed as usual.
"""

from __future__ import annotations

import bisect
import os
import time

from lsprotocol import types
from pygls import uris

from pglint.config import CONFIG_FILES
from pglint.diagnostics import Diagnostic, Location
from pglint.files import NOTEBOOK_SUFFIXES, PYTHON_SUFFIXES
from pglint.fixes import is_applicable
from pglint.server.analysis import Options
from pglint.server.convert import (
    FIX_ALL,
    NOTEBOOK_FIX_ALL,
    SHOW_SUGGESTION,
    Findings,
    Positions,
    Target,
    code_actions,
    diagnostics_for,
    error_diagnostic,
    hover_text,
)
from pglint.server.core import DEBOUNCE, PglintServer, is_python, path_of
from pglint.server.documents import notebook_from_cells
from pglint.source import line_starts

server = PglintServer()


# --- lifecycle ------------------------------------------------------------------------


@server.feature(types.INITIALIZE)
def initialize(ls: PglintServer, params: types.InitializeParams) -> None:
    options, problems = Options.parse(params.initialization_options)
    ls.analysis.options = options
    folders = [uris.to_fs_path(f.uri) for f in params.workspace_folders or []]
    if not folders and params.root_uri:
        folders = [uris.to_fs_path(params.root_uri)]
    elif not folders and params.root_path:
        folders = [params.root_path]
    ls.analysis.set_folders([f for f in folders if f])
    capabilities = params.capabilities
    text_document = capabilities.text_document
    ls.pull = text_document is not None and text_document.diagnostic is not None
    workspace = capabilities.workspace
    ls.refresh_support = bool(
        workspace and workspace.diagnostics and workspace.diagnostics.refresh_support
    )
    ls.problems = problems


@server.feature(types.INITIALIZED)
async def initialized(ls: PglintServer, params: types.InitializedParams) -> None:
    for problem in ls.problems:
        ls.window_show_message(
            types.ShowMessageParams(types.MessageType.Warning, f"pglint: settings: {problem}")
        )
    _say_folder_errors(ls)
    workspace = ls.client_capabilities.workspace
    watched = workspace.did_change_watched_files if workspace else None
    if watched is not None and watched.dynamic_registration:
        watchers = [
            types.FileSystemWatcher(glob_pattern=f"**/*{suffix}")
            for suffix in (*PYTHON_SUFFIXES, *NOTEBOOK_SUFFIXES)
        ] + [types.FileSystemWatcher(glob_pattern=f"**/{name}") for name in CONFIG_FILES]
        try:
            await ls.client_register_capability_async(
                types.RegistrationParams(
                    [
                        types.Registration(
                            "pglint-watched-files",
                            types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                            types.DidChangeWatchedFilesRegistrationOptions(watchers),
                        )
                    ]
                )
            )
        except Exception as exc:
            ls.log(f"pglint: the client did not register file watchers: {exc}")
    ls.to_index = ls.analysis.files_to_index()
    ls.wake_up()


# --- documents ------------------------------------------------------------------------


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: PglintServer, params: types.DidOpenTextDocumentParams) -> None:
    document = params.text_document
    if not is_python(document.uri, document.language_id):
        return
    path = path_of(document.uri)
    if path is not None:
        ls.changed(ls.analysis.open(path, document.text), 0.0)
    ls.schedule(document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: PglintServer, params: types.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    if ls.workspace.get_notebook_document(cell_uri=uri) is not None:
        ls.schedule(ls._owner(uri), DEBOUNCE)
        return
    document = ls.workspace.get_text_document(uri)
    if not is_python(uri, document.language_id):
        return
    path = path_of(uri)
    if path is not None:
        ls.changed(ls.analysis.change(path, document.source), DEBOUNCE, except_uri=uri)
    if not ls.pull or path is None:
        ls.schedule(uri, DEBOUNCE)
    else:
        ls.pending[uri] = time.monotonic() + DEBOUNCE  # analysed when pulled, or then


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: PglintServer, params: types.DidSaveTextDocumentParams) -> None:
    uri = params.text_document.uri
    path = path_of(uri)
    if path is not None and os.path.basename(path) in CONFIG_FILES:
        _settings_changed(ls)
        return
    if uri in ls.workspace.text_documents:
        ls.schedule(ls._owner(uri))


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: PglintServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    path = path_of(uri)
    if path is not None:
        ls.changed(ls.analysis.close(path), 0.0)
    ls.clear(uri)


@server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
def notebook_open(ls: PglintServer, params: types.DidOpenNotebookDocumentParams) -> None:
    ls.schedule(params.notebook_document.uri)


@server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
def notebook_change(ls: PglintServer, params: types.DidChangeNotebookDocumentParams) -> None:
    ls.schedule(params.notebook_document.uri, DEBOUNCE)


@server.feature(types.NOTEBOOK_DOCUMENT_DID_SAVE)
def notebook_save(ls: PglintServer, params: types.DidSaveNotebookDocumentParams) -> None:
    ls.schedule(params.notebook_document.uri)


@server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
def notebook_close(ls: PglintServer, params: types.DidCloseNotebookDocumentParams) -> None:
    ls.clear(params.notebook_document.uri)


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def watched_files(ls: PglintServer, params: types.DidChangeWatchedFilesParams) -> None:
    paths = [p for p in (path_of(change.uri) for change in params.changes) if p]
    if any(os.path.basename(p) in CONFIG_FILES for p in paths):
        _settings_changed(ls)
    appeared = any(c.type != types.FileChangeType.Changed for c in params.changes)
    sources = [p for p in paths if p.endswith(PYTHON_SUFFIXES)]
    if sources:
        ls.changed(ls.analysis.changed_on_disk(sources, created_or_deleted=appeared), 0.0)


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
def configuration(ls: PglintServer, params: types.DidChangeConfigurationParams) -> None:
    settings = params.settings
    if isinstance(settings, dict) and isinstance(settings.get("pglint"), dict):
        options, problems = Options.parse(settings["pglint"])
        for problem in problems:
            ls.window_show_message(
                types.ShowMessageParams(types.MessageType.Warning, f"pglint: settings: {problem}")
            )
        ls.analysis.options = options
        _settings_changed(ls)


@server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
def folders_changed(ls: PglintServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
    ls.analysis.set_folders([uris.to_fs_path(f.uri) or "" for f in ls.workspace.folders.values()])
    _settings_changed(ls)


def _say_folder_errors(ls: PglintServer) -> None:
    for folder in ls.analysis.folders:
        if folder.error:
            message = f"pglint: {folder.error}"
            ls.window_show_message(types.ShowMessageParams(types.MessageType.Error, message))


def _settings_changed(ls: PglintServer) -> None:
    ls.analysis.reload_settings()
    ls.shown_errors.clear()
    _say_folder_errors(ls)
    for uri in ls.all_open():
        ls.schedule(uri)


# --- requests -------------------------------------------------------------------------


@server.feature(
    types.TEXT_DOCUMENT_DIAGNOSTIC,
    types.DiagnosticOptions(
        identifier="pglint", inter_file_dependencies=True, workspace_diagnostics=False
    ),
)
def pull_diagnostics(
    ls: PglintServer, params: types.DocumentDiagnosticParams
) -> types.RelatedFullDocumentDiagnosticReport:
    uri = params.text_document.uri
    findings = ls.current(uri)
    if findings is None:
        return types.RelatedFullDocumentDiagnosticReport(items=[])
    positions = Positions(ls.workspace.position_codec)
    items = diagnostics_for(findings, uri, positions)
    if findings.error and (not findings.targets or findings.targets[0].uri == uri):
        items = [error_diagnostic(findings.error), *items]
    return types.RelatedFullDocumentDiagnosticReport(items=items)


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL, NOTEBOOK_FIX_ALL]
    ),
)
def code_action(ls: PglintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    findings = ls.current(uri)
    if findings is None:
        return []
    positions = Positions(ls.workspace.position_codec)
    only = params.context.only
    actions: list[types.CodeAction] = []
    if _wants(only, types.CodeActionKind.QuickFix):
        hidden = findings.cells.hidden_rows if findings.cells else frozenset()
        actions += code_actions(findings, uri, params.range, positions, hidden)
    notebook_kind = findings.cells is not None and _asks_notebook_kind(only, NOTEBOOK_FIX_ALL)
    fix_all_kind = NOTEBOOK_FIX_ALL if notebook_kind else FIX_ALL
    if _wants(only, fix_all_kind) and any(
        is_applicable(d, ls.analysis.options.applicabilities) for d in findings.diagnostics
    ):
        edit = _fix_all(ls, findings, positions)
        if edit is not None:
            unsafe = " and unsafe" if ls.analysis.options.unsafe_fixes else ""
            actions.append(
                types.CodeAction(
                    title=f"pglint: fix all safe{unsafe} findings",
                    kind=fix_all_kind,
                    edit=edit,
                )
            )
    return actions


def _wants(only: list[str] | None, kind: str) -> bool:
    """Whether a request for the kinds ``only`` covers ``kind`` (`source` covers
    `source.fixAll.pglint`)."""
    if only is None:
        return True
    return any(kind == wanted or kind.startswith(wanted + ".") for wanted in only)


def _asks_notebook_kind(only: list[str] | None, kind: str) -> bool:
    return only is not None and any(kind.startswith(w) and w.startswith("notebook") for w in only)


def _fix_all(
    ls: PglintServer, findings: Findings, positions: Positions
) -> types.WorkspaceEdit | None:
    if not findings.notebook:
        target = findings.targets[0]
        path = path_of(findings.uri)
        if path is None:
            return None
        settings = ls.analysis.settings_for(path)
        outcome = ls.analysis.fix(path, target.text, settings)
        if outcome.text == target.text:
            return None
        edit = _changed_span(target, outcome.text, positions)
        return types.WorkspaceEdit(changes={findings.uri: [edit]})
    notebook_doc = ls.workspace.get_notebook_document(notebook_uri=findings.uri)
    if notebook_doc is None:
        return None
    cells, targets = ls.cells(notebook_doc)
    notebook = notebook_from_cells(cells)
    path = path_of(findings.uri) or "notebook.ipynb"
    outcome = ls.analysis.fix_notebook(notebook, path, ls.analysis.settings_for(path))
    if not outcome.changed:
        return None
    changes = {}
    for index, target in zip(notebook.code_cells, targets, strict=False):
        new = notebook.source(index)
        if new != target.text:
            changes[target.uri] = [_changed_span(target, new, positions)]
    return types.WorkspaceEdit(changes=changes) if changes else None


def _changed_span(target: Target, new: str, positions: Positions) -> types.TextEdit:
    """One edit covering what differs between the target's text and ``new``, so the
    editor keeps the cursor and folds elsewhere."""
    old = target.text
    start = 0
    limit = min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    end_old, end_new = len(old), len(new)
    while end_old > start and end_new > start and old[end_old - 1] == new[end_new - 1]:
        end_old -= 1
        end_new -= 1
    return types.TextEdit(
        types.Range(
            _offset_position(target, start, positions),
            _offset_position(target, end_old, positions),
        ),
        new[start:end_new],
    )


def _offset_position(target: Target, offset: int, positions: Positions) -> types.Position:
    starts = line_starts(target.text)
    row = bisect.bisect_right(starts, offset) - 1
    if row >= len(target.rows):  # the very end, after a final line break
        return positions.position(target, Location(target.first_row + len(target.rows), 1))
    column = offset - starts[row]
    return positions.position(target, Location(target.first_row + row, column + 1))


@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(ls: PglintServer, params: types.HoverParams) -> types.Hover | None:
    uri = params.text_document.uri
    findings = ls.current(uri)
    if findings is None:
        return None
    positions = Positions(ls.workspace.position_codec)
    here: list[Diagnostic] = []
    for d in findings.in_target(uri):
        shown = positions.range(findings.target(d.location.row), d.location, d.end_location)
        if _contains(shown, params.position):
            here.append(d)
    if not here:
        return None
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=hover_text(here))
    )


def _contains(shown: types.Range, position: types.Position) -> bool:
    def at(p: types.Position) -> tuple[int, int]:
        return (p.line, p.character)

    return at(shown.start) <= at(position) <= at(shown.end)


@server.command(SHOW_SUGGESTION)
def show_suggestion(ls: PglintServer, code: str, suggestion: str) -> None:
    message = f"{code}: suggested change:\n\n{suggestion}"
    ls.window_show_message(types.ShowMessageParams(types.MessageType.Info, message))


def serve() -> None:
    """Run the server on standard input and output until the client says exit."""
    server.start_io()
