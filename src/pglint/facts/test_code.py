"""Which modules are test code: what they create, query and log in with is the test's own.

A module is test code when

* its file is named as test runners collect them: `test_*.py`, `*_test.py`,
  `conftest.py`, or Django's `tests.py`;
* it sits in a `tests/`, `test/` or `testing/` directory below the project root (the
  nearest directory above it holding `pyproject.toml`, `setup.py`, `setup.cfg` or `.git`;
  without one, the working directory when the file is under it). Only directories below
  the root count, so a checkout that happens to live in `~/testing/` is not all tests;
* or it imports test machinery at module level: `pytest`, `unittest`'s test cases,
  Django's test cases, or a package named `testing` (`sqlalchemy.testing`, a project's
  own `app.testing`). Imports that production code makes too do not count: `unittest.mock`
  (patching in a profiler), `django.test.Client` and `override_settings` (a management
  command rendering pages), and `pytest` imported inside a function (a `setup.py` command
  that runs the tests).
"""

from __future__ import annotations

import ast
import os
from functools import lru_cache

TEST_DIRECTORIES = frozenset({"tests", "test", "testing"})
PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")
# `from django.test import ...` names that only tests use (not `Client`, `RequestFactory`,
# `override_settings`, which management commands and views use too).
_DJANGO_TEST_CASES = ("TestCase", "SimpleTestCase", "TransactionTestCase", "LiveServerTestCase")


def is_test_module(filename: str, tree: ast.Module) -> bool:
    path = filename.replace("\\", "/")
    base = path.rpartition("/")[2]
    return (
        is_test_file_name(base)
        or _under_test_directory(filename)
        or any(_is_test_import(qualified) for qualified in _module_imports(tree))
    )


def is_test_file_name(base: str) -> bool:
    return (
        (base.startswith("test_") and base.endswith(".py"))
        or base.endswith("_test.py")
        or base in ("conftest.py", "tests.py")
    )


def _under_test_directory(filename: str) -> bool:
    if filename in ("", "-", "<stdin>"):
        return False
    directory = os.path.dirname(os.path.abspath(filename))
    return any(part in TEST_DIRECTORIES for part in _below_root(directory))


@lru_cache(maxsize=4096)
def _below_root(directory: str) -> tuple[str, ...]:
    """The components of ``directory`` below its project root (none without a root)."""
    root = _project_root(directory)
    if root is None:
        cwd = os.getcwd()
        inside = directory == cwd or directory.startswith(cwd.rstrip(os.sep) + os.sep)
        root = cwd if inside else directory
    relative = os.path.relpath(directory, root)
    return () if relative == os.curdir else tuple(relative.split(os.sep))


@lru_cache(maxsize=4096)
def _project_root(directory: str) -> str | None:
    if any(os.path.exists(os.path.join(directory, marker)) for marker in PROJECT_MARKERS):
        return directory
    parent = os.path.dirname(directory)
    return None if parent == directory else _project_root(parent)


def _module_imports(tree: ast.Module) -> list[str]:
    """Qualified names imported by the module's own statements (also under a top-level
    `if` or `try`), not inside functions or classes: `pkg.mod` or `pkg.mod.Name`."""
    found: list[str] = []
    statements = list(tree.body)
    while statements:
        stmt = statements.pop()
        if isinstance(stmt, ast.Import):
            found += [alias.name for alias in stmt.names]
        elif isinstance(stmt, ast.ImportFrom):
            base = "." * stmt.level + (stmt.module or "")
            found += [f"{base}.{alias.name}" for alias in stmt.names]
        elif isinstance(stmt, ast.If):
            statements += stmt.body + stmt.orelse
        elif isinstance(stmt, ast.Try):
            statements += stmt.body + stmt.orelse + stmt.finalbody
            for handler in stmt.handlers:
                statements += handler.body
    return found


def _is_test_import(qualified: str) -> bool:
    parts = [p for p in qualified.split(".") if p]
    if not parts:
        return False
    if parts[0] == "pytest" or "testing" in parts[:-1] or parts[-1] == "testing":
        return True
    if parts[0] == "unittest":
        return len(parts) == 1 or parts[1] not in ("mock", "*")
    if parts[:2] == ["django", "test"]:
        return len(parts) > 2 and parts[-1] in _DJANGO_TEST_CASES
    return False
