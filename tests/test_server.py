"""`pglint server` end to end: a real LSP client drives the real command over stdio, on a
small multi-file FastAPI app, as an editor would."""

from __future__ import annotations

import ast
import asyncio
import json
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("pygls", reason="the server's tests need pglint[server]")

from lsprotocol import types

from app_modules import ASYNC_DATABASE, SYNC_DATABASE
from conftest import invoke, write
from lsp_client import (
    TIMEOUT,
    apply_edits,
    capabilities,
    code_actions,
    codes,
    open_file,
    replace_text,
    session,
    until,
    until_codes,
    uri,
)
from pglint.docs import render_rule
from pglint.rules import get_rule

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]

# PGL502 needs database.py (a sync `get_db` injected into an async endpoint); PGL202 is a
# safe fix; PGL101 has only an unsafe one.
ROUTER = textwrap.dedent(
    """\
    import psycopg2
    from fastapi import APIRouter, Depends
    from sqlalchemy import text

    from app.database import get_db

    router = APIRouter()


    @router.get("/items")
    async def list_items(db=Depends(get_db)):
        return db.execute(text("SELECT id FROM items")).all()


    def find_item(item_id: int, name: str):
        conn = psycopg2.connect("dbname=shop")
        try:
            cur = conn.cursor()
            cur.execute("SELECT * FROM items WHERE id = %s", (item_id))
            cur.execute(f"SELECT * FROM items WHERE name = '{name}'")
            return cur.fetchone()
        finally:
            conn.close()
    """
)
ROUTER_CODES = ["PGL101", "PGL202", "PGL502"]


@pytest.fixture
def app(tmp_path: Path) -> Path:
    write(tmp_path, "pyproject.toml", "[tool.pglint]\n")
    write(tmp_path, "app/__init__.py", "")
    write(tmp_path, "app/routers/__init__.py", "")
    write(tmp_path, "app/database.py", SYNC_DATABASE)
    write(tmp_path, "app/routers/items.py", ROUTER)
    return tmp_path


def _find(diagnostics: list[types.Diagnostic], code: str) -> types.Diagnostic:
    return next(d for d in diagnostics if d.code == code)


async def test_cross_module_finding_and_its_quick_fix(app: Path):
    router = app / "app/routers/items.py"
    async with session(app) as client:
        document = open_file(client, router)
        shown = await until_codes(client, document, ROUTER_CODES)
        # The same findings, at the same places, as `pglint check` reports.
        cli = json.loads(invoke("check", "--no-cache", "--output-format", "json", str(app)).stdout)
        assert sorted(
            (d.code, d.range.start.line + 1, d.range.start.character + 1) for d in shown
        ) == sorted((i["code"], i["location"]["row"], i["location"]["column"]) for i in cli)
        tuple_finding = _find(shown, "PGL202")
        assert tuple_finding.source == "pglint"
        assert tuple_finding.code_description.href.endswith("#pgl202-parameter-shape-mismatch")
        actions = await code_actions(client, document, tuple_finding.range)
        titles = [a.title for a in actions]
        assert "PGL202: Pass `(item_id,)`" in titles
        assert "PGL202: add `# noqa: PGL202`" in titles
        fix = next(a for a in actions if a.title == "PGL202: Pass `(item_id,)`")
        assert fix.kind == types.CodeActionKind.QuickFix and fix.is_preferred
        fixed = apply_edits(ROUTER, fix.edit.changes[document])
        assert "(item_id,))" in fixed
        replace_text(client, document, fixed, 2)
        await until_codes(client, document, ["PGL101", "PGL502"])

        # The injection's fix is unsafe, and says so; it is offered, not preferred.
        injection = _find(client.diagnostics[document], "PGL101")
        actions = await code_actions(client, document, injection.range)
        [unsafe] = [a for a in actions if a.title.startswith("PGL101: ") and "noqa" not in a.title]
        assert "unsafe" in unsafe.title and not unsafe.is_preferred


async def test_editing_database_py_moves_the_routers_findings(app: Path):
    router, database = app / "app/routers/items.py", app / "app/database.py"
    async with session(app) as client:
        router_doc = open_file(client, router)
        await until_codes(client, router_doc, ROUTER_CODES)
        database_doc = open_file(client, database)
        # Unsaved: the router is analysed against the editor's text of database.py.
        replace_text(client, database_doc, ASYNC_DATABASE, 2)
        await until_codes(client, router_doc, ["PGL101", "PGL202"])
        replace_text(client, database_doc, SYNC_DATABASE, 3)
        await until_codes(client, router_doc, ROUTER_CODES)
        # Closed without saving: the disk's (sync) version again.
        replace_text(client, database_doc, ASYNC_DATABASE, 4)
        await until_codes(client, router_doc, ["PGL101", "PGL202"])
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(database_doc))
        )
        await until_codes(client, router_doc, ROUTER_CODES)
        # Changed on disk, by another program: the client's file watcher says so.
        database.write_text(ASYNC_DATABASE)
        client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                [types.FileEvent(database_doc, types.FileChangeType.Changed)]
            )
        )
        await until_codes(client, router_doc, ["PGL101", "PGL202"])


async def test_a_dependency_through_another_module_follows_too(app: Path):
    """router -> deps -> database: the summary of `deps` is made again when database.py
    changes, though `deps` itself did not."""
    write(app, "app/deps.py", "from app.database import get_db\n\n__all__ = ['get_db']\n")
    router = write(app, "app/routers/items.py", ROUTER.replace("app.database", "app.deps"))
    async with session(app) as client:
        router_doc = open_file(client, router)
        await until_codes(client, router_doc, ROUTER_CODES)
        database_doc = open_file(client, app / "app/database.py")
        replace_text(client, database_doc, ASYNC_DATABASE, 2)
        await until_codes(client, router_doc, ["PGL101", "PGL202"])


async def test_fix_all_and_noqa(app: Path):
    router = app / "app/routers/items.py"
    async with session(app) as client:
        document = open_file(client, router)
        shown = await until_codes(client, document, ROUTER_CODES)
        whole = types.Range(types.Position(0, 0), types.Position(0, 0))
        [fix_all] = await code_actions(client, document, whole, only=["source.fixAll"])
        assert fix_all.kind == "source.fixAll.pglint"
        fixed = apply_edits(ROUTER, fix_all.edit.changes[document])
        # What `pglint check --fix` writes.
        invoke("check", "--no-cache", "--fix", str(router))
        assert fixed == router.read_text()
        replace_text(client, document, fixed, 2)
        # PGL202's tuple and PGL502's `async def` were safe to fix; the injection is not.
        shown = await until_codes(client, document, ["PGL101"])
        assert not await code_actions(client, document, whole, only=["source.fixAll"])

        injection = _find(shown, "PGL101")
        actions = await code_actions(client, document, injection.range)
        [noqa] = [a for a in actions if "noqa" in a.title]
        silenced = apply_edits(fixed, noqa.edit.changes[document])
        assert "WHERE name = '{name}'\")  # noqa: PGL101\n" in silenced
        replace_text(client, document, silenced, 3)
        await until_codes(client, document, [])


async def test_unsafe_fixes_and_selection_from_initialization_options(app: Path):
    router = app / "app/routers/items.py"
    options = {"ignore": ["PGL502"], "unsafeFixes": True}
    async with session(app, options=options) as client:
        document = open_file(client, router)
        await until_codes(client, document, ["PGL101", "PGL202"])
        whole = types.Range(types.Position(0, 0), types.Position(0, 0))
        [fix_all] = await code_actions(client, document, whole, only=["source.fixAll.pglint"])
        assert "unsafe" in fix_all.title
        fixed = apply_edits(ROUTER, fix_all.edit.changes[document])
        replace_text(client, document, fixed, 2)
        await until_codes(client, document, [])


async def test_hover_shows_the_rule_documentation(app: Path):
    router = app / "app/routers/items.py"
    async with session(app) as client:
        document = open_file(client, router)
        shown = await until_codes(client, document, ROUTER_CODES)
        endpoint = _find(shown, "PGL502")
        hover = await asyncio.wait_for(
            client.text_document_hover_async(
                types.HoverParams(types.TextDocumentIdentifier(document), endpoint.range.start)
            ),
            TIMEOUT,
        )
        text = hover.contents.value
        assert endpoint.message in text
        assert render_rule(get_rule("PGL502"), level=3).strip() in text  # what `pglint rule` says
        nothing = await client.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier(document), types.Position(6, 0))
        )
        assert nothing is None


async def test_a_suggestion_without_a_fix_is_offered_to_read(tmp_path: Path):
    source = textwrap.dedent(
        """\
        import psycopg2

        conn = psycopg2.connect("dbname=shop")
        cur = conn.cursor()
        cur.execute("INSERT INTO t (a, b) VALUES (%s, %s)", (1,))
        """
    )
    path = write(tmp_path, "load.py", source)
    async with session(tmp_path) as client:
        document = open_file(client, path)
        [count] = await until_codes(client, document, ["PGL203"])
        actions = await code_actions(client, document, count.range)
        [show] = [a for a in actions if "suggested change" in a.title]
        command = show.command
        if isinstance(command, str):  # parsed as a Command, its `command` as text
            command = types.Command(**ast.literal_eval(command))
        assert not getattr(show, "edit", None)
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command.command, command.arguments)
        )
        message = await until(lambda: [m for m in client.messages if "PGL203" in m.message])
        [cli] = json.loads(
            invoke("check", "--no-cache", "--output-format", "json", str(path)).stdout
        )
        assert cli["suggestion"] in message[0].message


async def test_a_syntax_error_while_typing_then_the_findings_again(app: Path):
    router = app / "app/routers/items.py"
    async with session(app) as client:
        document = open_file(client, router)
        await until_codes(client, document, ROUTER_CODES)
        typing = ROUTER.replace("return cur.fetchone()", "return cur.fetchone(")
        replace_text(client, document, typing, 2)
        [error] = await until_codes(client, document, ["PGL001"])
        assert error.severity == types.DiagnosticSeverity.Error
        replace_text(client, document, ROUTER, 3)
        await until_codes(client, document, ROUTER_CODES)


async def test_a_broken_configuration_is_said_and_the_server_goes_on(app: Path):
    router = app / "app/routers/items.py"
    pyproject = app / "pyproject.toml"
    pyproject.write_text("[tool.pglint]\nselct = ['PGL1']\n")
    async with session(app) as client:
        await until(lambda: [m for m in client.messages if "selct" in m.message], "a message")
        document = open_file(client, router)
        [said] = await until(lambda: client.diagnostics.get(document), "a diagnostic")
        assert "did you mean 'select'" in said.message
        assert said.severity == types.DiagnosticSeverity.Error
        pyproject.write_text("[tool.pglint]\nselect = ['PGL1']\n")
        client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                [types.FileEvent(uri(pyproject), types.FileChangeType.Changed)]
            )
        )
        await until_codes(client, document, ["PGL101"])


async def test_an_undecodable_file_and_an_untitled_buffer(tmp_path: Path):
    injection = "import psycopg2\ncur = psycopg2.connect().cursor()\ncur.execute(f'SELECT {x}')\n"
    async with session(tmp_path) as client:
        untitled = "untitled:Untitled-1"  # no file, no project: analysed on its own
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(untitled, "python", 1, injection)
            )
        )
        await until_codes(client, untitled, ["PGL102"])
        bogus = "# -*- coding: no-such-codec -*-\n" + injection
        path = write(tmp_path, "odd.py", bogus)
        document = open_file(client, path)
        [said] = await until(lambda: client.diagnostics.get(document), "a diagnostic")
        assert said.code == "PGL001" and "no-such-codec" in said.message  # as `pglint check`
        replace_text(client, document, injection, 2)
        await until_codes(client, document, ["PGL102"])


async def test_pull_diagnostics_for_a_client_that_pulls(app: Path):
    router = app / "app/routers/items.py"
    # Neovim's capabilities: it pulls, and counts positions in UTF-8 if the server agrees.
    caps = capabilities("neovim", refresh=True)
    async with session(app, caps=caps) as client:
        document = open_file(client, router)
        report = await asyncio.wait_for(
            client.text_document_diagnostic_async(
                types.DocumentDiagnosticParams(types.TextDocumentIdentifier(document))
            ),
            TIMEOUT,
        )
        assert sorted(d.code for d in report.items) == ROUTER_CODES
        database_doc = open_file(client, app / "app/database.py")
        refreshed = client.diagnostic_refresh_count
        replace_text(client, database_doc, ASYNC_DATABASE, 2)
        await until(lambda: client.diagnostic_refresh_count > refreshed, "a refresh request")
        report = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(types.TextDocumentIdentifier(document))
        )
        assert sorted(d.code for d in report.items) == ["PGL101", "PGL202"]
        assert not client.diagnostics  # nothing pushed to a client that pulls


NOTEBOOK_CELLS = [
    ("markdown", "# Orders\n"),
    ("python", "import psycopg2\n\nconn = psycopg2.connect('dbname=shop')\ncur = conn.cursor()\n"),
    (
        "python",
        "%time x = 1\nname = input()\ncur.execute(f\"SELECT * FROM orders WHERE name = '{name}'\")\n",
    ),
    ("python", "cur.execute('SELECT * FROM orders WHERE id = %s', (42))\n"),
]


async def test_notebook_cells_are_analysed_together(tmp_path: Path):
    notebook_uri = uri(tmp_path / "orders.ipynb")
    cells = [f"{notebook_uri}#cell{n}" for n in range(len(NOTEBOOK_CELLS))]
    async with session(tmp_path, caps=capabilities(notebooks=True)) as client:
        client.notebook_document_did_open(
            types.DidOpenNotebookDocumentParams(
                types.NotebookDocument(
                    notebook_uri,
                    "jupyter-notebook",
                    1,
                    [
                        types.NotebookCell(
                            types.NotebookCellKind.Markup
                            if language == "markdown"
                            else types.NotebookCellKind.Code,
                            cell,
                        )
                        for (language, _), cell in zip(NOTEBOOK_CELLS, cells, strict=True)
                    ],
                ),
                [
                    types.TextDocumentItem(cell, language, 1, text)
                    for (language, text), cell in zip(NOTEBOOK_CELLS, cells, strict=True)
                ],
            )
        )
        # The cursor made in cell 2 is known in cells 3 and 4; each finding is in its cell,
        # where `pglint check` reports it in the same notebook saved as a file.
        [injection] = await until_codes(client, cells[2], ["PGL101"])
        [shape] = await until_codes(client, cells[3], ["PGL202"])
        cli = json.loads(
            invoke(
                "check",
                "--no-cache",
                "--output-format",
                "json",
                str(_saved_notebook(tmp_path / "saved.ipynb")),
            ).stdout
        )
        assert [
            (i["cell"], i["location"]["row"], i["location"]["column"], i["code"]) for i in cli
        ] == [
            (3, injection.range.start.line + 1, injection.range.start.character + 1, "PGL101"),
            (4, shape.range.start.line + 1, shape.range.start.character + 1, "PGL202"),
        ]
        actions = await code_actions(client, cells[3], shape.range)
        fix = next(a for a in actions if a.title.startswith("PGL202: Pass"))
        assert apply_edits(NOTEBOOK_CELLS[3][1], fix.edit.changes[cells[3]]).endswith("(42,))\n")
        whole = types.Range(types.Position(0, 0), types.Position(0, 0))
        [fix_all] = await code_actions(client, cells[1], whole, only=["notebook.source.fixAll"])
        assert list(fix_all.edit.changes) == [cells[3]]

        # The cell is edited: the injection goes, in that cell only.
        client.notebook_document_did_change(
            types.DidChangeNotebookDocumentParams(
                types.VersionedNotebookDocumentIdentifier(2, notebook_uri),
                types.NotebookDocumentChangeEvent(
                    cells=types.NotebookDocumentCellChanges(
                        text_content=[
                            types.NotebookDocumentCellContentChanges(
                                types.VersionedTextDocumentIdentifier(version=2, uri=cells[2]),
                                [
                                    types.TextDocumentContentChangeWholeDocument(
                                        "name = input()\ncur.execute('SELECT 1 WHERE %s', (name,))\n"
                                    )
                                ],
                            )
                        ]
                    )
                ),
            )
        )
        await until_codes(client, cells[2], [])
        assert codes(client, cells[3]) == ["PGL202"]


def _saved_notebook(path: Path) -> Path:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": text}
        if language == "markdown"
        else {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": text,
        }
        for language, text in NOTEBOOK_CELLS
    ]
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(notebook, indent=1))
    return path


async def test_the_workspace_is_summarized_in_the_background(app: Path):
    async with session(app) as client:
        # Nothing is opened: the work loop still reads the workspace once it is idle.
        said = await until(
            lambda: [m for m in client.log_messages if "summarized the workspace" in m.message],
            "the workspace summarized",
        )
        assert "4 Python files" in said[0].message
        # The client was asked to watch the files that change what pglint finds.
        watched = [r for r in client.registrations if r.method == "workspace/didChangeWatchedFiles"]
        options = watched[0].register_options  # as sent: the client does not parse it
        patterns = {w["globPattern"] for w in options["watchers"]}
        assert {"**/*.py", "**/*.ipynb", "**/pyproject.toml", "**/pglint.toml"} <= patterns


async def test_a_helper_reached_from_a_route_elsewhere_as_pglint_check_reports_it(tmp_path: Path):
    from test_server_analysis import HELPER, ROUTES

    write(tmp_path, "pyproject.toml", "[tool.pglint]\n")
    write(tmp_path, "app/__init__.py", "")
    helper = write(tmp_path, "app/db.py", HELPER)
    write(tmp_path, "app/routes.py", ROUTES)
    async with session(tmp_path) as client:
        document = open_file(client, helper)
        # The route in routes.py is learnt as the workspace is read; the helper follows.
        [engine] = await until_codes(client, document, ["PGL301"])
        cli = json.loads(
            invoke("check", "--no-cache", "--output-format", "json", str(helper)).stdout
        )
        assert [(i["code"], i["message"]) for i in cli] == [("PGL301", engine.message)]
