"""Project-wide facts: module summaries, import resolution, one parse per file."""

from __future__ import annotations

import ast
import os
from collections import Counter
from pathlib import Path

import pytest

from pglint import lint_paths, lint_source
from pglint.engine import lint_file
from pglint.module_files import ModuleFiles, absolute_name, module_name, root_listing
from pglint.prefilter import has_database_code
from pglint.project import Project

APP = Path(__file__).parent / "fixtures" / "projects" / "async_app"


def codes(result) -> Counter:
    return Counter(d.code for d in result.diagnostics)


def test_a_directory_is_parsed_once_per_file(monkeypatch):
    parsed: Counter[str] = Counter()
    real_parse = ast.parse

    def counting_parse(source, filename="<unknown>", *args, **kwargs):
        parsed[str(Path(filename).resolve())] += 1
        return real_parse(source, filename, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", counting_parse)
    results = lint_paths([str(APP)])
    files = {str(p.resolve()) for p in APP.rglob("*.py")}
    assert len(results) == len(files) > 5
    assert set(parsed) <= files
    assert max(parsed.values()) == 1, parsed
    # The files not parsed are those without database code (pglint.prefilter).
    skipped = files - set(parsed)
    assert skipped and not any(has_database_code(Path(f).read_text()) for f in skipped)


def test_findings_that_need_another_module():
    """Linted alone, a router cannot tell what `get_db` or `pool` is."""
    users = APP / "app" / "routers" / "users.py"
    orders = APP / "app" / "routers" / "orders.py"
    alone = lint_source(users.read_text(), str(users))
    assert "PGL502" not in codes(alone)
    in_project = {Path(r.filename).name: codes(r) for r in lint_paths([str(APP)])}
    assert in_project["users.py"]["PGL502"] == 2
    alone_orders = codes(lint_source(orders.read_text(), str(orders)))
    assert not alone_orders
    assert in_project["orders.py"] == Counter({"PGL201": 1, "PGL501": 1, "PGL503": 1})


def test_summaries_say_what_a_module_exports():
    project = Project()
    deps = project.summary(str(APP / "app" / "deps.py")).exports
    assert deps["get_db"].role == "provider"
    assert (deps["get_db"].kind.driver, deps["get_db"].kind.role) == ("sqlalchemy", "session")
    assert deps["get_db"].yields
    assert deps["get_async_db"].kind.driver == "sqlalchemy_async"
    assert deps["SessionDep"].role == "annotation"
    # Re-exported names carry what the defining module said.
    assert deps["SessionLocal"].kind.role == "sessionmaker"
    database = project.summary(str(APP / "app" / "database.py")).exports
    assert database["engine"].kind.role == "engine"
    assert database["AsyncSessionLocal"].kind.driver == "sqlalchemy_async"
    assert "DATABASE_URL" not in database
    db = project.summary(str(APP / "app" / "db.py")).exports
    assert (db["pool"].kind.driver, db["pool"].role) == ("asyncpg", "object")


def test_summaries_are_cached_by_content(tmp_path):
    (tmp_path / "a.py").write_text("import asyncpg\n\npool: asyncpg.Pool\n")
    (tmp_path / "b.py").write_text("import asyncpg\n\npool: asyncpg.Pool\n")
    project = Project()
    first = project.summary(str(tmp_path / "a.py"))
    second = project.summary(str(tmp_path / "b.py"))
    assert second is first  # same content, same imports: one summary
    assert project.parses == 2  # each file is still read once


def test_a_changed_file_is_read_again(tmp_path):
    db = tmp_path / "db.py"
    db.write_text("import asyncpg\n\npool: asyncpg.Pool\n")
    user = tmp_path / "user.py"
    user.write_text(
        'from db import pool\n\nasync def touch():\n    pool.execute("UPDATE t SET x = 1")\n'
    )
    project = Project()
    assert codes(lint_file(str(user), project=project))["PGL503"] == 1
    db.write_text("import psycopg2\n\npool = None\n")
    assert not lint_file(str(user), project=project).diagnostics


def test_import_cycles_do_not_loop(tmp_path):
    (tmp_path / "a.py").write_text("from b import get_db\nimport asyncpg\n\npool: asyncpg.Pool\n")
    (tmp_path / "b.py").write_text(
        "from a import pool\n\nasync def get_db():\n    async with pool.acquire() as c:\n"
        "        yield c\n"
    )
    results = lint_paths([str(tmp_path)])
    assert all(r.error is None and not r.diagnostics for r in results)
    exports = Project().summary(str(tmp_path / "b.py")).exports
    assert exports["get_db"].kind.driver == "asyncpg"


def test_syntax_errors_and_undecodable_files_in_a_project(tmp_path):
    (tmp_path / "broken.py").write_text("import psycopg2; connect = psycopg2.connect\ndef f(:\n")
    (tmp_path / "latin.py").write_bytes(b"x = '\xe9'\n")
    (tmp_path / "user.py").write_text("from broken import f\nfrom latin import x\n")
    results = {Path(r.filename).name: r for r in lint_paths([str(tmp_path)])}
    assert [d.code for d in results["broken.py"].diagnostics] == ["PGL001"]
    assert results["latin.py"].error
    assert results["user.py"].error is None and not results["user.py"].diagnostics


def test_module_names(tmp_path):
    package = tmp_path / "app" / "routers"
    package.mkdir(parents=True)
    (tmp_path / "app" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "users.py").write_text("")
    assert module_name(str(package / "users.py")) == (str(tmp_path), "app.routers.users")
    assert module_name(str(package / "__init__.py")) == (str(tmp_path), "app.routers")
    assert module_name(str(tmp_path / "main.py")) == (str(tmp_path), "main")


def test_imported_names_are_found_as_import_finds_them(tmp_path):
    """Looked up in directory listings: a module file, a package's `__init__`, the
    longest dotted prefix that is a file; not a directory named like a module, not a
    directory without `__init__.py`, not a broken link."""
    (tmp_path / "app" / "db").mkdir(parents=True)
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "db" / "__init__.py").write_text("")
    (tmp_path / "app" / "deps.py").write_text("")
    (tmp_path / "app" / "fake.py").mkdir()
    (tmp_path / "app" / "plain").mkdir()
    (tmp_path / "app" / "gone.py").symlink_to(tmp_path / "nowhere.py")
    (tmp_path / "app" / "linked.py").symlink_to(tmp_path / "app" / "deps.py")
    disk = ModuleFiles()
    root = str(tmp_path)

    def found(dotted):
        hit, _ = disk.find(root, dotted)
        return None if hit is None else (os.path.relpath(hit[0], root), hit[1])

    assert found("app.deps.get_db") == (os.path.join("app", "deps.py"), ["get_db"])
    assert found("app.db.engine") == (os.path.join("app", "db", "__init__.py"), ["engine"])
    assert found("app.linked.x") == (os.path.join("app", "linked.py"), ["x"])
    for dotted in ("app.fake.x", "app.plain.x", "app.gone.x"):
        expected = (os.path.join("app", "__init__.py"), dotted.split(".")[1:])
        assert found(dotted) == expected, dotted
    # Not under the root at all: only the root's listing is where it could appear.
    assert disk.find(root, "sqlalchemy.orm") == (None, [root_listing(root)])
    assert disk.module_name(str(tmp_path / "app" / "db" / "__init__.py")) == (root, "app.db")


def test_a_run_that_writes_nothing_reads_each_module_once(tmp_path):
    db = tmp_path / "db.py"
    original = "import psycopg2\n\n\ndef get_conn():\n    return psycopg2.connect('')\n"
    for snapshot, after in ((True, {"get_conn"}), (False, set())):
        db.write_text(original)
        project = Project(snapshot=snapshot)
        assert set(project.summary(str(db)).exports) == {"get_conn"}
        db.write_text("def get_conn():\n    return None\n")
        assert set(project.summary(str(db)).exports) == after


@pytest.mark.parametrize(
    ("qual", "module", "package", "expected"),
    [
        (".database.get_db", "app.routers.users", False, "app.routers.database.get_db"),
        ("..deps.get_db", "app.routers.users", False, "app.deps.get_db"),
        (".db", "app", True, "app.db"),
        ("..db", "app", True, None),  # beyond the top package
        ("app.db.engine", "app.main", False, "app.db.engine"),
    ],
)
def test_relative_imports(qual, module, package, expected):
    assert absolute_name(qual, module, package) == expected


def test_a_dense_import_graph_is_summarized_once_per_module(tmp_path):
    # Every module imports every earlier one: walking each path anew would take 2**30 steps.
    (tmp_path / "m0.py").write_text("import asyncpg\n\npool: asyncpg.Pool\n")
    for i in range(1, 31):
        imports = "".join(f"from m{j} import pool as p{j}\n" for j in range(i))
        (tmp_path / f"m{i}.py").write_text(imports + f"pool = p{i - 1}\n")
    project = Project()
    exports = project.summary(str(tmp_path / "m30.py")).exports
    assert exports["pool"].kind.driver == "asyncpg"
    assert project.parses == 31


def test_the_command_line_lints_a_directory_as_a_project(tmp_path):
    import json
    import shutil

    from conftest import invoke

    shutil.copytree(APP, tmp_path / "async_app")
    run = invoke("check", "--isolated", "--output-format", "json", str(tmp_path / "async_app"))
    found = Counter(d["code"] for d in json.loads(run.stdout))
    assert found == Counter({"PGL201": 1, "PGL501": 1, "PGL502": 2, "PGL503": 2})
    # --fix re-lints each file round after round with what its imports provided: the fixes
    # that need another module are applied too (the sync session of PGL502 and PGL501
    # comes from app/deps.py and app/database.py: those endpoints become plain `def`).
    run = invoke("check", "--isolated", "--fix", "--output-format", "json", str(tmp_path))
    left = Counter(d["code"] for d in json.loads(run.stdout))
    assert left == Counter()
    orders = (tmp_path / "async_app" / "app" / "routers" / "orders.py").read_text()
    assert "await pool.execute(" in orders
    assert 'WHERE id = $1", order_id)  # expect: PGL201' in orders
    assert "\ndef list_orders():" in orders
    users = (tmp_path / "async_app" / "app" / "routers" / "users.py").read_text()
    assert "\ndef list_users(db=Depends(get_db)):" in users
    assert "\ndef list_users_alias(db: SessionDep):" in users


def test_a_file_linted_twice_in_one_run_gives_the_same_answer():
    project = Project()
    orders = str(APP / "app" / "routers" / "orders.py")
    first = lint_file(orders, project=project)
    again = lint_file(orders, project=project)
    assert first.diagnostics and first.diagnostics == again.diagnostics
    assert again.source is not None and again.source.text == first.source.text
    # Released after linting: only the small summary stays in memory.
    unit = project.units[str(Path(orders).resolve())]
    assert unit.facts is None and unit.source is None and unit.summary is not None


def _chain_project(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(
        'import asyncpg\n\npool = asyncpg.create_pool("postgresql:///app")\n'
    )
    (tmp_path / "b.py").write_text(
        "from a import pool\n\n\nasync def get_order(order_id):\n"
        '    return await pool.fetch("SELECT * FROM orders WHERE id = %s", order_id)\n'
    )
    (tmp_path / "c.py").write_text("import b\n\nprint(b)\n")
    (tmp_path / "d.py").write_text("import psycopg2\n")


def test_a_module_whose_facts_were_dropped_is_resolved_again(tmp_path, monkeypatch):
    """b is summarized (and resolved) for c, dropped over the text budget while d is
    read, then linted: its facts are walked again and must be resolved again too."""
    _chain_project(tmp_path)

    def lint(budget: int) -> dict[str, list[str]]:
        monkeypatch.setattr("pglint.project.MAX_RETAINED_TEXT", budget)
        project = Project()
        return {
            name: [d.code for d in lint_file(str(tmp_path / name), project=project).diagnostics]
            for name in ("c.py", "d.py", "b.py")
        }

    assert lint(1_500_000)["b.py"] == ["PGL201"]
    assert lint(0) == lint(1_500_000)


def test_a_module_in_an_import_cycle_keeps_its_facts_while_it_is_linted(tmp_path, monkeypatch):
    """Linting a.py summarizes b.py, which imports a.py back (a.py is summarized inside
    its own lint) and then d.py: reading d.py over the budget must not drop the facts
    a.py's lint still holds."""
    (tmp_path / "a.py").write_text(
        "import psycopg2\n\nfrom b import helper\n\nconn = psycopg2.connect()\n\n\n"
        "def load(name):\n    helper()\n    cur = conn.cursor()\n"
        '    cur.execute("SELECT * FROM t WHERE name = $1", (name,))\n'
    )
    (tmp_path / "b.py").write_text(
        "from a import conn\nfrom d import QUERY\n\n\n"
        "def helper():\n    return conn.cursor().execute(QUERY)\n"
    )
    (tmp_path / "d.py").write_text('import psycopg2\n\nQUERY = "SELECT 1"\n')

    def lint(budget: int) -> list[str]:
        monkeypatch.setattr("pglint.project.MAX_RETAINED_TEXT", budget)
        return [d.code for d in lint_file(str(tmp_path / "a.py"), project=Project()).diagnostics]

    assert lint(1_500_000) == ["PGL201"]
    assert lint(0) == ["PGL201"]


def test_a_chain_of_imports_is_summarized_without_holding_every_module(tmp_path, monkeypatch):
    """m0 imports m1, which imports m2, ...: each module's imports are summarized before
    it is parsed, so at no point are the facts of the modules along the chain all held
    (with no budget for kept facts, at most the one walked last has any)."""
    monkeypatch.setattr("pglint.project.MAX_RETAINED_TEXT", 0)
    (tmp_path / "m20.py").write_text('import asyncpg\n\npool = asyncpg.create_pool("")\n')
    for i in range(20):
        (tmp_path / f"m{i}.py").write_text(
            f"import asyncpg\n\nfrom m{i + 1} import pool\n\n\nasync def rows{i}():\n"
            f'    return await pool.fetch("SELECT {i}")\n'
        )
    project = Project()
    held: list[int] = []
    real_walk = Project._walk

    def counting_walk(self, unit, filename):
        held.append(sum(u.facts is not None for u in self.units.values()))
        real_walk(self, unit, filename)

    monkeypatch.setattr(Project, "_walk", counting_walk)
    exports = project.summary(str(tmp_path / "m0.py")).exports
    assert project.parses == 21 and len(held) == 21
    assert max(held) <= 1, held
    assert exports["pool"].kind.driver == "asyncpg"  # passed along the whole chain
