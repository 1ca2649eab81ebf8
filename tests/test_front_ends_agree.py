"""`pglint check`, `pglint server` and `pglint mcp` give the same findings, and the same
fixes, for every file of examples/ (the same app, read as one project by each)."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("pygls", reason="needs pglint[server]")
pytest.importorskip("mcp", reason="needs pglint[mcp]")

from conftest import ROOT, invoke
from lsp_client import code_actions, open_file, session, until
from test_mcp import assistant, call

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]

EXAMPLES = ROOT / "examples"
FILES = sorted(EXAMPLES.rglob("*.py"))


def _cli() -> list[dict]:
    run = invoke("check", "--no-cache", "--unsafe-fixes", "--output-format", "json", str(EXAMPLES))
    return json.loads(run.stdout)


def _key(item: dict) -> tuple:
    return (
        item["filename"],
        item["code"],
        item["location"]["row"],
        item["location"]["column"],
        item["end_location"]["row"],
        item["end_location"]["column"],
        item["message"],
    )


async def test_the_server_agrees_with_pglint_check(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(ROOT)
    expected = _cli()
    # The comparison means something: several files, cross-module findings, fixes.
    assert len({item["filename"] for item in expected}) >= 5
    assert {"PGL101", "PGL202", "PGL502", "PGL401"} <= {item["code"] for item in expected}
    found = []
    async with session(EXAMPLES, options={"unsafeFixes": True}) as client:
        documents = {open_file(client, path): path for path in FILES}
        await until(lambda: set(documents) <= set(client.diagnostics), "every file's findings")
        for document, path in documents.items():
            for d in client.diagnostics[document]:
                start, end = d.range.start, d.range.end
                found.append(
                    (
                        str(path),
                        d.code,
                        start.line + 1,
                        start.character + 1,
                        end.line + 1,
                        end.character + 1,
                        d.message,
                    )
                )
                fix = next(i for i in expected if _key(i) == found[-1])["fix"]
                actions = await code_actions(client, document, d.range)
                offered = [
                    a
                    for a in actions
                    if getattr(a, "kind", None) == "quickfix"
                    and a.edit
                    and a.title.startswith(f"{d.code}: ")
                    and "noqa" not in a.title
                ]
                if fix is None:
                    assert not offered, found[-1]
                    continue
                [action] = offered
                assert [
                    (
                        e.range.start.line + 1,
                        e.range.start.character + 1,
                        e.range.end.line + 1,
                        e.range.end.character + 1,
                        e.new_text,
                    )
                    for e in action.edit.changes[document]
                ] == [
                    (
                        e["location"]["row"],
                        e["location"]["column"],
                        e["end_location"]["row"],
                        e["end_location"]["column"],
                        e["content"],
                    )
                    for e in fix["edits"]
                ]
                assert ("unsafe" in action.title) == (fix["applicability"] == "unsafe")
    assert sorted(found) == sorted(_key(item) for item in expected)


async def test_the_mcp_check_tool_agrees_with_pglint_check(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(ROOT)
    expected = json.loads(
        invoke("check", "--no-cache", "--output-format", "json", str(EXAMPLES)).stdout
    )
    async with assistant(ROOT) as session:
        whole = json.loads(await call(session, "check", paths=[str(EXAMPLES)]))
        assert whole == {"findings": expected, "errors": []}
        for path in FILES:
            mine = [item for item in expected if item["filename"] == str(path)]
            one = json.loads(await call(session, "check", paths=[str(path)]))
            assert one["findings"] == mine, path
            text = json.loads(
                await call(session, "check", source=path.read_text(), filename=str(path))
            )
            assert text["findings"] == mine, path
