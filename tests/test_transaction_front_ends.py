"""The transaction and sharing rules (PGL7xx) and the ones off by default (PGL8xx) give the
same findings through `pglint check`, standard input and the real flake8."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from conftest import FIXTURES, invoke

pytestmark = pytest.mark.slow

CASES = sorted(p for p in FIXTURES.glob("pgl[78]0*_*.py") if not p.name.endswith(".fixed.py"))


def _opt_in(path: Path) -> list[str]:
    return ["--extend-select", "PGL8"] if path.name.startswith("pgl8") else []


def by_check(path: Path) -> Counter:
    run = invoke("check", "--isolated", "--output-format", "json", *_opt_in(path), str(path))
    assert run.exit_code in (0, 1), run.stderr
    return Counter((d["location"]["row"], d["code"]) for d in json.loads(run.stdout))


def by_stdin(path: Path) -> Counter:
    run = invoke(
        "check", "--isolated", "--output-format", "json", *_opt_in(path),
        "--stdin-filename", path.name, "-", input=path.read_bytes(),
    )  # fmt: skip
    assert run.exit_code in (0, 1), run.stderr
    return Counter((d["location"]["row"], d["code"]) for d in json.loads(run.stdout))


def by_flake8(paths: list[Path]) -> dict[str, Counter]:
    found: dict[str, Counter] = {p.name: Counter() for p in paths}
    for opt_in in (False, True):
        chosen = [p for p in paths if p.name.startswith("pgl8") == opt_in]
        flags = ["--select", "PGL", "--extend-select", "PGL8"] if opt_in else ["--select", "PGL"]
        done = subprocess.run(
            [sys.executable, "-m", "flake8", "--isolated", "--format=%(path)s\t%(row)d\t%(code)s",
             *flags, *map(str, chosen)],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode in (0, 1), done.stderr
        for line in done.stdout.splitlines():
            path, row, code = line.split("\t")
            found[Path(path).name][(int(row), code)] += 1
    return found


def test_the_three_front_ends_agree(tmp_path):
    assert len(CASES) >= 20
    # Outside this repository's tests/ directory, where the fixtures would be test code.
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\nversion = "0"\n')
    copies = []
    for case in CASES:
        copy = tmp_path / case.name
        copy.write_bytes(case.read_bytes())
        copies.append(copy)
    flake8 = by_flake8(copies)
    for path in copies:
        checked = by_check(path)
        if path.stem.endswith("_bad"):
            assert checked, f"{path.name}: no findings"
        assert by_stdin(path) == checked, path.name
        assert flake8[path.name] == checked, path.name
