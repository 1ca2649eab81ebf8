"""What `pglint server` costs the editor: re-analysis after a keystroke, the first
diagnostics on a large tree, and the server's memory once it has read that tree.

Run from the repository root (needs `pip install -e '.[server]'`, and pyflakes, which
flake8 brings):

    python bench/server_latency.py [--set apps] [--dir .bench-corpus] [--edits 30]

1. Warm re-analysis, in process: a 500-line, database-heavy router (the module of
   flake8_latency.py, plus endpoints that take `get_db` from the project's database.py)
   is opened and analysed once; then each of `--edits` one-character edits is handed to
   the server's analysis as the editor sends it (the unsaved text), analysed with the
   project warm, and turned into LSP diagnostics. Against pyflakes on the same texts in
   the same process (parse and check). Median milliseconds, alternating which goes
   first. Target: at most 2x pyflakes.
2. The same over stdio with a real client: a change, then a pull of the document's
   diagnostics (`textDocument/diagnostic`, answered without the push's pause in typing):
   the round trip an editor sees.
3. A large tree (the bench corpus, `--set apps` by default): the server starts with the
   whole tree as its workspace folder, and one file is opened as soon as it is ready.
   Seconds to that file's diagnostics, against the seconds the server takes to summarize
   the whole tree in the background; then the server's resident memory (VmRSS) once it
   has. Targets: the file's diagnostics do not wait for the tree; under 200 MB.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import DEFAULT_DIR, add_set_option, corpus_dir, machine, memory_kib, table
from flake8_latency import realistic_module

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from app_modules import SYNC_DATABASE

ENDPOINTS = """
from app.database import get_db


@app.get("/report")
async def report(db=Depends(get_db)):
    return db.execute("SELECT count(*) FROM orders").scalar()
"""


def make_project(root: Path, lines: int = 500) -> Path:
    (root / "app").mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text("[tool.pglint]\n")
    (root / "app/__init__.py").write_text("")
    (root / "app/database.py").write_text(SYNC_DATABASE)
    router = root / "app/router.py"
    router.write_text(realistic_module(lines - ENDPOINTS.count("\n")) + ENDPOINTS)
    return router


def edits(text: str, count: int) -> list[str]:
    """``count`` versions of ``text``, each one character away from it: a digit of one
    of the module's constants (`LIMIT_k = ...`), as someone typing would change it."""
    places = [m.end() for m in re.finditer(r"^LIMIT_\d+ = ", text, re.MULTILINE)]
    out = []
    for k in range(count):
        at = places[k % len(places)]
        digits = [d for d in "123456789" if d != text[at]]
        digit = digits[(k // len(places)) % len(digits)]
        out.append(text[:at] + digit + text[at + 1 :])
    return out


def warm_in_process(count: int) -> str:
    from pyflakes.checker import Checker
    from pygls.workspace import PositionCodec

    from pglint.server.analysis import Analysis
    from pglint.server.convert import Findings, Positions, Target, diagnostics_for

    with tempfile.TemporaryDirectory() as directory:
        router = make_project(Path(directory))
        original = router.read_text()
        analysis = Analysis()
        analysis.set_folders([directory])
        settings = analysis.settings_for(str(router))
        positions = Positions(PositionCodec())
        uri = router.as_uri()

        def server(text: str) -> int:
            analysis.change(str(router), text)
            result = analysis.lint(str(router), settings)
            findings = Findings(uri, 1, result.diagnostics, [Target(uri, text)])
            return len(diagnostics_for(findings, uri, positions))

        def pyflakes(text: str) -> int:
            return len(Checker(ast.parse(text, str(router)), filename=str(router)).messages)

        analysis.open(str(router), original)
        found = server(original)  # the project warm: database.py summarized
        pyflakes(original)
        checks = {"pglint server, re-analysis": server, "pyflakes (parse and check)": pyflakes}
        millis: dict[str, list[float]] = {label: [] for label in checks}
        for k, text in enumerate(edits(original, count)):
            for label in list(checks)[:: 1 if k % 2 == 0 else -1]:
                start = time.perf_counter()
                checks[label](text)
                millis[label].append((time.perf_counter() - start) * 1000)
    rows = [
        (label, f"{statistics.median(v):.2f}", f"{min(v):.2f}", f"{max(v):.2f}")
        for label, v in millis.items()
    ]
    server_ms, pyflakes_ms = (statistics.median(v) for v in millis.values())
    lines = original.count("\n")
    return (
        f"{lines}-line router, {found} findings, {count} one-character edits\n"
        + table(rows, ("in process", "median ms", "min", "max"))
        + f"\nserver ÷ pyflakes: {server_ms / pyflakes_ms:.2f} (target: at most 2)"
    )


async def over_stdio(count: int) -> str:
    from lsprotocol import types

    from lsp_client import capabilities, open_file, replace_text, session

    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        router = make_project(root)
        original = router.read_text()
        millis = []
        async with session(root, caps=capabilities("neovim")) as client:
            document = open_file(client, router)
            request = types.DocumentDiagnosticParams(types.TextDocumentIdentifier(document))
            await client.text_document_diagnostic_async(request)
            for version, text in enumerate(edits(original, count), start=2):
                start = time.perf_counter()
                replace_text(client, document, text, version)
                await client.text_document_diagnostic_async(request)
                millis.append((time.perf_counter() - start) * 1000)
    return (
        f"over stdio, a change then a pull: median {statistics.median(millis):.1f} ms "
        f"(min {min(millis):.1f}, max {max(millis):.1f}) over {count} edits"
    )


async def large_tree(tree: Path, opened: Path) -> str:
    from lsp_client import TIMEOUT, capabilities, open_file, session, until

    started = time.perf_counter()
    async with session(tree, caps=capabilities()) as client:
        ready = time.perf_counter()
        document = open_file(client, opened)
        await until(lambda: document in client.diagnostics, "the file's diagnostics")
        first = time.perf_counter()

        def summarized() -> list:
            return [m for m in client.log_messages if "summarized the workspace" in m.message]

        deadline = time.monotonic() + 1800
        while not summarized():
            if time.monotonic() > deadline:
                raise SystemExit("the server did not finish summarizing the tree in 30 min")
            await asyncio.sleep(0.5)
        indexed = time.perf_counter()
        memory = memory_kib(client._server.pid)  # type: ignore[union-attr]
        assert TIMEOUT
    rss, peak = memory or (0, 0)
    return "\n".join(
        [
            f"tree: {tree} ({sum(1 for _ in tree.rglob('*.py')):,} .py files), opened "
            f"{opened.relative_to(tree)}",
            f"server started and initialized: {ready - started:.2f} s",
            f"the opened file's diagnostics: {first - ready:.2f} s after initialize "
            f"({len(client.diagnostics[document])} findings)",
            f"the whole tree summarized: {indexed - ready:.1f} s after initialize "
            f"({summarized()[0].message})",
            f"server memory then: {rss / 1024:.0f} MB resident, peak {peak / 1024:.0f} MB "
            "(target: under 200 MB)",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--edits", type=int, default=30)
    parser.add_argument("--open", help="the file to open in the large tree (relative)")
    parser.add_argument("--no-tree", action="store_true", help="skip the large tree")
    add_set_option(parser)
    parser.set_defaults(corpus_set="apps")
    args = parser.parse_args(argv)
    print(machine())
    print()
    print(warm_in_process(args.edits))
    print()
    print(asyncio.run(over_stdio(args.edits)))
    if not args.no_tree:
        corpus = corpus_dir(args.dir, args.corpus_set)
        # The corpus lives in a directory git ignores, which the server (like `pglint
        # check`) leaves out: it is read from a copy, as a checkout of its own would be.
        with tempfile.TemporaryDirectory() as directory:
            tree = Path(directory) / corpus.name
            shutil.copytree(corpus, tree, symlinks=True)
            opened = tree / args.open if args.open else _a_router(tree)
            print()
            print(asyncio.run(large_tree(tree, opened)))
    return 0


def _a_router(tree: Path) -> Path:
    """A file with an endpoint that takes a dependency: what someone would open."""
    for path in sorted(tree.rglob("*.py")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeError):
            continue
        if "Depends(" in text and "@router." in text and len(text) > 5000:
            return path
    raise SystemExit(f"no router found under {tree}; name one with --open")


if __name__ == "__main__":
    raise SystemExit(main())
