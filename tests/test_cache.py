"""The cache: a second run reuses what has not changed and reports exactly what a run
without the cache reports; a change to a module another file depends on re-lints that
file; a broken, foreign or unwritable cache never changes a result or stops a run."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import FIXTURE_FILES, ROOT, console, invoke, write
from pglint import engine

APP = ROOT / "tests" / "fixtures" / "projects" / "async_app"
SUMMARY = re.compile(
    r"pglint: ([\d,]+) files? in [\d.]+ s: ([\d,]+) analysed, ([\d,]+) without database code "
    r"\(not parsed\), ([\d,]+) unchanged"
)


def counts(stderr: str) -> tuple[int, int, int, int]:
    """(files, analysed, skipped, from the cache) from the `--verbose` line."""
    match = SUMMARY.search(stderr)
    assert match, stderr
    return tuple(int(g.replace(",", "")) for g in match.groups())  # type: ignore[return-value]


def check(cwd: Path, *args: str):
    run = console("check", "--output-format", "json", "-v", *args, ".", cwd=cwd)
    assert "Traceback" not in run.stderr
    return run


def findings(run) -> list[tuple]:
    return sorted((d["filename"], d["code"], d["location"]["row"]) for d in json.loads(run.stdout))


@pytest.fixture
def app(project: Path) -> Path:
    shutil.copytree(APP, project / "app_root")
    return project / "app_root"


@pytest.mark.slow
def test_a_second_run_reuses_everything_and_reports_the_same(app):
    first = check(app)
    second = check(app)
    fresh = check(app, "--no-cache")
    assert first.exit_code == second.exit_code == fresh.exit_code == 1
    assert findings(first) == findings(second) == findings(fresh) != []
    assert json.loads(first.stdout) == json.loads(second.stdout)
    total, analysed, _, reused = counts(first.stderr)
    assert reused == 0 and analysed > 0
    assert counts(second.stderr) == (total, 0, 0, total)
    assert counts(fresh.stderr)[3] == 0


@pytest.mark.slow
def test_changing_a_module_relints_the_files_that_depend_on_it(app):
    before = findings(check(app))
    assert any(name.endswith("users.py") and code == "PGL502" for name, code, _ in before)
    # The dependency becomes async: the router's sync-session findings must go away.
    deps = next(app.rglob("deps.py"))
    text = deps.read_text()
    assert "SessionLocal" in text
    run = check(app)  # everything from the cache
    assert counts(run.stderr)[3] == counts(run.stderr)[0]
    # A change that leaves what deps.py exports as it was: only deps.py is linted again.
    deps.write_text(text + "\n\ndef unrelated():\n    return 1\n")
    after_unrelated = check(app)
    total, analysed, skipped, reused = counts(after_unrelated.stderr)
    assert findings(after_unrelated) == before
    assert (analysed + skipped, reused) == (1, total - 1)
    assert findings(after_unrelated) == findings(check(app, "--no-cache"))
    # The dependency becomes async: what it exports changes, so the routers that
    # resolve get_db through it are linted again and their sync-session findings go.
    deps.write_text(text.replace("    db = SessionLocal()", "    db = object()"))
    after = check(app)
    assert counts(after.stderr)[1] + counts(after.stderr)[2] > 1
    assert findings(after) == findings(check(app, "--no-cache")) != before


@pytest.mark.slow
def test_a_module_that_did_not_change_is_not_taken_as_it_was_when_what_it_reads_did(app):
    """deps.py is unchanged, and the cache knows what it exported; but database.py, which
    it reads, now makes async sessions: deps.py's `get_db` is worked out again, and the
    router that takes its session from `get_db` no longer gets a sync one."""
    before = findings(check(app))
    assert any(code == "PGL502" for _, code, _ in before)
    database = next(app.rglob("database.py"))
    text = database.read_text()
    sync = "SessionLocal = sessionmaker(bind=engine, autoflush=False)\n"
    assert sync in text
    database.write_text(
        text.replace(sync, "")
        + "SessionLocal = async_sessionmaker(async_engine, expire_on_commit=False)\n"
    )
    after = findings(check(app))
    assert after == findings(check(app, "--no-cache")) != before
    assert not [f for f in after if f[1] == "PGL502" and f[0].endswith("users.py") and f[2] == 12]


@pytest.mark.slow
def test_edits_to_an_imported_module_change_the_importers_findings(project):
    """`jobs.py` never changes; whether its code blocks depends on `db.py` alone."""
    write(project, "db.py", SYNC_ENGINE)
    write(
        project,
        "jobs.py",
        "from db import engine\n\n\nasync def report():\n"
        "    with engine.connect() as conn:\n"
        '        return conn.exec_driver_sql("SELECT 1").all()\n',
    )
    assert findings(check(project)) == [(str(project / "jobs.py"), "PGL501", 5)]
    write(project, "db.py", SYNC_ENGINE.replace("create_engine", "create_async_engine"))
    second = check(project)
    assert counts(second.stderr)[3] == 0  # both files linted again
    assert findings(second) == findings(check(project, "--no-cache")) == []
    write(project, "db.py", SYNC_ENGINE)
    assert findings(check(project)) == [(str(project / "jobs.py"), "PGL501", 5)]


SYNC_ENGINE = 'from sqlalchemy import create_engine\nengine = create_engine("postgresql:///app")\n'


@pytest.mark.slow
def test_other_settings_do_not_reuse_results(app):
    everything = findings(check(app))
    only_502 = check(app, "--select", "PGL502")
    assert counts(only_502.stderr)[3] == 0
    assert {code for _, code, _ in findings(only_502)} == {"PGL502"}
    assert findings(check(app)) == everything


@pytest.mark.slow
def test_same_size_edit_in_the_same_second_is_seen(project):
    """A file changed right after it was recorded, its time and size put back: the
    recorded time was too recent to trust, so the content is hashed again."""
    head = "import psycopg2\ncur = psycopg2.connect().cursor()\n"
    bound = head + 'cur.execute("SELECT * FROM t WHERE a = %s", (x,))\n'
    built = head + 'cur.execute(f"SELECT * FROM t WHERE a = {x}")'
    path = write(project, "q.py", bound)
    info = path.stat()
    assert findings(check(project)) == []
    path.write_text(built.ljust(len(bound) - 1) + "\n")
    assert path.stat().st_size == info.st_size
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    second = check(project)
    assert counts(second.stderr)[3] == 0
    assert [code for _, code, _ in findings(second)] == ["PGL101"]


@pytest.mark.slow
def test_broken_and_foreign_caches_are_ignored(app):
    expected = findings(check(app, "--no-cache"))
    check(app)
    [cache_file] = (app / ".pglint_cache").rglob("*.json")
    for garbage in (b"{not json", b"[]", b'{"version": 0}', json.dumps({"version": "x"}).encode()):
        cache_file.write_bytes(garbage)
        run = check(app)
        assert findings(run) == expected and counts(run.stderr)[3] == 0
    # Entries of the wrong shape, under the right version: linted again, never trusted.
    check(app)
    data = json.loads(cache_file.read_text())
    for entry in data["results"].values():
        entry["diagnostics"] = [["PGL999", "planted"]]
    cache_file.write_text(json.dumps(data))
    run = check(app)
    assert findings(run) == expected


@pytest.mark.slow
def test_the_cache_directory_is_marked_and_no_cache_writes_nothing(project):
    write(project, "a.py", "import psycopg2\n")
    check(project, "--no-cache")
    assert not (project / ".pglint_cache").exists()
    check(project)
    root = project / ".pglint_cache"
    assert (root / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (
        (root / "CACHEDIR.TAG")
        .read_text()
        .startswith("Signature: 8a477f597d28d172789f06886806bc55")
    )
    other = project / "elsewhere"
    run = console("check", "-v", "--cache-dir", str(other), ".", cwd=project)
    assert run.exit_code == 0 and list(other.rglob("*.json"))


def test_an_unwritable_cache_location_is_a_warning(project):
    write(project, "a.py", "import psycopg2\n")
    blocker = write(project, "not-a-directory", "")
    run = console("check", "--cache-dir", str(blocker / "c"), ".", cwd=project)
    assert run.exit_code == 0
    assert "pglint: warning: cannot write the cache" in run.stderr


@pytest.mark.slow
def test_concurrent_runs_agree_and_leave_a_valid_cache(project):
    for fixture in FIXTURE_FILES:
        shutil.copy(fixture, project / fixture.name)
    expected = findings(check(project, "--no-cache"))
    script = Path(sys.executable).with_name("pglint")
    runs = [
        subprocess.Popen(
            [str(script), "check", "--output-format", "json", "."],
            cwd=project,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    for stdout, stderr in outputs:
        assert b"Traceback" not in stderr
        items = json.loads(stdout)
        assert sorted((d["filename"], d["code"], d["location"]["row"]) for d in items) == expected
    [cache_file] = (project / ".pglint_cache").rglob("*.json")
    json.loads(cache_file.read_text())
    assert not [p for p in cache_file.parent.iterdir() if p.name.startswith(".tmp-")]
    assert findings(check(project)) == expected


@pytest.mark.slow
def test_a_module_that_appears_outside_the_linted_files_relints_its_importers(project):
    """Only `jobs.py` is linted; `db.py`, which it imports, is created after the first
    run: what `engine` is changes, so the recorded result must not be reused."""
    write(project, "jobs.py", JOBS)
    first = console("check", "--output-format", "json", "-v", "jobs.py", cwd=project)
    assert findings(first) == []
    write(project, "db.py", SYNC_ENGINE)
    second = console("check", "--output-format", "json", "-v", "jobs.py", cwd=project)
    expected = [(str(project / "jobs.py"), "PGL501", 5)]
    assert findings(console("check", "--output-format", "json", "--no-cache", "jobs.py",
                            cwd=project)) == expected  # fmt: skip
    assert findings(second) == expected
    write(project, "db.py", b"\xff\xfe not text")  # unreadable as a module: unknown again
    assert findings(console("check", "--output-format", "json", "jobs.py", cwd=project)) == []


JOBS = (
    "from db import engine\n\n\nasync def report():\n"
    "    with engine.connect() as conn:\n"
    '        return conn.exec_driver_sql("SELECT 1").all()\n'
)


@pytest.mark.slow
def test_a_fix_run_records_the_modules_its_fixed_files_read(project):
    """`a.py` is fixed (its result is not kept) and is the first to read `db.py`, which
    is not linted itself: `b.py`, linted next, resolves through `db.py` too, so an edit
    to `db.py` must re-lint it."""
    write(project, "db.py", SYNC_ENGINE)
    write(
        project,
        "a.py",
        "import asyncpg\n\nfrom db import engine\n\n\nasync def go(x):\n    print(engine)\n"
        "    conn = await asyncpg.connect()\n"
        '    return await conn.fetch("SELECT * FROM t WHERE id = %s", x)\n',
    )
    write(project, "b.py", JOBS)
    fixing = console("check", "--fix", "a.py", "b.py", cwd=project)
    assert "1 fixed" in fixing.stdout, fixing.stdout
    write(project, "db.py", SYNC_ENGINE.replace("create_engine", "create_async_engine"))
    after = console("check", "--output-format", "json", "a.py", "b.py", cwd=project)
    assert findings(after) == []


@pytest.mark.slow
def test_a_file_changed_while_it_is_linted_is_linted_again(project, monkeypatch):
    """The file is edited right after pglint read it and the result is recorded well
    after that edit (a slow file): the time and size recorded must be those of the text
    linted, or the next run takes the new text for the old one."""
    bound = 'import psycopg2\ncur = psycopg2.connect().cursor()\ncur.execute("SELECT %s", (x,))\n'
    built = 'import psycopg2\ncur = psycopg2.connect().cursor()\ncur.execute(f"SELECT {x}")\n'
    path = write(project, "q.py", bound)
    real_read = engine.read_source_file

    def read_then_edit(name, *args):
        data = real_read(name, *args)
        if name.endswith("q.py"):
            path.write_text(built)
            before = time.time_ns() - 60 * 10**9  # long enough ago not to be racy
            os.utime(path, ns=(before, before))
        return data

    monkeypatch.setattr(engine, "read_source_file", read_then_edit)
    assert invoke("check", "--output-format", "json", "q.py").exit_code == 0
    monkeypatch.undo()
    again = console("check", "--output-format", "json", "q.py", cwd=project)
    fresh = console("check", "--output-format", "json", "--no-cache", "q.py", cwd=project)
    assert findings(again) == findings(fresh) != []


@pytest.mark.slow
def test_runs_in_one_process_each_record_the_whole_import_graph(project):
    """A second run in the same process (another set of files: another cache file) finds
    the project's files already read; it must still record what they use."""
    write(project, "db.py", SYNC_ENGINE)
    write(project, "jobs.py", JOBS)
    write(project, "other.py", "import psycopg2\n")
    expected = [(str(project / "jobs.py"), "PGL501", 5)]
    assert findings(invoke("check", "--output-format", "json", "jobs.py", "other.py")) == expected
    assert findings(invoke("check", "--output-format", "json", "jobs.py")) == expected
    write(project, "db.py", SYNC_ENGINE.replace("create_engine", "create_async_engine"))
    assert findings(console("check", "--output-format", "json", "jobs.py", cwd=project)) == []


@pytest.mark.slow
def test_notebooks_are_cached_like_files(project):
    notebook = (Path(__file__).parent / "fixtures" / "notebooks" / "orders.ipynb").read_text()
    write(project, "orders.ipynb", notebook)
    first = check(project)
    assert counts(first.stderr)[3] == 0
    second = check(project)
    assert counts(second.stderr) == (1, 0, 0, 1)  # taken from the cache, not linted again
    assert "pglint: 1 file in " in second.stderr  # and said in grammatical English
    assert findings(second) == findings(first) != []
    # The cells and rows of the findings are found again for the reports.
    again = console("check", "--output-format", "concise", "orders.ipynb", cwd=project)
    assert ":cell 6:3:1: PGL101" in again.stdout
    assert json.loads(check(project).stdout)[0]["cell"] == 6
    # An edit is seen.
    write(project, "orders.ipynb", notebook.replace("customer = '{name}'", "customer = %s"))
    third = check(project)
    assert counts(third.stderr)[3] == 0
    assert "PGL101" not in {code for _, code, _ in findings(third)}
