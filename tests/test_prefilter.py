"""The textual pre-filter never drops a finding: every rule fixture, the example app and
the multi-module projects report exactly what they report with the pre-filter off, and
the cross-module cases (a file that names no driver but uses what another module
exports) stay analysed. Real database code nobody here wrote is compared too."""

from __future__ import annotations

import ast
import importlib.util
import os
import textwrap
import time
from pathlib import Path

import pytest

from conftest import FIXTURE_FILES, ROOT, invoke
from pglint.engine import lint_paths, lint_source
from pglint.facts.builder import walk
from pglint.prefilter import (
    has_database_code,
    imported_modules,
    may_declare_routes,
    mentions,
    textual_imports,
)
from pglint.project import Project
from pglint.settings import Settings
from pglint.source import SourceText

PROJECTS = sorted((ROOT / "tests" / "fixtures" / "projects").iterdir())
NO_BUDGET = Settings(max_file_seconds=None)


def findings(results) -> list[tuple]:
    return sorted(
        (r.filename, d.code, d.location.row, d.location.column, d.message)
        for r in results
        for d in r.diagnostics
    )


def compare_trees(paths: list[str]) -> tuple[list[tuple], list[tuple], Project]:
    filtered = Project()
    with_filter = findings(lint_paths(paths, NO_BUDGET, filtered))
    without = findings(lint_paths(paths, NO_BUDGET, Project(prefilter=False)))
    return with_filter, without, filtered


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.name)
def test_no_fixture_loses_a_finding_alone(path):
    text = path.read_text(encoding="utf-8")
    on = lint_source(text, str(path), NO_BUDGET).diagnostics
    off = lint_source(text, str(path), NO_BUDGET, prefilter=False).diagnostics
    assert [(d.code, d.location) for d in on] == [(d.code, d.location) for d in off]


@pytest.mark.slow  # every fixture linted twice as one project
def test_no_fixture_loses_a_finding_in_a_project():
    with_filter, without, _ = compare_trees([str(p) for p in FIXTURE_FILES])
    assert with_filter == without and len(without) > 100


@pytest.mark.parametrize("tree", [ROOT / "examples", *PROJECTS], ids=lambda p: p.name)
def test_multi_module_projects_lose_nothing(tree):
    with_filter, without, _ = compare_trees([str(tree)])
    assert with_filter == without and without


def write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def parsed_files(project: Project) -> set[str]:
    return {os.path.basename(p) for p, unit in project.units.items() if unit.relevant}


def test_a_router_that_names_no_driver_is_analysed(tmp_path):
    """`users.py` names nothing of SQLAlchemy: only `get_db`, which `deps.py` exports,
    through a package that re-exports it under another name."""
    write_tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/db.py": """
                from sqlalchemy import create_engine
                from sqlalchemy.orm import sessionmaker
                engine = create_engine("postgresql://db/app")
                Factory = sessionmaker(bind=engine)
            """,
            "app/deps.py": """
                from .db import Factory
                def get_db():
                    db = Factory()
                    try:
                        yield db
                    finally:
                        db.close()
            """,
            "app/api/__init__.py": "from ..deps import get_db as provide\n",
            "app/api/users.py": """
                from fastapi import APIRouter, Depends
                from . import provide
                router = APIRouter()
                @router.get("/users")
                async def users(db=Depends(provide)):
                    return db.query(1).all()
            """,
            "app/api/schemas.py": """
                from pydantic import BaseModel
                class User(BaseModel):
                    name: str
            """,
        },
    )
    with_filter, without, project = compare_trees([str(tmp_path)])
    assert with_filter == without
    assert [(Path(f).name, code) for f, code, *_ in without] == [("users.py", "PGL502")]
    # Analysed: the modules on the way from the driver to the endpoint; not the schema.
    assert {"db.py", "deps.py", "__init__.py", "users.py"} <= parsed_files(project)
    assert "schemas.py" not in parsed_files(project)


def test_a_module_that_mentions_no_export_is_skipped(tmp_path):
    """`views.py` imports the module that exports `connect` but never names it."""
    write_tree(
        tmp_path,
        {
            "db.py": "import asyncpg\n\nasync def connect():\n    return await asyncpg.connect()\n",
            "views.py": "import db\n\ndef render(x):\n    return str(x)\n",
            "other.py": (
                "import db\n\nasync def go(n):\n    conn = await db.connect()\n"
                '    await conn.execute(f"DELETE FROM t WHERE id = {n}")\n'
            ),
        },
    )
    with_filter, without, project = compare_trees([str(tmp_path)])
    assert with_filter == without
    assert [(Path(f).name, code) for f, code, *_ in without] == [("other.py", "PGL101")]
    assert "views.py" not in parsed_files(project)
    assert {"db.py", "other.py"} <= parsed_files(project)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("import psycopg2\nconn = psycopg2.connect(dsn)\n", True),
        ("import sqlalchemy as sa\nengine = sa.create_engine(url)\n", True),
        # An import alone is not enough: a module of models uses nothing pglint knows.
        ("import psycopg2\n", False),
        (
            "from sqlalchemy import Column, Integer\nfrom sqlalchemy.orm import relationship\n",
            False,
        ),
        ("cur.execute(sql)\n", True),
        ("rows = await conn.fetchrow(q)\n", True),
        ("User.objects.raw(q)\n", True),
        ("db = SessionLocal()\n", True),
        ('URL = "postgresql+asyncpg://u:p@h/db"\n', True),
        ('URL = "cockroachdb://u:p@h/db"\n', True),
        # Only PostgreSQL's URLs carry a password PGL601 reads.
        ('URL = "mysql://u:p@h/db"\n', False),
        ('dsn = "host=db PASSWORD=x"\n', True),
        ('dsn = ("host=db password"\n       "=x")\n', True),
        # `password=` counts inside a string literal only: PGL601 reads literals.
        ("user = login(name, password=pw)\n", False),
        ("self.password = form.password.data\n", False),
        ("# password=secret\nimport json\n", False),
        ("msg = 'it\\'s'  # a quote\nlogin(password=pw)\n", False),
        ('DSN = """\nhost=db\npassword=x\n"""\n', True),
        ("DSN = '''host=db ''' '''password=x'''\n", True),
        ('DSN = "host=db \\\npassword=x"\n', True),
        ('# a comment\rDSN = "host=db password=x"\r', True),
        ('DSN = f"host={h} password=x"\n', True),
        # Where the scan cannot tell literals from code, the file is analysed.
        ('x = f"{d["k"]}"\nlogin(password=pw)\n', True),
        ('dsn = f"{connect(dsn="host=a password=b")}"\n', True),
        ('dsn = "host=a\nlogin(password=pw)\n', True),
        ('URL = ("postgresql+psycopg"\n       f"://app:{x}@db/app")\n', True),
        ('URL = "https" "://example.com"\n', False),
        ("from django.db import connection\n", True),
        ("from django import db as d\nd.connection\n", True),
        ("import pandas as pd\npd.read_sql(q, con)\n", True),
        ("from django.http import HttpResponse\n", False),
        ("import pandas as pd\ndf = pd.DataFrame()\n", False),
        ("def add(a, b):\n    return a + b\n", False),
        ('"""Talks to no database at all."""\n', False),
        # A SQL method counts where it is an attribute, however the dot is written.
        ("conn . execute(q)\n", True),
        ("conn.\\\n    execute(q)\n", True),
        ("(conn.\n    execute(q))\n", True),
        ("(conn.  # the pool\n    execute(q))\n", True),
        ("(conn.  # the pool\r    execute(q))\r", True),
        ("qs = User.objects.prefetch_related('orders')\n", False),
        ("def execute(self):\n    pass\n", False),
        ("self.executor.submit(job)\n", False),
        ('"""Call execute() to run it."""\n', False),
        ("context = {'extra_context': User.objects.all()}\n", False),
        ("User.objects.extra(where=[w])\n", True),
        # A driver module counts where an import statement names it.
        ("from sqlalchemy.orm import (\n    Session,\n)\n", True),
        ("from sqlalchemy import *\nengine = create_engine(url)\n", True),
        (
            "try:\n    import psycopg\nexcept ImportError:\n    psycopg = None\n"
            "conn = psycopg.connect(dsn)\n",
            True,
        ),
        ("# create_engine\nimport json\n", False),
        ('"""Works like sqlalchemy, without it."""\n', False),
        ("from .sqlalchemy import helpers\n", False),
        ("import mysqlalchemy\n", False),
    ],
)
def test_what_counts_as_database_code(text, expected):
    assert has_database_code(text) is expected


@pytest.mark.parametrize(
    "piece",
    ["execute", "\nexecute", ".#", ". execute", "\n#execute", "x" * 50 + "execute",
     "\r execute", "objects.raw", "import sqlalchemy ", "a" * 1000, "password=",
     "'password=", '"password="', "'''password=", "#password=\n", 'f"{password="',
     '"\\\n password='],
)  # fmt: skip
def test_the_text_test_is_linear_on_repeated_input(piece):
    text = piece * 10_000
    start = time.perf_counter()
    has_database_code(text)
    assert time.perf_counter() - start < 2.0


_IMPORTS = textwrap.dedent(
    """
    import app.db as db, json
    import app.routers.users
    from . import deps
    from .models import (  # a comment (with parentheses)
        User,
        Order as O,  # another
    )
    from ..core \\
        import settings
    from .star import *
    try: import fast
    except ImportError: pass
    """
)


def test_textual_imports_are_a_superset_of_the_real_ones():
    expected = {"app.db", "json", ".deps", ".models.User", ".models.Order", "..core.settings"}
    assert expected | {"fast", "app.routers.users", ".star"} <= textual_imports(_IMPORTS)


def test_imported_modules_are_what_the_facts_record():
    """What a module's imports are looked up by, read from the text before it is parsed
    (pglint.project summarizes them first): the same names as the facts'."""
    facts = walk(ast.parse(_IMPORTS), SourceText(_IMPORTS), "m.py")
    assert imported_modules(_IMPORTS) == set(facts.imports.values())
    assert imported_modules(_IMPORTS) == {
        "app.db", "json", "app", ".deps", ".models.User", ".models.Order",
        "..core.settings", "fast",
    }  # fmt: skip


def test_imported_modules_hold_the_facts_imports_of_every_fixture():
    for path in FIXTURE_FILES:
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        recorded = set(walk(tree, SourceText(text), str(path)).imports.values())
        assert recorded <= imported_modules(text), path


# A dependency is a root only through a route's `Depends(...)`, which the text test sees
# in the route's module; a `get_db` is known as one by its shape, in a module the
# database pre-filter keeps anyway.
_ROOTS = ("route",)


def _declares_roots(text: str, filename: str) -> bool:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return False
    roles = walk(tree, SourceText(text), filename).roles
    return bool(roles.registered) or any(
        info.roles & set(_ROOTS) for info in roles.functions.values()
    )


DJANGO_VIEWS = """\
from django.http import JsonResponse
from django.views import View


class Orders(View):
    async def get(self, request, order_id):
        return JsonResponse({})
"""
DJANGO_FUNCTION_VIEW = (
    "from django.http import JsonResponse\n\n\ndef orders(request):\n    return 1\n"
)


@pytest.mark.parametrize(
    ("text", "filename"),
    [(DJANGO_VIEWS, "shop/handlers.py"), (DJANGO_FUNCTION_VIEW, "shop/views.py")],
)
def test_django_views_may_declare_routes(text, filename):
    assert _declares_roots(text, filename)  # the control: the role finder sees a view
    assert may_declare_routes(text, filename)


def test_a_django_module_that_is_no_view_is_not_indexed():
    """A helper module of a Django project that mentions `request` declares no route:
    the program needs no entry of it."""
    text = DJANGO_FUNCTION_VIEW.replace("request", "request_id")
    text += "\n\ndef log(request):\n    return request.path\n"
    assert not _declares_roots(text, "shop/utils.py")
    assert not may_declare_routes(text, "shop/utils.py")


def test_may_declare_routes_holds_every_module_declaring_roots():
    """A superset, as the database pre-filter is: every fixture and example module the
    role finder gives a route or a registration passes the text test."""
    paths = [*FIXTURE_FILES, *(ROOT / "examples").rglob("*.py")]
    declaring = 0
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace")
        if _declares_roots(text, str(path)):
            declaring += 1
            assert may_declare_routes(text, str(path)), path
    assert declaring >= 20


def test_mentions_matches_whole_identifiers_only():
    assert mentions("db = get_db()", {"get_db"})
    assert not mentions("x = get_dbx()", {"get_db"})
    assert not mentions("x = my_get_db()", {"get_db"})
    assert mentions("get_db", {"engine", "get_db"})
    assert not mentions("", {"get_db"})


def _installed(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    return Path(spec.origin).parent if spec and spec.origin else None


@pytest.mark.slow
@pytest.mark.parametrize("package", ["psycopg", "asyncpg", "fastapi", "sqlalchemy"])
def test_real_database_code_loses_nothing(package):
    """Packages the test environment installs: their own code, linted as a project."""
    root = _installed(package)
    assert root is not None, f"{package} is a test dependency"
    with_filter, without, project = compare_trees([str(root)])
    assert with_filter == without
    assert any(not unit.relevant for unit in project.units.values())


def test_an_import_cycle_through_a_skipped_package_is_no_read_error(project):
    """`pkg/__init__.py` (no database code) imports `pkg.db`, which imports the package
    back: checking the package summarizes `__init__` while deciding whether to analyse
    it, and its text must survive that."""
    write_tree(
        project,
        {
            "pkg/__init__.py": "from pkg import db\n\nVERSION = 1\n",
            "pkg/db.py": "import pkg\nimport psycopg2\n\nLABEL = pkg.VERSION\n",
            "pkg/views.py": "import psycopg2\n\ndef show(n):\n"
            "    cur = psycopg2.connect().cursor()\n"
            '    cur.execute(f"SELECT * FROM t WHERE id = {n}")\n',
        },
    )
    run = invoke("check", "--no-cache", "--output-format", "concise", "pkg")
    assert "cannot be read" not in run.stderr and "error" not in run.stderr, run.stderr
    assert [line.split()[1] for line in run.stdout.splitlines() if ": PGL" in line] == ["PGL101"]


@pytest.mark.parametrize(
    ("imports", "provider"),
    [
        ("import json, \\\n    app.deps as d", "d.get_db"),
        ("import\\\n    app.deps as d", "d.get_db"),
        ("from app import \\\n    deps", "deps.get_db"),
        ("from app import json, \\\n    deps", "deps.get_db"),
        ("from .import deps", "deps.get_db"),
        ("from.deps import get_db as provide", "provide"),
        ("from app import deps", "deps.get_db"),
    ],
    ids=[
        "import-backslash",
        "import-backslash-as",
        "from-backslash",
        "from-backslash-second",
        "from-dot-import",
        "from-dot-module",
        "plain",
    ],
)
def test_every_spelling_of_an_import_is_followed(tmp_path, imports, provider):
    """The router names nothing of SQLAlchemy, only what `deps` exports: however its
    import statement is spelled, the pre-filter must find `deps` to analyse it."""
    write_tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/deps.py": """
                from sqlalchemy.orm import sessionmaker
                Factory = sessionmaker()
                def get_db():
                    with Factory() as db:
                        yield db
            """,
            "app/users.py": f"from fastapi import Depends\n{imports}\n\n\n"
            f"async def users(db=Depends({provider})):\n    return db.query(1).all()\n",
        },
    )
    with_filter, without, _ = compare_trees([str(tmp_path)])
    assert [code for _, code, *_ in without] == ["PGL502"]
    assert with_filter == without


def test_import_of_a_submodule_binds_the_package(tmp_path):
    """`import app.models` binds `app`: what `app/__init__.py` exports is reachable as
    `app.get_db`, though no statement imports it from there."""
    write_tree(
        tmp_path,
        {
            "app/__init__.py": """
                from sqlalchemy.orm import sessionmaker
                Factory = sessionmaker()
                def get_db():
                    with Factory() as db:
                        yield db
            """,
            "app/models.py": "class User:\n    pass\n",
            "users.py": "from fastapi import Depends\nimport app.models\n\n\n"
            "async def users(db=Depends(app.get_db)):\n    return db.query(1).all()\n",
        },
    )
    with_filter, without, _ = compare_trees([str(tmp_path)])
    assert [code for _, code, *_ in without] == ["PGL502"]
    assert with_filter == without


def test_a_module_first_seen_inside_an_import_cycle_is_asked_again(tmp_path):
    """Checking a.py summarizes db.py, which imports views.py, which imports db.py back:
    while db.py is being summarized it exports nothing yet, so views.py cannot be found
    irrelevant for good then; linted later, it gets db.py's `get_db`."""
    write_tree(
        tmp_path,
        {
            "a.py": "import db\n\nprint(db)\n",
            "db.py": """
                from sqlalchemy.orm import sessionmaker
                import views
                Factory = sessionmaker()
                def get_db():
                    with Factory() as db:
                        yield db
            """,
            "views.py": "from fastapi import Depends\nfrom db import get_db\n\n\n"
            "async def users(db=Depends(get_db)):\n    return db.query(1).all()\n",
        },
    )
    with_filter, without, _ = compare_trees([str(tmp_path)])
    assert [(Path(f).name, code) for f, code, *_ in without] == [("views.py", "PGL502")]
    assert with_filter == without


@pytest.mark.parametrize(
    "text",
    [
        'URL = "postgresql" "://app:s3cretpw@db/app"\n',
        'DSN = (\n    "host=db user=app password"  \\\n    f"=s3cretpw"\n)\n',
        'DSN = """\nhost=db user=app\npassword=s3cretpw\n"""\n',
        'DSN = "host=db user=app \\\npassword=s3cretpw"\n',
    ],
)
def test_a_password_split_over_literals_or_lines_is_reported(text):
    """Python joins adjacent literals (and a backslash joins lines) before PGL601 reads
    them; the pre-filter must see the literal as one too."""
    on = lint_source(text, "settings.py", NO_BUDGET).diagnostics
    off = lint_source(text, "settings.py", NO_BUDGET, prefilter=False).diagnostics
    assert [d.code for d in off] == ["PGL601"]
    assert [(d.code, d.location) for d in on] == [(d.code, d.location) for d in off]
