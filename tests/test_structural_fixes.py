"""Structural fixes (a ``Plan`` worked out by libcst when a fix is wanted): libcst stays
out of a run that only reports, the plan survives JSON output, the cache and worker
processes, and code libcst cannot restructure never ends a run nor gets a broken fix."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from pglint import Diagnostic, Edit, Fix, Location, lint_source
from pglint.cli import cli
from pglint.fixes import apply_fixes, fix_text

LEAK = textwrap.dedent(
    """\
    import psycopg2


    def export(dsn, user_id):
        conn = psycopg2.connect(dsn)  # the connection
        cur = conn.cursor()
        cur.execute(
            \"\"\"SELECT name
               FROM users WHERE id = %s\"\"\",
            (user_id,),
        )
        rows = cur.fetchall()

        conn.close()  # done
        return rows
    """
)

LEAK_FIXED = textwrap.dedent(
    """\
    import psycopg2


    def export(dsn, user_id):
        conn = psycopg2.connect(dsn)  # the connection
        try:
            cur = conn.cursor()
            cur.execute(
                \"\"\"SELECT name
               FROM users WHERE id = %s\"\"\",
                (user_id,),
            )
            rows = cur.fetchall()
        finally:
            conn.close()  # done
        return rows
    """
)

RUN_AND_LIST_MODULES = """
import sys
from pglint.cli import cli
code = cli.main(args=sys.argv[1:], prog_name="pglint", standalone_mode=False)
print(sorted(m for m in sys.modules if m.split(".")[0] == "libcst" or m == "pglint.fixes_cst"))
"""


def _modules_after(*args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", RUN_AND_LIST_MODULES, "check", "--isolated", "--no-cache", *args],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1].replace("'", '"'))


@pytest.mark.slow  # three interpreters started
def test_a_run_that_only_reports_does_not_import_libcst(tmp_path):
    path = tmp_path / "export.py"
    path.write_text(LEAK)
    assert _modules_after(str(path)) == []
    assert _modules_after("--unsafe-fixes", "--statistics", str(path)) == []
    # ... while a run that fixes does (the control: the file has a structural fix).
    assert "libcst" in _modules_after("--diff", str(path))


def test_a_structural_fix_keeps_comments_and_string_layout():
    (finding,) = lint_source(LEAK, "export.py").diagnostics
    assert finding.code == "PGL403"
    assert finding.fix is not None and finding.fix.plan is not None and not finding.fix.edits
    outcome = fix_text(LEAK, "export.py")
    assert outcome.text == LEAK_FIXED
    assert fix_text(outcome.text, "export.py").text == LEAK_FIXED  # a second --fix: nothing


def test_json_output_carries_the_worked_out_edits(tmp_path):
    path = tmp_path / "export.py"
    path.write_text(LEAK)
    args = ["check", "--isolated", "--no-cache", "--output-format", "json", str(path)]
    result = CliRunner().invoke(cli, args)
    (item,) = json.loads(result.stdout)
    assert item["fix"]["applicability"] == "safe"
    edits = tuple(
        Edit(Location(**e["location"]), Location(**e["end_location"]), e["content"])
        for e in item["fix"]["edits"]
    )
    where = Location(**item["location"])
    shown = Diagnostic("PGL403", "m", str(path), where, where, fix=Fix("safe", "m", edits))
    assert apply_fixes(LEAK, [shown])[0] == LEAK_FIXED


def test_plans_survive_the_cache_and_worker_processes(tmp_path):
    for number in range(40):  # enough files for worker processes
        (tmp_path / f"export_{number}.py").write_text(LEAK)
    cache = ["--cache-dir", str(tmp_path / "cache")]
    args = ["check", "--output-format", "json", "--jobs", "2", *cache, str(tmp_path)]
    first = CliRunner().invoke(cli, args, catch_exceptions=False)
    second = CliRunner().invoke(cli, args, catch_exceptions=False)  # from the cache
    assert json.loads(first.stdout) == json.loads(second.stdout)
    fixes = [item["fix"] for item in json.loads(second.stdout)]
    assert len(fixes) == 40 and all(f and f["edits"] for f in fixes)
    fixed = CliRunner().invoke(
        cli, ["check", "--fix", *cache, str(tmp_path)], catch_exceptions=False
    )
    assert fixed.exit_code == 0, fixed.output
    assert (tmp_path / "export_7.py").read_text() == LEAK_FIXED


DEEP = LEAK.replace("(user_id,)", "(" + " + ".join(["1"] * 600) + ",)")


def test_code_libcst_cannot_restructure_keeps_its_finding_and_ends_nothing(tmp_path):
    """libcst recurses on a long chain of `+` that CPython parses: the fix is not made,
    the run says so and goes on to the next file."""
    deep, plain = tmp_path / "deep.py", tmp_path / "plain.py"
    deep.write_text(DEEP)
    plain.write_text(LEAK)
    result = CliRunner().invoke(cli, ["check", "--isolated", "--no-cache", "--fix", str(tmp_path)])
    assert result.exit_code == 1
    assert "deep.py:5:12: PGL403 fix not applied: this code could not be restructured" in (
        result.stderr
    )
    assert deep.read_text() == DEEP
    assert plain.read_text() == LEAK_FIXED
    assert "[*]" not in result.stdout  # what remains is not offered as fixable


IDENTIFIERS = """\
import psycopg2


def direction(cur: psycopg2.extensions.cursor, column, order):
    cur.execute(f"SELECT * FROM t ORDER BY {column} {order}")


def quoted(cur: psycopg2.extensions.cursor, table):
    cur.execute(f'SELECT * FROM "{table}"')


def prefixed(cur: psycopg2.extensions.cursor, suffix):
    cur.execute(f"SELECT * FROM logs_{suffix}")


def helper(cur: psycopg2.extensions.cursor, table):
    cur.execute(f"SELECT * FROM {table.strip()}")
"""


def test_no_identifier_fix_where_quoting_would_break_the_query():
    """A sort direction is a keyword; a name inside quotes or a word, or one a function
    returns (quoted already, maybe), would be quoted twice or cut."""
    found = lint_source(IDENTIFIERS, "report.py").diagnostics
    assert [d.code for d in found] == ["PGL102"] * 4
    assert [d.fix for d in found] == [None] * 4


EXAMPLES = Path(__file__).parent.parent / "examples"
# What `--fix --unsafe-fixes` leaves in the example app, each without a fix by design:
# PGL203 (which value was meant cannot be known), PGL102 on SQLAlchemy `text()` (no
# identifier quoting there: the suggestion is an allowlist), PGL303 at module level (no
# event loop runs at import; the router module has no lifespan handler to move it to).
# The transaction and sharing findings of checkout.py are suggestions: where a session's
# commit belongs (PGL701 on a dependency's session), which writes form one transaction
# (PGL702), a pool for a shared connection (PGL703), a connection per task or one query
# at a time (PGL704) and autocommit for VACUUM (PGL705) are the author's choice.
LEFT_BY_DESIGN = {
    ("crud.py", "PGL203"), ("reports.py", "PGL102"), ("suppliers.py", "PGL303"),
    *(("checkout.py", f"PGL70{n}") for n in range(1, 6)),
}  # fmt: skip


def test_every_finding_in_the_example_app_with_a_fix_is_fixed(tmp_path):
    app = tmp_path / "examples"
    shutil.copytree(EXAMPLES, app)
    args = ["check", "--isolated", "--no-cache", "--fix", "--unsafe-fixes"]
    first = CliRunner().invoke(cli, [*args, "--output-format", "json", str(app)])
    left = json.loads(first.stdout)
    assert {(Path(item["filename"]).name, item["code"]) for item in left} == LEFT_BY_DESIGN
    assert all(item["fix"] is None for item in left)
    assert "not applied" not in first.stderr  # no fix failed or was refused
    fixed = {p.name: p.read_text() for p in app.rglob("*.py")}
    for name, text in fixed.items():
        compile(text, name, "exec")
    # A second run changes nothing.
    CliRunner().invoke(cli, [*args, str(app)])
    assert {p.name: p.read_text() for p in app.rglob("*.py")} == fixed


COMPOSED = """\
import psycopg2


def search(dsn, owner):
    with psycopg2.connect(dsn) as conn:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT id FROM items WHERE name LIKE 'a%' "  # a-names
                f"AND owner = '{owner}'"
            )
            return cur.fetchall()
"""

COMPOSED_FIXED = """\
import psycopg2
from contextlib import closing


def search(dsn, owner):
    with closing(psycopg2.connect(dsn)) as conn, conn:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT id FROM items WHERE name LIKE 'a%%' "  # a-names
                "AND owner = %s",
                (owner,),
            )
            return cur.fetchall()
"""


def test_fixes_on_the_same_lines_compose():
    """PGL403's `closing()` around the block, PGL101's parameters inside it, then the
    PGL205 that binding brings up (`'a%'` now meets `%s`): one after the other, each on
    the text the one before left, to a text no fix changes."""
    outcome = fix_text(COMPOSED, "search.py", applicabilities={"safe", "unsafe"})
    assert outcome.text == COMPOSED_FIXED
    assert not outcome.result.diagnostics
    again = fix_text(outcome.text, "search.py", applicabilities={"safe", "unsafe"})
    assert again.text == COMPOSED_FIXED and not again.fixed
