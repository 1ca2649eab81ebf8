"""The language server's view of the project, in process: unsaved texts are what the
analysis reads, and a change drops what was made from the old text."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from app_modules import ASYNC_DATABASE
from app_modules import SYNC_DATABASE as DATABASE
from conftest import INJECTION, write
from pglint.engine import lint_file
from pglint.project import Project
from pglint.server.analysis import Analysis, Options

ROUTER = textwrap.dedent(
    """\
    from fastapi import APIRouter, Depends
    from sqlalchemy import text

    from app.deps import get_db

    router = APIRouter()


    @router.get("/items")
    async def items(db=Depends(get_db)):
        return db.execute(text("SELECT 1"))
    """
)


def _app(root: Path) -> tuple[Path, Path]:
    write(root, "app/__init__.py", "")
    database = write(root, "app/database.py", DATABASE)
    write(root, "app/deps.py", "from app.database import get_db\n")
    router = write(root, "app/items.py", ROUTER)
    return database, router


def _codes(result) -> list[str]:
    return [d.code for d in result.diagnostics]


def test_lint_file_reads_the_text_it_is_given(tmp_path: Path):
    _, router = _app(tmp_path)
    assert _codes(lint_file(str(router), project=Project())) == ["PGL502"]
    unsaved = ROUTER.replace("async def items", "def items").encode()
    assert _codes(lint_file(str(router), project=Project(), text=unsaved)) == []
    assert router.read_text() == ROUTER


def test_a_projects_overlay_is_what_importers_see(tmp_path: Path):
    database, router = _app(tmp_path)
    project = Project(overlay={str(database.resolve()): ASYNC_DATABASE.encode()})
    assert _codes(lint_file(str(router), project=project)) == []


def test_an_edit_reaches_the_documents_that_read_it_through_another_module(tmp_path: Path):
    database, router = _app(tmp_path)
    analysis = Analysis()
    analysis.set_folders([str(tmp_path)])
    settings = analysis.settings_for(str(router))
    analysis.open(str(router), ROUTER)
    assert _codes(analysis.lint(str(router), settings)) == ["PGL502"]
    # database.py is opened and edited: the router (through deps.py) is affected.
    analysis.open(str(database), DATABASE)
    affected = analysis.change(str(database), ASYNC_DATABASE)
    assert str(router.resolve()) in affected
    assert _codes(analysis.lint(str(router), settings)) == []
    # Closed unsaved: the disk's text again.
    assert str(router.resolve()) in analysis.close(str(database))
    assert _codes(analysis.lint(str(router), settings)) == ["PGL502"]
    # Saved by another program.
    database.write_text(ASYNC_DATABASE)
    assert str(router.resolve()) in analysis.changed_on_disk(
        [str(database)], created_or_deleted=False
    )
    assert _codes(analysis.lint(str(router), settings)) == []


def test_a_module_that_appears_is_found(tmp_path: Path):
    _, router = _app(tmp_path)
    (tmp_path / "app/deps.py").unlink()
    analysis = Analysis()
    analysis.set_folders([str(tmp_path)])
    settings = analysis.settings_for(str(router))
    analysis.open(str(router), ROUTER)
    assert _codes(analysis.lint(str(router), settings)) == []
    write(tmp_path, "app/deps.py", "from app.database import get_db\n")
    analysis.changed_on_disk([str(tmp_path / "app/deps.py")], created_or_deleted=True)
    assert _codes(analysis.lint(str(router), settings)) == ["PGL502"]


def test_client_options_are_checked():
    options, problems = Options.parse(
        {"select": ["PGL1"], "ignore": "PGL101", "extendSelect": ["E501"], "unsafeFixes": 1}
    )
    assert options.select == ("PGL1",) and options.ignore == ("PGL101",)
    assert options.extend_select == () and not options.unsafe_fixes
    assert sorted(problems) == [
        "extendSelect: invalid rule code 'E501'",
        "unsafeFixes must be true or false",
    ]
    assert Options.parse({"pglint": {"unsafeFixes": True}})[0].unsafe_fixes
    assert Options.parse(["PGL"])[1] == ["settings must be an object, got list"]


def test_the_command_line_imports_neither_pygls_nor_the_mcp_sdk(tmp_path: Path):
    write(tmp_path, "db.py", INJECTION)
    script = textwrap.dedent(
        """\
        import sys
        import pglint.cli
        try:
            pglint.cli.main(["check", "--no-cache", "db.py"])
        except SystemExit:
            pass
        loaded = {"pygls", "lsprotocol", "mcp"} & {m.split(".")[0] for m in sys.modules}
        print(sorted(loaded))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert "PGL101" in done.stdout
    assert done.stdout.strip().endswith("[]")


def test_positions_count_in_the_clients_encoding():
    from lsprotocol import types
    from pygls.workspace import PositionCodec

    from pglint.diagnostics import Location
    from pglint.server.convert import Positions, Target

    # pglint counts characters; a client counts UTF-16 units (two for an emoji) unless
    # it asked for UTF-8 (four bytes) or UTF-32.
    target = Target("file:///x.py", "a = '\U0001f600'; cur.execute(q)\nb = 1\n")
    column = target.text.index("cur") + 1
    for encoding, expected in (("utf-16", 10), ("utf-8", 12), ("utf-32", 9)):
        positions = Positions(PositionCodec(encoding))
        start = positions.position(target, Location(1, column))
        assert start == types.Position(0, expected), encoding
        assert positions.location(target, start) == Location(1, column)
    # The end of a text that ends with a line break is the start of the next line.
    assert Positions(PositionCodec()).position(target, Location(3, 1)) == types.Position(2, 0)


def test_without_the_extra_the_command_says_what_to_install():
    script = textwrap.dedent(
        """\
        import sys
        sys.modules["pygls"] = None  # as if pglint[server] were not installed
        sys.modules["mcp"] = None
        import pglint.cli
        for command in ("server", "mcp"):
            try:
                pglint.cli.main([command])
            except SystemExit as exit:
                print(command, exit.code)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.stdout.split() == ["server", "2", "mcp", "2"]
    assert "pip install 'pglint[server]'" in done.stderr
    assert "pip install 'pglint[mcp]'" in done.stderr
    assert "Traceback" not in done.stderr


HELPER = textwrap.dedent(
    """\
    from sqlalchemy import create_engine, text


    def count_rows(table_id):
        engine = create_engine("postgresql://localhost/shop")
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM t WHERE id = :i"), {"i": table_id})
    """
)
ROUTES = textwrap.dedent(
    """\
    from fastapi import FastAPI

    from app.db import count_rows

    app = FastAPI()


    @app.get("/count/{table_id}")
    def count(table_id: int):
        return count_rows(table_id)
    """
)


def test_a_helper_reached_from_a_route_in_another_module_is_seen_through_the_program(
    tmp_path: Path,
):
    """What the program says of a function (a route elsewhere reaches it per request) is
    what `pglint check` reports; the server learns it as it reads the workspace."""
    write(tmp_path, "pyproject.toml", "[tool.pglint]\n")
    write(tmp_path, "app/__init__.py", "")
    helper = write(tmp_path, "app/db.py", HELPER)
    routes = write(tmp_path, "app/routes.py", ROUTES)
    analysis = Analysis()
    analysis.set_folders([str(tmp_path)])
    settings = analysis.settings_for(str(helper))
    analysis.open(str(helper), HELPER)
    assert _codes(analysis.lint(str(helper), settings)) == []  # no route known yet
    analysis.index(str(routes))
    assert analysis.disagreeing() == {str(helper.resolve())}
    assert _codes(analysis.lint(str(helper), settings)) == ["PGL301"]
    assert not analysis.disagreeing()
    # The route edited away (unsaved, in the editor): the helper is no longer per request.
    analysis.open(str(routes), ROUTES)
    analysis.lint(str(routes), settings)
    analysis.change(str(routes), ROUTES.replace('@app.get("/count/{table_id}")\n', ""))
    analysis.lint(str(routes), settings)
    assert str(helper.resolve()) in analysis.disagreeing()
    assert _codes(analysis.lint(str(helper), settings)) == []
