"""Test code: which modules count (names, directories below the project root, imports), and
which rules stay out of them."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from pglint import lint_paths, lint_source

# One finding of each rule that stays out of test code, and one of a rule that does not.
CODE = textwrap.dedent(
    """\
    import asyncpg
    import psycopg2

    URL = "postgresql://app:Tr0ub4dor@db/app"


    def export(table, status):
        cur = psycopg2.connect(URL).cursor()
        cur.execute(f"SELECT * FROM {table}")
        cur.execute(f"SELECT * FROM orders WHERE status = '{status}'")
        cur.execute("SELECT %s, %s", (status,))
        cur.execute("SELECT * FROM orders WHERE id = %s", (status))


    async def one(conn: asyncpg.Connection, order_id):
        return await conn.fetchrow("SELECT * FROM orders WHERE id = %s", order_id)
    """
)
EVERYWHERE = Counter({"PGL201": 1})
APP_ONLY = Counter({"PGL101": 1, "PGL102": 1, "PGL202": 1, "PGL203": 1, "PGL601": 1})


def codes(diagnostics) -> Counter:
    return Counter(d.code for d in diagnostics)


def checked(source: str, filename: str) -> Counter:
    result = lint_source(source, filename)
    assert result.error is None
    return codes(result.diagnostics)


def test_the_code_reports_each_rule_in_application_code():
    assert checked(CODE, "app/orders.py") == APP_ONLY + EVERYWHERE


@pytest.mark.parametrize("name", ["test_orders.py", "orders_test.py", "conftest.py", "tests.py"])
def test_a_test_file_name_is_test_code(name):
    assert checked(CODE, name) == EVERYWHERE


@pytest.mark.parametrize("name", ["testing.py", "contest.py", "tests_orders.py", "latest.py"])
def test_a_name_that_only_looks_like_a_test_is_not(name):
    assert checked(CODE, name) == APP_ONLY + EVERYWHERE


def _project(root: Path, marker: str = "pyproject.toml") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    if marker == ".git":
        (root / ".git").mkdir()
    else:
        (root / marker).write_text("")
    return root


def _lint_tree(root: Path) -> dict[str, Counter]:
    return {
        Path(r.filename).resolve().relative_to(root.resolve()).as_posix(): codes(r.diagnostics)
        for r in lint_paths([str(root)])
    }


@pytest.mark.parametrize("marker", ["pyproject.toml", "setup.py", "setup.cfg", ".git"])
@pytest.mark.parametrize("directory", ["tests", "test", "testing", "tests/integration"])
def test_a_module_in_a_test_directory_of_the_project_is_test_code(tmp_path, marker, directory):
    root = _project(tmp_path / "shop", marker)
    (root / directory).mkdir(parents=True)
    (root / directory / "helpers.py").write_text(CODE)
    (root / "shop").mkdir()
    (root / "shop" / "orders.py").write_text(CODE)
    found = _lint_tree(root)
    assert found[f"{directory}/helpers.py"] == EVERYWHERE
    assert found["shop/orders.py"] == APP_ONLY + EVERYWHERE


def test_only_directories_below_the_project_root_count(tmp_path):
    # A checkout that happens to live in a directory called `testing` is not all tests;
    # a project inside the test directory of another one is its own project.
    root = _project(tmp_path / "testing" / "shop")
    (root / "orders.py").write_text(CODE)
    inner = _project(tmp_path / "outer" / "tests" / "fixtures" / "app")
    _project(tmp_path / "outer")
    (inner / "db.py").write_text(CODE)
    assert _lint_tree(root) == {"orders.py": APP_ONLY + EVERYWHERE}
    assert _lint_tree(inner)["db.py"] == APP_ONLY + EVERYWHERE


def test_without_a_project_root_the_working_directory_is_the_root(tmp_path, monkeypatch):
    (tmp_path / "work" / "tests").mkdir(parents=True)
    (tmp_path / "work" / "tests" / "helpers.py").write_text(CODE)
    (tmp_path / "tests" / "app").mkdir(parents=True)
    (tmp_path / "tests" / "app" / "orders.py").write_text(CODE)
    monkeypatch.chdir(tmp_path / "work")
    assert checked(CODE, "tests/helpers.py") == EVERYWHERE
    # Outside the working directory and without a root, no directory counts.
    assert checked(CODE, str(tmp_path / "tests" / "app" / "orders.py")) == (APP_ONLY + EVERYWHERE)


@pytest.mark.parametrize(
    "imports",
    [
        "import pytest",
        "from pytest import fixture",
        "import unittest",
        "from unittest import TestCase",
        "from django.test import TestCase",
        "from django.test import SimpleTestCase, override_settings",
        "from django.test.testcases import TransactionTestCase",
        "from sqlalchemy.testing import fixtures",
        "from sqlalchemy import testing",
        "from ...testing.provision import temp_table_keyword_args",
        "from shop.testing import factories",
        "try:\n    import pytest\nexcept ImportError:\n    pytest = None",
    ],
)
def test_a_module_importing_test_machinery_is_test_code(imports):
    assert checked(imports + "\n" + CODE, "shop/helpers.py") == EVERYWHERE


@pytest.mark.parametrize(
    "imports",
    [
        "from unittest import mock",
        "import unittest.mock",
        "from unittest.mock import patch",
        "from django.test import Client, RequestFactory, override_settings",
        "from django.test.utils import override_settings",
        "import testinfra",
        "from shop.contest import rules",
        "def run_tests():\n    import pytest\n    return pytest.main([])",
        "class Command:\n    from django.test import TestCase",
    ],
)
def test_an_import_production_code_makes_too_is_not(imports):
    assert checked(imports + "\n" + CODE, "shop/helpers.py") == APP_ONLY + EVERYWHERE


def test_standard_input_takes_the_directories_of_its_file_name(tmp_path):
    root = _project(tmp_path / "shop")
    (root / "tests").mkdir()
    for name, expected in (("tests/helpers.py", "PGL201"), ("shop/orders.py", "PGL101")):
        done = subprocess.run(
            [sys.executable, "-m", "pglint", "check", "--no-cache", "--output-format",
             "concise", "--stdin-filename", name, "-"],
            input=CODE, capture_output=True, text=True, cwd=root, check=False,
        )  # fmt: skip
        assert done.returncode == 1, done.stderr
        assert expected in done.stdout
        assert ("PGL101" in done.stdout) == (expected == "PGL101")
