"""Fixtures for the tests that run code against a real PostgreSQL server.

The server is started once per test session. When none can be started, every test in
this directory is skipped with one line that says why; CI installs the server and sets
PGLINT_REQUIRE_DB, which turns that skip into a failure.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import textwrap
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner

from pglint.cli import cli

from .pg_server import Unavailable, start

SCHEMA = """
CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL, name text NOT NULL);
INSERT INTO users (email, name) VALUES
    ('ada@example.com', 'Ada'), ('bob@example.com', 'Bob'), ('cy@example.com', 'Cy');
CREATE TABLE products (id serial PRIMARY KEY, sku text NOT NULL, price numeric NOT NULL);
INSERT INTO products (sku, price) VALUES ('OLD-1', 5), ('NEW-1', 7), ('NEW-2', 9);
CREATE TABLE audit (id serial PRIMARY KEY, name text NOT NULL);
"""

INJECTION = "' OR '1'='1"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here is slow: it starts a PostgreSQL server, and runs code as written
    and as fixed through the real drivers (`pytest -m "not slow"` leaves them out)."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def server():
    try:
        running = start()
    except Unavailable as exc:
        reason = f"no PostgreSQL server for the database tests: {exc}"
        if os.environ.get("PGLINT_REQUIRE_DB"):  # CI: a missing server is a failure
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        import psycopg

        with psycopg.connect(running.libpq, autocommit=True) as conn:
            conn.execute(SCHEMA)
        yield running
    finally:
        running.stop()


_names = itertools.count()


class Program:
    """A piece of application code, as written and as pglint's fixes leave it."""

    def __init__(self, directory: Path, source: str) -> None:
        self.directory = directory
        self.source = textwrap.dedent(source)
        self.path = directory / "app_module.py"
        self.path.write_text(self.source)

    def findings(self, *flags: str) -> list[str]:
        """The codes `pglint check` reports (``flags``: e.g. `--extend-select PGL8`)."""
        output = _pglint("check", "--output-format", "json", "--isolated", *flags, str(self.path))
        return [item["code"] for item in json.loads(output)]

    def fixed_findings(self, *flags: str) -> list[str]:
        """What `pglint check` still reports on the source `fixed()` left."""
        output = _pglint(
            "check", "--output-format", "json", "--isolated", *flags, str(self.fixed_path)
        )
        return [item["code"] for item in json.loads(output)]

    def load(self) -> ModuleType:
        return _import(self.path)

    def fixed(self, *flags: str) -> ModuleType:
        """The module after `pglint check --fix` with ``flags`` (e.g. --unsafe-fixes)."""
        copy = self.directory / f"fixed_{next(_names)}.py"
        copy.write_text(self.source)
        _pglint("check", "--fix", "--isolated", *flags, str(copy))
        self.fixed_source = copy.read_text()
        self.fixed_path = copy
        assert self.fixed_source != self.source, "pglint's fixes changed nothing"
        return _import(copy)


def _pglint(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def _import(path: Path) -> ModuleType:
    name = f"pglint_db_case_{next(_names)}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def program(tmp_path):
    return lambda source: Program(tmp_path, source)


_tables = itertools.count()


@pytest.fixture
def table(server):
    """``table(columns)``: a new table with those columns, and its name."""

    def make(columns: str) -> str:
        import psycopg

        name = f"t_{next(_tables)}"
        with psycopg.connect(server.libpq, autocommit=True) as conn:
            conn.execute(f"CREATE TABLE {name} ({columns})")
        return name

    return make


def rows(server, table: str, where: str = "true") -> int:
    """How many rows of ``table`` another connection sees (committed ones only)."""
    import psycopg

    with psycopg.connect(server.libpq) as conn:
        return conn.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0]
