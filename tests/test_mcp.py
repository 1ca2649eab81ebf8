"""`pglint mcp` through the MCP SDK's own client, over stdio, as an assistant calls it."""

from __future__ import annotations

import contextlib
import json
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

pytest.importorskip("mcp", reason="the MCP tests need pglint[mcp]")

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from app_modules import SYNC_DATABASE
from conftest import FIXABLE, FIXED, INJECTION, invoke, write
from pglint.docs import render_rule
from pglint.rules import get_rule

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]


@contextlib.asynccontextmanager
async def assistant(cwd: Path) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(command=sys.executable, args=["-m", "pglint", "mcp"], cwd=cwd)
    async with (
        stdio_client(params) as (read, write_stream),
        ClientSession(read, write_stream) as session,
    ):
        await session.initialize()
        yield session


async def call(session: ClientSession, tool: str, **arguments: object) -> str:
    result = await session.call_tool(tool, arguments)
    text = "".join(getattr(part, "text", "") for part in result.content)
    assert not result.is_error, f"{tool} failed: {text}"
    return text


async def test_tools_check_fix_explain(project: Path):
    write(project, "db.py", FIXABLE)
    write(project, "bad.py", INJECTION)
    async with assistant(project) as session:
        listed = await session.list_tools()
        assert {tool.name for tool in listed.tools} == {"check", "fix", "explain"}
        check = {tool.name: tool for tool in listed.tools}["check"]
        assert {"paths", "source", "filename"} <= set(check.input_schema["properties"])

        # Files: the findings `pglint check --output-format json` reports, suggestions too.
        found = json.loads(await call(session, "check", paths=["."]))
        cli = json.loads(invoke("check", "--no-cache", "--output-format", "json", ".").stdout)
        assert found == {"findings": cli, "errors": []}
        assert all(item["suggestion"] for item in found["findings"])

        # A text about to be written, with the name it will have.
        found = json.loads(await call(session, "check", source=INJECTION, filename="new.py"))
        [item] = found["findings"]
        assert item["code"] == "PGL101" and item["filename"] == str(project / "new.py")
        assert not (project / "new.py").exists()

        # fix on a text: the fixed text, nothing written.
        fixed = json.loads(await call(session, "fix", source=FIXABLE, filename="db.py"))
        assert fixed["text"] == FIXED
        assert sorted(f["code"] for f in fixed["fixed"]) == ["PGL202", "PGL205"]
        assert fixed["diff"].startswith("--- db.py\n+++ db.py\n")
        assert (project / "db.py").read_text() == FIXABLE

        # fix on files: a diff unless asked to write.
        fixed = json.loads(await call(session, "fix", paths=["db.py"]))
        assert '+    cur.execute("SELECT * FROM users WHERE id = %s", (42,))' in fixed["diff"]
        assert (project / "db.py").read_text() == FIXABLE
        fixed = json.loads(await call(session, "fix", paths=["db.py"], write=True))
        assert fixed["written"] == ["db.py"]
        assert (project / "db.py").read_text() == FIXED

        text = await call(session, "explain", code="pgl101")
        assert text == render_rule(get_rule("PGL101"))


async def test_bad_input_is_said_not_raised(project: Path):
    write(project, "bad.py", INJECTION)
    async with assistant(project) as session:
        for arguments in (
            {},
            {"source": INJECTION},
            {"paths": ["missing.py"]},
            {"paths": ["bad.py"], "select": ["E501"]},
        ):
            result = await session.call_tool("check", arguments)
            assert result.is_error, arguments
            assert "Traceback" not in result.content[0].text
        result = await session.call_tool("explain", {"code": "PGL999"})
        assert result.is_error and "known codes: PGL000" in result.content[0].text
        # The server is still there.
        found = json.loads(await call(session, "check", paths=["bad.py"]))
        assert [item["code"] for item in found["findings"]] == ["PGL101"]


async def test_a_text_is_read_with_the_project_around_it(tmp_path: Path):
    write(tmp_path, "app/__init__.py", "")
    write(tmp_path, "app/database.py", SYNC_DATABASE)
    router = textwrap.dedent(
        """\
        from fastapi import APIRouter, Depends

        from app.database import get_db

        router = APIRouter()


        @router.get("/items")
        async def items(db=Depends(get_db)):
            return db.execute("SELECT 1")
        """
    )
    async with assistant(tmp_path) as session:
        found = json.loads(await call(session, "check", source=router, filename="app/items.py"))
        assert "PGL502" in [item["code"] for item in found["findings"]]
