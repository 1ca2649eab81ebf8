"""Driving `pglint server` as an editor does: a real LSP client (pytest-lsp's, built on
pygls) talking to the real command over stdio."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls import uris
from pytest_lsp import LanguageClient, client_capabilities, make_test_lsp_client

TIMEOUT = 30.0  # seconds; generous for a shared, slow machine


def uri(path: Path) -> str:
    return uris.from_fs_path(str(path))  # type: ignore[return-value]


def capabilities(
    client: str = "visual-studio-code", *, notebooks: bool = False, refresh: bool = False
) -> types.ClientCapabilities:
    """A real client's capabilities (as pytest-lsp recorded them), with notebook sync or
    diagnostic refresh added where a test needs them."""
    caps = client_capabilities(client)
    if notebooks:
        caps.notebook_document = types.NotebookDocumentClientCapabilities(
            synchronization=types.NotebookDocumentSyncClientCapabilities()
        )
    if refresh:
        caps.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(
            refresh_support=True
        )
    return caps


@contextlib.asynccontextmanager
async def session(
    root: Path, *, caps: types.ClientCapabilities | None = None, options: Any = None
) -> AsyncIterator[LanguageClient]:
    client = make_test_lsp_client()
    client.registrations = []  # type: ignore[attr-defined]

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        client.registrations.extend(params.registrations)  # type: ignore[attr-defined]

    await client.start_io(sys.executable, "-m", "pglint", "server")
    try:
        await asyncio.wait_for(
            client.initialize_session(
                types.InitializeParams(
                    capabilities=caps or capabilities(),
                    workspace_folders=[types.WorkspaceFolder(uri(root), root.name)],
                    initialization_options=options,
                )
            ),
            TIMEOUT,
        )
        yield client
        await asyncio.wait_for(client.shutdown_session(), TIMEOUT)
    finally:
        process = client._server
        if process is not None and process.returncode is None:  # a test failed midway
            process.kill()
        await asyncio.wait_for(client.stop(), TIMEOUT)


async def until(condition: Callable[[], Any], what: str | Callable[[], str] = "condition") -> Any:
    """Wait for what the server sends to satisfy ``condition``; returns its value.
    ``what`` says what was awaited (a callable: worked out when the wait fails)."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            said = what() if callable(what) else what
            raise AssertionError(f"timed out waiting for {said}")
        await asyncio.sleep(0.02)


def codes(client: LanguageClient, document: str) -> list[str]:
    return sorted(str(d.code) for d in client.diagnostics.get(document, []))


async def until_codes(client: LanguageClient, document: str, expected: list[str]) -> list:
    await until(
        lambda: codes(client, document) == sorted(expected),
        lambda: f"{document} to have {expected} (has {codes(client, document)})",
    )
    return list(client.diagnostics[document])


def open_file(client: LanguageClient, path: Path, text: str | None = None, version: int = 1) -> str:
    document = uri(path)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(
                document, "python", version, path.read_text() if text is None else text
            )
        )
    )
    return document


def replace_text(client: LanguageClient, document: str, text: str, version: int) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=version, uri=document),
            [types.TextDocumentContentChangeWholeDocument(text)],
        )
    )


def apply_edits(text: str, edits: list[types.TextEdit]) -> str:
    """Apply LSP text edits (the texts in these tests are ASCII: UTF-16 units are
    characters)."""
    rows = text.splitlines(keepends=True)
    starts = [0]
    for row in rows:
        starts.append(starts[-1] + len(row))

    def offset(position: types.Position) -> int:
        if position.line >= len(rows):
            return len(text)
        return starts[position.line] + position.character

    for edit in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


async def code_actions(
    client: LanguageClient,
    document: str,
    where: types.Range,
    only: list[str] | None = None,
) -> list[types.CodeAction]:
    """The code actions the server offers. (A code action that runs a command and edits
    nothing comes back parsed as a ``Command`` by this client: the wire cannot tell.)"""
    result = await asyncio.wait_for(
        client.text_document_code_action_async(
            types.CodeActionParams(
                types.TextDocumentIdentifier(document),
                where,
                types.CodeActionContext(diagnostics=[], only=only),
            )
        ),
        TIMEOUT,
    )
    return list(result or [])
