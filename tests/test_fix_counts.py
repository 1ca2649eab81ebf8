"""One count of fixes everywhere: the report's `[*] N fixable`, `--statistics`, `--diff`'s
"Would fix N", and `--fix --show-fixes` all say the same N, also when one fix folds in
what would have been another finding (a PGL101 rewrite that gives a `LIKE 'A%'` query
parameters, so that its `%` must be doubled: PGL205, fixed within the same rewrite)."""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import pytest

from conftest import FIXABLE, invoke, write

FOLDED = textwrap.dedent(
    """\
    import psycopg2

    conn = psycopg2.connect()


    def search(name):
        with conn.cursor() as cur:
            cur.execute(f"SELECT id FROM users WHERE name LIKE 'A%' AND name = '{name}'")
            return cur.fetchall()


    def by_id():
        with conn.cursor() as cur:
            cur.execute("SELECT * FROM users WHERE id = %s", (42))
    """
)


def counts(project: Path, *flags: str) -> dict[str, int]:
    """Each output's count of fixes, each from a fresh copy of the project."""
    out: dict[str, int] = {}
    report = invoke("check", "--no-cache", *flags, "app.py")
    out["report"] = _fixable(report.stdout)
    out["marked"] = len(re.findall(r"PGL\d{3} \[\*\] ", report.stdout))  # each fixable finding
    stats = invoke("check", "--no-cache", "--statistics", *flags, "app.py")
    out["statistics"] = _fixable(stats.stdout)
    out["statistics rows"] = sum(
        int(row.split("\t")[0]) for row in stats.stdout.splitlines() if "\t[*]" in row
    )
    diff = invoke("check", "--no-cache", "--diff", *flags, "app.py")
    out["diff"] = int(re.search(r"Would fix (\d+) errors?", diff.stderr)[1])
    original = (project / "app.py").read_bytes()
    fixed = invoke("check", "--no-cache", "--fix", "--show-fixes", *flags, "app.py")
    (project / "app.py").write_bytes(original)
    out["show-fixes"] = int(re.search(r"Fixed (\d+) errors?:", fixed.stdout)[1])
    out["show-fixes rows"] = sum(
        int(n) for n in re.findall(r"^ +(\d+) \u00d7 PGL", fixed.stdout, re.MULTILINE)
    )
    out["summary after fix"] = int(re.search(r"\((\d+) fixed, ", fixed.stdout)[1])
    return out


def _fixable(text: str) -> int:
    found = re.search(r"\[\*\] (\d+) fixable with the `--fix` option", text)
    return int(found[1]) if found else 0


@pytest.mark.parametrize(
    ("source", "flags", "expected"),
    [
        (FOLDED, ("--unsafe-fixes",), 2),
        (FOLDED, (), 1),
        (FIXABLE, (), 2),
    ],
    ids=["folded-unsafe", "folded-safe-only", "two-safe-fixes"],
)
def test_every_output_gives_the_same_count(project, source, flags, expected):
    write(project, "app.py", source)
    found = counts(project, *flags)
    assert found == dict.fromkeys(found, expected), found


def test_the_folded_finding_is_not_listed_as_a_fix_of_its_own(project):
    write(project, "app.py", FOLDED)
    fixed = invoke("check", "--no-cache", "--fix", "--unsafe-fixes", "--show-fixes", "app.py")
    assert "PGL205" not in fixed.stdout
    assert "'A%%'" in (project / "app.py").read_text()  # but its `%` was doubled
    assert "Found 2 errors (2 fixed, 0 remaining)." in fixed.stdout


@pytest.mark.slow
def test_the_example_app_counts_agree(project):
    shutil.copytree(Path(__file__).parent.parent / "examples" / "app", project / "app")
    report = invoke("check", "--no-cache", "--unsafe-fixes", "app")
    diff = invoke("check", "--no-cache", "--unsafe-fixes", "--diff", "app")
    fixed = invoke("check", "--no-cache", "--unsafe-fixes", "--fix", "--show-fixes", "app")
    n = _fixable(report.stdout)
    assert n >= 5
    assert f"Would fix {n} errors." in diff.stderr
    assert f"Fixed {n} errors:" in fixed.stdout
    total = int(re.search(r"Found (\d+) errors\.", report.stdout)[1])
    assert f"Found {total} errors ({n} fixed, {total - n} remaining)." in fixed.stdout
