"""The pre-commit hooks, through the real `pre-commit try-repo`.

try-repo installs the hook repository the way users get it. It would pick up only the
committed and tracked-modified files of this checkout (not new, untracked ones), so the
test commits a copy of the current working tree to a scratch repository and tries
that. Every try-repo run builds the hook environment afresh in a store of its own
(pip needs PyPI for the build backend), which is what makes this module take ~30 s.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import (
    CLEAN,
    FIXABLE,
    FIXED,
    FIXTURES,
    GIT_ENV,
    INJECTION,
    git,
    snapshot_repository,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("hook-repo")
    snapshot_repository(repo)
    return repo


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # try-repo installs into a store of its own; this only keeps pre-commit's log and
    # bookkeeping out of the user's home.
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def user_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "user"
    repo.mkdir()
    (repo / "pyproject.toml").write_text("[tool.pglint]\n")
    (repo / "bad.py").write_text(INJECTION)
    (repo / "good.py").write_text(CLEAN)
    (repo / "fixable.py").write_text(FIXABLE)
    git("init", cwd=repo)
    git("add", "-A", cwd=repo)
    return repo


def try_repo(hook: str, *files: str, hook_repo: Path, home: Path, cwd: Path):
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), hook,
         "--files", *files],
        cwd=cwd, capture_output=True, text=True, env=env, timeout=900,
    )  # fmt: skip


def test_hook_fails_on_a_bad_file(hook_repo, pre_commit_home, user_repo):
    shutil.copy(FIXTURES / "notebooks" / "orders.ipynb", user_repo / "orders.ipynb")
    git("add", "-A", cwd=user_repo)
    bad = try_repo(
        "pglint", "bad.py", "orders.ipynb",
        hook_repo=hook_repo, home=pre_commit_home, cwd=user_repo,
    )  # fmt: skip
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "bad.py:7:5: PGL101" in bad.stdout
    assert "orders.ipynb:cell 6:3:1: PGL101" in bad.stdout  # notebooks are hooked too


def test_hook_passes_on_good_and_excluded_files(hook_repo, pre_commit_home, user_repo):
    # Each try-repo builds the hook environment afresh (~10 s), so one run covers both:
    # the good file, and a bad one the configuration excludes (the hook must pass
    # --force-exclude, because pre-commit names every file).
    (user_repo / "pyproject.toml").write_text('[tool.pglint]\nextend-exclude = ["legacy"]\n')
    (user_repo / "legacy").mkdir()
    (user_repo / "legacy" / "old.py").write_text(INJECTION)
    git("add", "-A", cwd=user_repo)
    run = try_repo(
        "pglint", "good.py", "legacy/old.py",
        hook_repo=hook_repo, home=pre_commit_home, cwd=user_repo,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Passed" in run.stdout


def test_fix_hook_rewrites_the_file(hook_repo, pre_commit_home, user_repo):
    run = try_repo(
        "pglint-fix", "fixable.py", hook_repo=hook_repo, home=pre_commit_home, cwd=user_repo
    )
    # pre-commit fails a hook that modifies files, so the user sees the change.
    assert run.returncode == 1, run.stdout + run.stderr
    assert "files were modified by this hook" in run.stdout
    assert (user_repo / "fixable.py").read_text() == FIXED
