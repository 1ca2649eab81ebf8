"""The whole program: facts about a module's functions that only the rest of the tree can
tell, and the same answer from every front end.

Each case is a small project written here: a helper in one module, the route that
reaches it in another. The project fixtures under tests/fixtures/projects/ carry the
larger layouts (their findings are checked by test_fixtures.py); here the same projects
are read through every front end and must agree.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, invoke, write
from pglint import lint_paths
from pglint.program import Program
from pglint.program.entries import ModuleEntry
from pglint.program.view import read_of_json, read_to_json
from pglint.project import Project

PROJECTS = sorted(p for p in (ROOT / "tests" / "fixtures" / "projects").iterdir() if p.is_dir())

DB = """\
import os

import psycopg2


def get_conn():
    return psycopg2.connect(os.environ["DATABASE_URL"])
"""

ROUTER = """\
from fastapi import APIRouter

from app.db import get_conn

router = APIRouter()


@router.get("/todos")
def todos():
    conn = get_conn()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT id FROM todos")
            return cur.fetchall()
    finally:
        conn.close()
"""


def app(project: Path, router: str = ROUTER) -> None:
    write(project, "app/__init__.py", "")
    write(project, "app/db.py", DB)
    write(project, "app/routers/__init__.py", "")
    write(project, "app/routers/todos.py", router)


def findings(*args: str, input: str | None = None) -> list[tuple[str, int, str]]:
    run = invoke("check", "--output-format", "json", *args, input=input)
    assert run.exit_code in (0, 1), run.stderr
    return sorted(
        (Path(os.path.relpath(d["filename"])).as_posix(), d["location"]["row"], d["code"])
        for d in json.loads(run.stdout)
    )


# --- across modules ------------------------------------------------------------------------


def test_a_helper_a_router_of_another_module_reaches_is_reported_where_it_connects(project):
    app(project)
    assert ("app/db.py", 7, "PGL302") in findings(".")


def test_the_message_names_the_route_and_the_full_report_the_chain(project):
    app(project)
    out = invoke("check", "--no-cache", ".").stdout
    assert "via `GET /todos`" in out
    assert "app/routers/todos.py:9" in out  # the route, in the note under the finding


def test_sarif_gives_the_chain_as_related_locations(project):
    app(project)
    sarif = json.loads(invoke("check", "--output-format", "sarif", ".").stdout)
    (result,) = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "PGL302"]
    related = result["relatedLocations"]
    assert related[0]["physicalLocation"]["artifactLocation"]["uri"] == "app/routers/todos.py"
    assert related[0]["physicalLocation"]["region"]["startLine"] == 9
    assert "GET /todos" in related[0]["message"]["text"]


def test_a_helper_no_route_reaches_is_not_reported(project):
    app(project, ROUTER.replace('@router.get("/todos")\n', ""))
    assert findings(".") == []


def test_a_helper_only_a_script_calls_is_not_reported(project):
    app(project, ROUTER.replace('@router.get("/todos")\n', ""))
    write(project, "scripts/load.py", "from app.db import get_conn\n\n\ndef main():\n"
          "    conn = get_conn()\n    conn.close()\n\n\nif __name__ == '__main__':\n"
          "    main()\n")  # fmt: skip
    assert findings(".") == []


def test_a_connection_a_route_takes_from_a_helper_and_never_closes(project):
    router = ROUTER.replace(
        "    try:\n        with conn.cursor() as cur:\n"
        '            cur.execute("SELECT id FROM todos")\n'
        "            return cur.fetchall()\n    finally:\n        conn.close()\n",
        '    cur = conn.cursor()\n    cur.execute("SELECT id FROM todos")\n'
        "    return cur.fetchall()\n",
    )
    app(project, router)
    assert ("app/routers/todos.py", 10, "PGL403") in findings(".")


def test_a_dependency_named_in_another_module_that_returns_its_session(project):
    write(project, "app/__init__.py", "")
    write(project, "app/deps.py", "from sqlalchemy.orm import sessionmaker\n\n"
          "SessionLocal = sessionmaker()\n\n\ndef open_session():\n"
          "    session = SessionLocal()\n    return session\n")  # fmt: skip
    write(project, "app/main.py", "from fastapi import Depends, FastAPI\n\n"
          "from app.deps import open_session\n\napp = FastAPI()\n\n\n"
          '@app.get("/")\ndef index(session=Depends(open_session)):\n    return 1\n')  # fmt: skip
    assert ("app/deps.py", 8, "PGL401") in findings(".")


# --- the same answer everywhere -------------------------------------------------------------


def test_one_file_named_alone_gets_what_the_whole_project_says(project):
    app(project)
    assert findings("app/db.py") == [("app/db.py", 7, "PGL302")]


def test_standard_input_named_after_a_file_reads_its_project(project):
    app(project)
    assert findings("--stdin-filename", "app/db.py", "-", input=DB) == [("app/db.py", 7, "PGL302")]


def test_standard_input_reads_the_rest_of_its_project_from_a_warm_cache(project):
    app(project)
    findings(".")  # every module's facts now come from the cache
    assert findings("--stdin-filename", "app/db.py", "-", input=DB) == [("app/db.py", 7, "PGL302")]
    done = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "PGL", "--format=%(row)d\t%(code)s",
         "app/db.py"],
        cwd=project, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.stdout.split() == ["7", "PGL302"], done.stdout + done.stderr


def test_the_cache_lints_a_helper_again_when_its_last_route_goes(project):
    app(project)
    assert findings(".") != []
    write(project, "app/routers/todos.py", ROUTER.replace('@router.get("/todos")\n', ""))
    assert findings(".") == []
    assert findings(".", "--no-cache") == []


@pytest.mark.slow
@pytest.mark.parametrize("fixture", PROJECTS, ids=[p.name for p in PROJECTS])
def test_check_single_files_and_stdin_agree_on_every_fixture_project(
    fixture, tmp_path, monkeypatch
):
    copy = tmp_path / fixture.name
    shutil.copytree(fixture, copy)
    monkeypatch.chdir(copy)
    whole = findings("--no-cache", ".")
    assert whole, f"{fixture.name} has findings"
    for path in sorted(copy.rglob("*.py")):
        name = path.relative_to(copy).as_posix()
        expected = [f for f in whole if f[0] == name]
        assert findings("--no-cache", name) == expected, name
        text = path.read_text()
        assert findings("--no-cache", "--stdin-filename", name, "-", input=text) == expected, name


@pytest.mark.slow
@pytest.mark.parametrize("fixture", PROJECTS, ids=[p.name for p in PROJECTS])
def test_flake8_agrees_with_check_on_every_fixture_project(fixture, tmp_path, monkeypatch):
    copy = tmp_path / fixture.name
    shutil.copytree(fixture, copy)
    monkeypatch.chdir(copy)
    whole = findings("--no-cache", ".")
    done = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "PGL", "--format=%(path)s\t%(row)d\t%(code)s",
         "."],
        cwd=copy, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    by_flake8 = sorted(
        (Path(path).as_posix().removeprefix("./"), int(row), code)
        for path, row, code in (line.split("\t") for line in done.stdout.splitlines())
    )
    assert by_flake8 == whole


# --- the program itself ---------------------------------------------------------------------


def _program(root: Path) -> tuple[Program, dict[str, str]]:
    project = Project()
    results = lint_paths([str(root)], project=project)
    entries = {r.module_path: r.entry for r in results if r.module_path and r.entry}
    names = {Path(p).relative_to(root.resolve()).as_posix(): p for p in entries}
    return Program(entries, locate=project.locate, load=project.index_entry), names


def test_private_parameters_every_caller_passes_a_literal_are_safe(project):
    write(project, "q.py", "def _count(cur, table):\n"
          '    cur.execute(f"SELECT count(*) FROM {table}")\n\n\n'
          "def counts(cur):\n"
          '    return _count(cur, "todos"), _count(cur, table="tags")\n')  # fmt: skip
    program, names = _program(project)
    assert program.fact(names["q.py"], "_count", "safe_params") == frozenset({"table"})


def test_a_private_helper_one_caller_passes_its_own_parameter_is_not_safe(project):
    write(project, "q.py", "def _count(cur, table):\n"
          '    cur.execute(f"SELECT count(*) FROM {table}")\n\n\n'
          "def counts(cur, name):\n    return _count(cur, name)\n")  # fmt: skip
    program, names = _program(project)
    assert program.fact(names["q.py"], "_count", "safe_params") == frozenset()
    assert [f[2] for f in findings(".")] == ["PGL102"]


def test_a_parameter_every_caller_passes_the_same_driver_object(project):
    write(project, "repo.py", "def find(cur, todo_id):\n"
          '    cur.execute("SELECT * FROM todos WHERE id = $1", (todo_id,))\n')  # fmt: skip
    write(project, "main.py", "import psycopg2\n\nfrom repo import find\n\n\n"
          "def main():\n    cur = psycopg2.connect('').cursor()\n"
          "    return find(cur, 1)\n")  # fmt: skip
    program, names = _program(project)
    kinds = program.fact(names["repo.py"], "find", "param_kinds")
    assert kinds == (("cur", "psycopg2", "cursor"),)
    assert ("repo.py", 2, "PGL201") in findings(".")


def test_entries_and_read_facts_survive_json(project):
    app(project)
    results = lint_paths([str(project)])
    for result in results:
        if result.entry is not None:
            assert ModuleEntry.from_json(result.entry.to_json()) == result.entry
        if result.read:
            assert read_of_json(read_to_json(result.read)) == result.read
