"""Shared helpers for the front-end tests: running the CLI in-process and for real."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from pglint.cli import cli

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
FIXTURE_FILES = sorted(p for p in FIXTURES.glob("*.py") if not p.name.endswith(".fixed.py"))

# Small sources whose findings are stable parts of the rules' contracts.
INJECTION = textwrap.dedent(
    """\
    import psycopg2


    def find_user(email):
        conn = psycopg2.connect()
        cur = conn.cursor()
        cur.execute(f"SELECT * FROM users WHERE email = '{email}'")
        return cur.fetchone()
    """
)
INJECTION_ROW, INJECTION_COLUMN = 7, 5

# PGL202 `(42)` → `(42,)` is a safe fix; so is PGL205 `%` → `%%`.
FIXABLE = textwrap.dedent(
    """\
    import psycopg2


    def load():
        conn = psycopg2.connect()
        cur = conn.cursor()
        cur.execute("SELECT * FROM users WHERE id = %s", (42))
        cur.execute("SELECT * FROM users WHERE name LIKE 'a%' AND id = %s", (42,))
    """
)
FIXED = FIXABLE.replace("(42))", "(42,))").replace("'a%'", "'a%%'")

CLEAN = textwrap.dedent(
    """\
    import psycopg2


    def find_user(email):
        conn = psycopg2.connect()
        cur = conn.cursor()
        cur.execute("SELECT * FROM users WHERE email = %s", (email,))
        return cur.fetchone()
    """
)

SYNTAX_ERROR = "import psycopg2\nconnect = psycopg2.connect\n\ndef broken(:\n    pass\n"
SYNTAX_ERROR_ROW = 4


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str
    stdout_bytes: bytes = b""


def invoke(*args: str, input: bytes | str | None = None) -> Run:
    """Run `pglint` in this process, with the real exit-code mapping."""
    result = CliRunner().invoke(cli, list(args), input=input, prog_name="pglint")
    return Run(result.exit_code, result.stdout, result.stderr, result.stdout_bytes)


def console(*args: str, cwd: Path, input: bytes | None = None) -> Run:
    """Run the installed `pglint` console script in a subprocess."""
    script = Path(sys.executable).with_name("pglint")
    env = dict(os.environ, NO_COLOR="1")
    done = subprocess.run(
        [str(script), *args], cwd=cwd, input=input, capture_output=True, env=env, timeout=120
    )
    return Run(
        done.returncode,
        done.stdout.decode("utf-8", "replace"),
        done.stderr.decode("utf-8", "replace"),
        done.stdout,
    )


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project made the working directory. Its `pyproject.toml` has an empty
    `[tool.pglint]` table, so no configuration above it can leak into a test."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.pglint]\n")
    return tmp_path


def write(root: Path, name: str, text: str | bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_bytes(text.encode("utf-8"))
    return path


# --- git repositories for the tests that install pglint as users do ------------------------

GIT_ENV = {
    "GIT_AUTHOR_NAME": "pglint tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "pglint tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}
PROJECT_FILES = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml")


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
        cwd=cwd, check=True, capture_output=True, text=True, env={**os.environ, **GIT_ENV},
    )  # fmt: skip
    return done.stdout


def snapshot_repository(repo: Path) -> str:
    """A git repository at ``repo`` holding what installs pglint from this working tree
    (committed or not), as a user's clone of pglint would; returns its commit."""
    import shutil

    repo.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        shutil.copy2(ROOT / name, repo / name)
    shutil.copytree(
        ROOT / "src", repo / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc"),
    )  # fmt: skip
    git("init", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "snapshot of the working tree", cwd=repo)
    return git("rev-parse", "HEAD", cwd=repo).strip()
