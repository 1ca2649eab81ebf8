"""The language server's state: what is open, what it was found to hold, and the work
of analysing it, one document at a time, open documents first.

Work runs on the server's event loop. A change schedules the documents it may affect
(after a short pause in typing); what is due is analysed before anything else, and the
workspace is summarized in the background, one module a step, only while nothing is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import traceback
from collections.abc import Iterator

from lsprotocol import types
from pygls import uris
from pygls.lsp.server import LanguageServer

from pglint import __version__
from pglint.config import ConfigError
from pglint.files import PYTHON_SUFFIXES
from pglint.server.analysis import Analysis, key
from pglint.server.convert import (
    Findings,
    Positions,
    Target,
    diagnostics_for,
    error_diagnostic,
)
from pglint.server.documents import is_python_cell, notebook_from_cells
from pglint.settings import Settings

logger = logging.getLogger(__name__)

# Seconds of quiet after a keystroke before the document is analysed again.
DEBOUNCE = 0.15
# While the workspace is read, the open documents are checked against what the program
# has learnt every this many files (and once it is all read).
RECHECK_EVERY = 200


class PglintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "pglint",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            notebook_document_sync=types.NotebookDocumentSyncOptions(
                notebook_selector=[
                    types.NotebookDocumentFilterWithCells(
                        cells=[types.NotebookCellLanguage(language="python")],
                        notebook="jupyter-notebook",
                    )
                ],
                save=True,
            ),
        )
        self.analysis = Analysis()
        self.findings: dict[str, Findings] = {}  # document (or notebook) URI -> findings
        self.pending: dict[str, float] = {}  # URI -> when to analyse it
        self.published: dict[str, set[str]] = {}  # notebook URI -> cell URIs with diagnostics
        self.shown_errors: set[str] = set()
        self.pull = False
        self.refresh_support = False
        self.wake: asyncio.Event | None = None
        self.worker: asyncio.Task | None = None
        self.to_index: Iterator[str] | None = None
        self.indexed = 0
        self.index_started = 0.0
        self.problems: list[str] = []  # with the client's settings, said once initialized

    # --- scheduling ---------------------------------------------------------------------

    def schedule(self, uri: str, delay: float = 0.0) -> None:
        """Analyse the document after ``delay`` seconds (a later call moves it)."""
        self.pending[uri] = time.monotonic() + delay
        self.wake_up()

    def wake_up(self) -> None:
        """Have the work loop look again at what there is to do (starting it if need be)."""
        self._start()
        assert self.wake is not None
        self.wake.set()

    def _start(self) -> None:
        if self.worker is None or self.worker.done():
            self.wake = asyncio.Event()
            self.worker = asyncio.get_running_loop().create_task(self._work())

    async def _work(self) -> None:
        while True:
            try:
                await self._step()
            except asyncio.CancelledError:
                raise
            except Exception:  # pglint's own bug: logged, and the loop goes on
                self.log(traceback.format_exc())
                await asyncio.sleep(0)

    async def _step(self) -> None:
        """Analyse what is due, or summarize one module, or wait for something to do."""
        assert self.wake is not None
        now = time.monotonic()
        due = sorted((when, uri) for uri, when in self.pending.items() if when <= now)
        if due:
            changed = False
            for _, uri in due:
                if self.pending.get(uri, now + 1) <= now:
                    del self.pending[uri]
                    changed |= self.refresh(uri)
                await asyncio.sleep(0)  # messages that came meanwhile go first
            if changed and self.pull and self.refresh_support:
                self.workspace_diagnostic_refresh(None)
            return
        if self.pending:
            timeout: float | None = min(self.pending.values()) - now
        elif self.to_index is not None:
            self._index_one()
            await asyncio.sleep(0)
            return
        else:
            timeout = None
        self.wake.clear()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.wake.wait(), timeout)

    def _index_one(self) -> None:
        assert self.to_index is not None
        started = self.index_started = self.index_started or time.monotonic()
        try:
            path = next(self.to_index)
        except StopIteration:
            self.to_index = None
            self.log(
                f"pglint: summarized the workspace's {self.indexed:,} Python files in "
                f"{time.monotonic() - started:.1f} s"
            )
            self._recheck()
            return
        except Exception as exc:  # a folder that cannot be walked
            self.to_index = None
            self.log(f"pglint: stopped summarizing the workspace: {exc}")
            return
        self.indexed += 1
        try:
            self.analysis.index(path)
        except Exception as exc:
            self.log(f"pglint: could not summarize {path}: {exc}")
        if self.indexed % RECHECK_EVERY == 0:
            self._recheck()

    def _recheck(self, but: str | None = None) -> None:
        """Analyse again the open documents the program now sees otherwise (what the
        workspace, or another document, tells it of the routes that reach them)."""
        for uri in self._uris(self.analysis.disagreeing()):
            if uri != but:
                self.schedule(uri)

    # --- analysis -----------------------------------------------------------------------

    def refresh(self, uri: str) -> bool:
        """Analyse one document and show what it found (pushing to a client that does
        not pull); returns whether its findings changed."""
        before = self.findings.get(uri)
        try:
            findings = self.analyse(uri)
        except Exception as exc:  # pglint's own bug: said, and the server goes on
            self.log(traceback.format_exc())
            findings = Findings(uri, None, [], [], error=f"pglint: internal error: {exc!r}")
        if findings is None:
            self.findings.pop(uri, None)
            return before is not None
        self.findings[uri] = findings
        if findings.error is not None and findings.error not in self.shown_errors:
            self.shown_errors.add(findings.error)
            self.window_show_message(
                types.ShowMessageParams(types.MessageType.Error, findings.error)
            )
        if not self.pull:
            self.publish(findings)
        # What this document now tells the program may change what another open one's
        # functions are (a route added that reaches a helper there).
        self._recheck(but=uri)
        return before is None or _shown(before) != _shown(findings)

    def analyse(self, uri: str) -> Findings | None:
        notebook = self.workspace.get_notebook_document(notebook_uri=uri)
        if notebook is not None:
            return self._analyse_notebook(notebook)
        try:
            document = self.workspace.get_text_document(uri)
        except Exception:
            return None
        if uri not in self.workspace.text_documents:
            return None
        target = Target(uri, document.source)
        path = path_of(uri)
        findings = Findings(uri, document.version, [], [target])
        if path is None:  # an untitled buffer: no project, no configuration file
            findings.diagnostics = self.analysis.lint_text(document.source).diagnostics
            findings.text = document.source
            return findings
        settings = self._settings(path, findings)
        if settings is None or self.analysis.is_excluded(path, settings):
            return findings
        result = self.analysis.lint(path, settings)
        if result.error is not None:
            findings.error = f"pglint cannot check {os.path.basename(path)}: {result.error}"
        findings.diagnostics = result.diagnostics
        findings.text = result.source.text if result.source is not None else None
        return findings

    def cells(
        self, notebook: types.NotebookDocument
    ) -> tuple[list[tuple[bool, str]], list[Target]]:
        """The notebook's cells in order, (whether Python code, text), and its code cells
        as the texts findings are shown in."""
        cells = []
        targets = []
        for cell in notebook.cells:
            document = self.workspace.get_text_document(cell.document)
            python = is_python_cell(cell, document.language_id)
            cells.append((python, document.source))
            if python:
                targets.append(Target(cell.document, document.source))
        return cells, targets

    def _analyse_notebook(self, notebook: types.NotebookDocument) -> Findings:
        cells, targets = self.cells(notebook)
        findings = Findings(notebook.uri, notebook.version, [], targets, notebook=True)
        path = path_of(notebook.uri) or "notebook.ipynb"
        settings = self._settings(path, findings)
        if settings is None or self.analysis.is_excluded(path, settings):
            return findings
        result = self.analysis.lint_notebook(notebook_from_cells(cells), path, settings)
        if result.error is not None:
            findings.error = f"pglint cannot check {os.path.basename(path)}: {result.error}"
            return findings
        findings.cells = result.cells
        findings.text = result.source.text if result.source is not None else None
        if result.cells is not None:
            for target, first in zip(targets, result.cells.first_rows, strict=False):
                target.first_row = first
        findings.diagnostics = result.diagnostics
        return findings

    def _settings(self, path: str, findings: Findings) -> Settings | None:
        try:
            return self.analysis.settings_for(path)
        except ConfigError as exc:
            findings.error = f"pglint: configuration error, this file is not checked: {exc}"
            return None

    def current(self, uri: str) -> Findings | None:
        """The findings of a document (or of the notebook a cell belongs to) for its text
        as it is now: analysed again first if a change is waiting."""
        owner = self._owner(uri)
        if owner in self.pending or owner not in self.findings:
            self.pending.pop(owner, None)
            self.refresh(owner)
        return self.findings.get(owner)

    def _owner(self, uri: str) -> str:
        notebook = self.workspace.get_notebook_document(cell_uri=uri)
        return notebook.uri if notebook is not None else uri

    def publish(self, findings: Findings) -> None:
        positions = Positions(self.workspace.position_codec)
        extra = [error_diagnostic(findings.error)] if findings.error else []
        if not findings.notebook:
            shown = diagnostics_for(findings, findings.uri, positions)
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(findings.uri, extra + shown, findings.version)
            )
            return
        before = self.published.get(findings.uri, set())
        now = set()
        for number, target in enumerate(findings.targets):
            shown = diagnostics_for(findings, target.uri, positions)
            if number == 0:
                shown = extra + shown
            if shown:
                now.add(target.uri)
            if shown or target.uri in before:
                self.text_document_publish_diagnostics(
                    types.PublishDiagnosticsParams(target.uri, shown)
                )
        for gone in before - now - {t.uri for t in findings.targets}:
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(gone, []))
        self.published[findings.uri] = now

    def clear(self, uri: str) -> None:
        self.findings.pop(uri, None)
        self.pending.pop(uri, None)
        if self.pull:
            return
        for cell in self.published.pop(uri, {uri}):
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(cell, []))

    def log(self, message: str) -> None:
        self.window_log_message(types.LogMessageParams(types.MessageType.Log, message))

    def changed(self, affected: set[str], delay: float, *, except_uri: str | None = None) -> None:
        """Analyse again the open documents (keys) a change may have affected."""
        for uri in self._uris(affected):
            if uri != except_uri or not self.pull:
                self.schedule(uri, delay)

    def _uris(self, keys: set[str]) -> list[str]:
        found = []
        for uri in list(self.workspace.text_documents):
            path = path_of(uri)
            if path is not None and key(path) in keys:
                found.append(uri)
        return found

    def all_open(self) -> list[str]:
        notebooks = list(self.workspace.notebook_documents)
        cells = {c.document for nb in self.workspace.notebook_documents.values() for c in nb.cells}
        return notebooks + [uri for uri in self.workspace.text_documents if uri not in cells]


def path_of(uri: str) -> str | None:
    if not uri.startswith("file:"):
        return None
    return uris.to_fs_path(uri)


def _shown(findings: Findings) -> tuple:
    found = [(d.code, d.message, d.location, d.end_location) for d in findings.diagnostics]
    return (findings.error, found)


def is_python(uri: str, language: str | None) -> bool:
    return language == "python" or uri.endswith(PYTHON_SUFFIXES)
