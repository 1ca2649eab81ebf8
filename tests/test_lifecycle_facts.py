"""The facts behind the lifecycle rules: function roles and resource tracking."""

from __future__ import annotations

import ast
import textwrap

import pytest

from pglint.facts import build_facts
from pglint.facts.model import ModuleFacts
from pglint.facts.roles import FunctionInfo
from pglint.source import SourceText


def facts_of(code: str, filename: str = "app.py") -> ModuleFacts:
    text = textwrap.dedent(code)
    return build_facts(ast.parse(text), SourceText(text), filename)


def info(facts: ModuleFacts, name: str) -> FunctionInfo:
    assert facts.roles is not None
    found = [i for i in facts.roles.functions.values() if i.name == name]
    assert len(found) == 1, name
    return found[0]


# --- roles --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "name", "role"),
    [
        (
            "from fastapi import FastAPI\napp = FastAPI()\n@app.get('/x')\ndef h(): ...",
            "h",
            "route",
        ),
        (
            "from fastapi import APIRouter\nr = APIRouter()\n@r.post('/x')\nasync def h(): ...",
            "h",
            "route",
        ),
        (
            "from flask import Flask\napp = Flask(__name__)\n@app.route('/x')\ndef h(): ...",
            "h",
            "route",
        ),
        (
            "from flask import Blueprint\nbp = Blueprint('b', __name__)\n@bp.get('/x')\ndef h(): ...",
            "h",
            "route",
        ),
        (
            "from starlette.routing import Route\nasync def h(request): ...\nroutes = [Route('/', h)]",
            "h",
            "route",
        ),
        (
            "from aiohttp import web\nasync def h(request): ...\napp = web.Application()\napp.add_routes([web.get('/', h)])",
            "h",
            "route",
        ),
        (
            "from aiohttp import web\nasync def h(request): ...\napp = web.Application()\napp.router.add_get('/', h)",
            "h",
            "route",
        ),
        (
            "from sanic import Sanic\napp = Sanic('a')\n@app.route('/x')\nasync def h(request): ...",
            "h",
            "route",
        ),
        (
            "from fastapi import FastAPI\napp = FastAPI()\n@app.middleware('http')\nasync def m(request, call_next): ...",
            "m",
            "route",
        ),
        (
            "from starlette.routing import Route\nasync def h(r): ...\nroutes = [Route('/', endpoint=h)]",
            "h",
            "route",
        ),
        ("from litestar import get\n@get('/x')\nasync def h() -> None: ...", "h", "route"),
        ("from fastapi import Depends\ndef d(): ...\ndef h(x=Depends(d)): ...", "d", "dependency"),
        (
            "from fastapi import Security\ndef d(): ...\ndef h(x=Security(d)): ...",
            "d",
            "dependency",
        ),
        (
            "from typing import Annotated\nfrom fastapi import Depends\ndef d(): ...\ndef h(x: Annotated[int, Depends(d)]): ...",
            "d",
            "dependency",
        ),
        (
            "from fastapi import Depends, FastAPI\ndef d(): ...\napp = FastAPI(dependencies=[Depends(d)])",
            "d",
            "dependency",
        ),
        ("from fastapi import FastAPI\ndef get_db():\n    return 1", "get_db", "dependency"),
        (
            "from fastapi import FastAPI\nasync def ls(app): yield\napp = FastAPI(lifespan=ls)",
            "ls",
            "lifespan",
        ),
        (
            "from fastapi import FastAPI\napp = FastAPI()\n@app.on_event('startup')\nasync def s(): ...",
            "s",
            "lifespan",
        ),
        (
            "from fastapi import FastAPI\nasync def s(): ...\napp = FastAPI()\napp.add_event_handler('startup', s)",
            "s",
            "lifespan",
        ),
        (
            "from aiohttp import web\nasync def s(app): ...\napp = web.Application()\napp.on_startup.append(s)",
            "s",
            "lifespan",
        ),
        (
            "from flask import Flask\ndef create_app():\n    return Flask(__name__)",
            "create_app",
            "app_factory",
        ),
        (
            "from fastapi import FastAPI\ndef build():\n    app = FastAPI()\n    return app",
            "build",
            "app_factory",
        ),
        ("from functools import lru_cache\n@lru_cache\ndef f(): ...", "f", "cached_factory"),
        ("import functools\n@functools.cache\ndef f(): ...", "f", "cached_factory"),
        ("def main(): ...", "main", "entry_point"),
        ("def run_it(): ...\nif __name__ == '__main__':\n    run_it()", "run_it", "entry_point"),
        (
            "import asyncio\nasync def go(): ...\nif __name__ == '__main__':\n    asyncio.run(go())",
            "go",
            "entry_point",
        ),
        ("import click\n@click.command()\ndef export(): ...", "export", "entry_point"),
        (
            "import typer\napp = typer.Typer()\n@app.command()\ndef export(): ...",
            "export",
            "entry_point",
        ),
        ("import pytest\n@pytest.fixture\ndef db(): ...", "db", "test"),
        (
            "from alembic import context\ndef run_migrations_online(): ...",
            "run_migrations_online",
            "migration",
        ),
    ],
)
def test_roles(code, name, role):
    assert role in info(facts_of(code), name).roles


def test_module_roles():
    alembic = "from alembic import op\ndef upgrade():\n    op.execute('SELECT 1')\n"
    assert "migration" in facts_of(alembic, "alembic/versions/001_init.py").roles.module_roles
    assert "test" in facts_of("def test_x(): ...", "tests/test_db.py").roles.module_roles
    script = "def f(): ...\nif __name__ == '__main__':\n    f()\n"
    assert "script" in facts_of(script).roles.module_roles


def test_django_views_only_in_views_modules():
    code = "from django.http import HttpResponse\ndef index(request):\n    return HttpResponse()\n"
    assert "route" in info(facts_of(code, "shop/views.py"), "index").roles
    assert "route" not in info(facts_of(code, "shop/utils.py"), "index").roles


def test_endpoint_dependencies_and_what_they_provide():
    facts = facts_of(
        """
        from typing import Annotated
        from fastapi import Depends, FastAPI
        from sqlalchemy.orm import Session
        app = FastAPI()

        def get_db():
            db = Session()
            try:
                yield db
            finally:
                db.close()

        def get_user(db: Session = Depends(get_db)):
            return db.get(1)

        @app.get("/me", dependencies=[Depends(get_db)])
        def me(user: Annotated[dict, Depends(get_user)], db: Session = Depends(get_db)):
            return user
        """
    )
    endpoint = info(facts, "me")
    assert endpoint.is_endpoint and not endpoint.is_dependency
    deps = [(d.param, d.function.name if d.function else None) for d in endpoint.dependencies]
    assert sorted(deps, key=str) == sorted(
        [(None, "get_db"), ("user", "get_user"), ("db", "get_db")], key=str
    )
    get_db = info(facts, "get_db")
    assert get_db.is_dependency and get_db.is_generator and get_db.on_request_path
    assert [ast.unparse(v) for v in get_db.provides] == ["db"]
    get_user = info(facts, "get_user")  # a dependency of a dependency
    assert get_user.is_dependency and not get_user.is_generator
    assert [ast.unparse(v) for v in get_user.provides] == ["db.get(1)"]
    assert [i.name for i in facts.roles.endpoints()] == ["me"]
    assert {i.name for i in facts.roles.dependencies()} == {"get_db", "get_user"}


def test_request_path_follows_module_calls_and_stops_at_cached_factories():
    facts = facts_of(
        """
        from functools import lru_cache
        from fastapi import FastAPI
        app = FastAPI()

        def query(): return helper()
        def helper(): return 1
        def unused(): return 2

        @lru_cache
        def engine(): return inner()
        def inner(): return 3

        @app.get("/")
        def home():
            engine()
            return query()
        """
    )
    assert info(facts, "query").on_request_path
    assert info(facts, "helper").on_request_path
    assert not info(facts, "unused").on_request_path
    assert not info(facts, "engine").on_request_path
    assert not info(facts, "inner").on_request_path


def test_helpers_only_entry_points_call_run_once():
    facts = facts_of("def load(): ...\ndef main():\n    load()\n")
    assert info(facts, "load").runs_once
    assert not info(facts_of("def load(): ...\n"), "load").runs_once


def test_handler_keyword_outside_routing_is_not_a_route():
    code = "import signal\ndef h(*a): ...\nsignal.signal(signal.SIGTERM, handler=h)\n"
    assert not info(facts_of(code), "h").roles


def test_get_db_called_directly_is_a_factory_not_a_dependency():
    code = "from fastapi import APIRouter\ndef get_db():\n    return 1\nrepo = get_db()\n"
    assert not info(facts_of(code), "get_db").is_dependency


# --- resources ----------------------------------------------------------------------------

HEAD = """\
import asyncpg, psycopg, psycopg2, sqlite3
from contextlib import closing
from psycopg2.pool import ThreadedConnectionPool
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker
engine = create_engine("x")
SessionLocal = sessionmaker(bind=engine)
pg_pool = ThreadedConnectionPool(1, 2, "x")
"""


def resource_states(body: str) -> list[tuple[str, str, bool]]:
    facts = facts_of(HEAD + textwrap.dedent(body))
    return [(r.kind.role, r.state, r.checkout is not None) for r in facts.resources]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "def f():\n    with psycopg2.connect() as c:\n        pass",
            [("connection", "with_does_not_close", False)],
        ),
        (
            "def f():\n    with sqlite3.connect('x') as c:\n        pass",
            [("connection", "with_does_not_close", False)],
        ),
        (
            "def f():\n    with psycopg.connect() as c:\n        pass",
            [("connection", "released", False)],
        ),
        (
            "def f():\n    with closing(psycopg2.connect()) as c:\n        pass",
            [("connection", "released", False)],
        ),
        (
            "def f():\n    with Session(engine) as s:\n        pass",
            [("session", "released", False)],
        ),
        (
            "def f():\n    with engine.begin() as c:\n        pass",
            [("connection", "released", False)],
        ),
        (
            "def f():\n    c = psycopg2.connect()\n    try:\n        pass\n    finally:\n        c.close()",
            [("connection", "released", False)],
        ),
        (
            "def f():\n    c = psycopg2.connect()\n    c.cursor()\n    c.close()",
            [("connection", "closed_on_success", False)],
        ),
        (
            "def f():\n    c = psycopg2.connect()\n    c.cursor()",
            [("connection", "not_closed", False)],
        ),
        ("def f():\n    return psycopg2.connect()", [("connection", "handed_over", False)]),
        (
            "def f():\n    c = psycopg2.connect()\n    return c",
            [("connection", "handed_over", False)],
        ),
        (
            "def f():\n    c = psycopg2.connect()\n    return c.cursor()",
            [("connection", "handed_over", False)],
        ),
        (
            "class R:\n    def __init__(self):\n        self.c = psycopg2.connect()",
            [("connection", "handed_over", False)],
        ),
        (
            "d = {}\ndef f():\n    d['k'] = psycopg2.connect()",
            [("connection", "handed_over", False)],
        ),
        (
            "def f(register):\n    c = psycopg2.connect()\n    register(c)",
            [("connection", "handed_over", False)],
        ),
        (
            "def f():\n    global c\n    c = psycopg2.connect()",
            [("connection", "handed_over", False)],
        ),
        ("def f():\n    db = SessionLocal()\n    yield db", [("session", "yielded", False)]),
        (
            "def f():\n    c = pg_pool.getconn()\n    pg_pool.putconn(c)",
            [("connection", "closed_on_success", True)],
        ),
        (
            "def f():\n    c = pg_pool.getconn()\n    try:\n        pass\n    finally:\n        pg_pool.putconn(c)",
            [("connection", "released", True)],
        ),
        (
            "def f():\n    with pg_pool.getconn() as c:\n        pass",
            [("connection", "with_does_not_close", True)],
        ),
        (
            "async def f(p: asyncpg.Pool):\n    async with p.acquire() as c:\n        pass",
            [("connection", "released", True)],
        ),
        (
            "async def f(p: asyncpg.Pool):\n    c = await p.acquire()\n    await p.release(c)",
            [("connection", "closed_on_success", True)],
        ),
        (
            "def f(stack):\n    c = psycopg2.connect()\n    stack.callback(c.close)",
            [("connection", "released", False)],
        ),
        ("def f():\n    psycopg2.connect().cursor()", [("connection", "unknown", False)]),
        ("c = psycopg2.connect()", []),
        (
            "def f():\n    s = Session()\n    s.add(1)",
            [],
        ),  # bound to nothing  # module level: lives as long as the app
    ],
)
def test_resource_states(body, expected):
    assert resource_states(body) == expected


def test_yielded_resource_released_in_finally():
    facts = facts_of(
        HEAD + "def f():\n    db = SessionLocal()\n    try:\n        yield db\n"
        "    finally:\n        db.close()\n"
    )
    (resource,) = facts.resources
    assert resource.state == "yielded" and resource.released
    assert resource.release_call() == "db.close()"


def test_release_call_per_driver():
    facts = facts_of(
        "import asyncpg\nasync def f(p: asyncpg.Pool):\n    c = await p.acquire()\n"
        "    return await c.fetch('x')\n"
    )
    (resource,) = facts.resources
    assert resource.release_call() == "await p.release(c)"
