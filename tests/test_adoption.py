"""Adopting pglint in a legacy codebase: `--add-noqa` and baselines, on a copy of examples/.

After either, `pglint check` passes; a bug introduced afterwards is still reported.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from conftest import INJECTION, ROOT, SYNTAX_ERROR, invoke, write
from pglint.noqa import add_noqa

NEW_BUG = textwrap.dedent(
    """

    def delete_order(cur, order_id):
        cur.execute(f"DELETE FROM orders WHERE id = {order_id}")
    """
)


@pytest.fixture
def legacy(project: Path) -> Path:
    shutil.copytree(ROOT / "examples" / "app", project / "app")
    return project


def findings(*args: str) -> list[tuple[str, int, str]]:
    run = invoke("check", "--output-format", "json", *args)
    assert run.exit_code in (0, 1), run.stderr
    return [(Path(d["filename"]).name, d["location"]["row"], d["code"])
            for d in json.loads(run.stdout)]  # fmt: skip


def test_examples_have_findings_to_adopt(legacy):
    assert len(findings(".")) >= 5


# --- --add-noqa ---------------------------------------------------------------------------


def test_add_noqa_then_check_passes_and_new_bugs_are_reported(legacy):
    items = json.loads(invoke("check", "--output-format", "json", ".").stdout)
    # One directive per row, holding every code reported there.
    rows = {(d["filename"], d["noqa_row"]) for d in items}
    assert len(rows) < len(items), "the examples should have a row with two findings"
    run = invoke("check", "--add-noqa", ".")
    assert run.exit_code == 0, run.stderr
    assert f"Added {len(rows)} noqa directives." in run.stderr
    assert invoke("check", ".").exit_code == 0
    # Running it again changes nothing.
    assert "Added 0 noqa directives." in invoke("check", "--add-noqa", ".").stderr
    crud = legacy / "app" / "crud.py"
    crud.write_text(crud.read_text() + NEW_BUG)
    assert [code for _, _, code in findings(".")] == ["PGL101"]


def test_add_noqa_merges_with_an_existing_noqa_comment():
    text = "x = f(1)  # noqa: E501\ny = 2  # type: ignore\n"
    new, changed = add_noqa(text, [("PGL101", 1), ("PGL202", 1), ("PGL205", 2)])
    assert changed == 2
    assert new == "x = f(1)  # noqa: E501, PGL101, PGL202\ny = 2  # type: ignore  # noqa: PGL205\n"


def test_add_noqa_skips_codes_already_covered_and_own_conditions():
    text = "x = 1  # noqa: PGL1\n"
    assert add_noqa(text, [("PGL101", 1), ("PGL001", 1)]) == (text, 0)


def test_add_noqa_goes_to_the_end_of_a_multi_line_string_and_keeps_crlf():
    text = 'cur.execute(f"""\r\n  SELECT {x}\r\n""")\r\nz = 1\r\n'
    new, changed = add_noqa(text, [("PGL101", 1)])
    assert changed == 1
    assert new == 'cur.execute(f"""\r\n  SELECT {x}\r\n""")  # noqa: PGL101\r\nz = 1\r\n'


def test_add_noqa_with_fix_is_a_usage_error(legacy):
    assert invoke("check", "--add-noqa", "--fix", ".").exit_code == 2
    assert invoke("check", "--add-noqa", "-", input="x = 1\n").exit_code == 2


# --- baselines ----------------------------------------------------------------------------


def test_baseline_then_check_passes_and_new_bugs_are_reported(legacy):
    count = len(findings("."))
    run = invoke("check", "--write-baseline", "pglint-baseline.json", ".")
    assert run.exit_code == 0
    assert f"Recorded {count} findings" in run.stderr
    data = json.loads((legacy / "pglint-baseline.json").read_text())
    assert data["version"] == 1
    assert {e["file"] for e in data["findings"]} <= {
        f"app/{p.name}" for p in (legacy / "app").glob("*.py")
    }
    assert invoke("check", "--baseline", "pglint-baseline.json", ".").exit_code == 0
    crud = legacy / "app" / "crud.py"
    crud.write_text(crud.read_text() + NEW_BUG)
    new = findings("--baseline", "pglint-baseline.json", ".")
    assert [(name, code) for name, _, code in new] == [("crud.py", "PGL101")]


def test_baseline_survives_line_shifts(legacy):
    invoke("check", "--write-baseline", "baseline.json", ".")
    for path in (legacy / "app").glob("*.py"):
        path.write_text('"""A new docstring."""\n\nimport os  # moved everything down\n\n'
                        + path.read_text())  # fmt: skip
    run = invoke("check", "--baseline", "baseline.json", ".")
    assert run.exit_code == 0, run.stdout
    assert "matched nothing" not in run.stderr


def test_baseline_counts_copies_of_the_same_bug(project):
    path = write(project, "db.py", INJECTION)
    invoke("check", "--write-baseline", "baseline.json", ".")
    second = INJECTION.replace("def find_user", "def find_user_again")
    path.write_text(INJECTION + second.replace("import psycopg2\n", ""))
    assert [(row, code) for _, row, code in findings("--baseline", "baseline.json", ".")] == [
        (14, "PGL101")
    ]


def test_baseline_reports_stale_entries(project):
    path = write(project, "db.py", INJECTION)
    invoke("check", "--write-baseline", "baseline.json", ".")
    path.write_text(INJECTION.replace('f"SELECT', '"SELECT').replace("'{email}'", "%s"))
    run = invoke("check", "--baseline", "baseline.json", ".")
    assert "1 baseline entry matched nothing" in run.stderr


def test_baseline_works_from_another_directory(legacy, monkeypatch):
    invoke("check", "--write-baseline", "baseline.json", ".")
    monkeypatch.chdir(legacy / "app")
    assert invoke("check", "--baseline", "../baseline.json", ".").exit_code == 0


def test_baseline_never_hides_syntax_errors(project):
    write(project, "broken.py", SYNTAX_ERROR)
    invoke("check", "--write-baseline", "baseline.json", ".")
    assert invoke("check", "--baseline", "baseline.json", ".").exit_code == 1


@pytest.mark.parametrize(
    ("content", "needle"),
    [("{", "not valid JSON"), ('{"version": 9}', "not a pglint baseline"),
     ('{"version": 1, "findings": [{"file": 1}]}', "malformed baseline entry")],
)  # fmt: skip
def test_bad_baseline_exits_2(project, content, needle):
    write(project, "db.py", INJECTION)
    write(project, "baseline.json", content)
    run = invoke("check", "--baseline", "baseline.json", ".")
    assert run.exit_code == 2
    assert needle in run.stderr


def test_missing_baseline_exits_2(project):
    run = invoke("check", "--baseline", "nope.json", ".")
    assert run.exit_code == 2
    assert "cannot read the baseline" in run.stderr


def test_baseline_and_write_baseline_together_is_a_usage_error(project):
    assert invoke("check", "--baseline", "a", "--write-baseline", "b").exit_code == 2


def test_sarif_shows_baselined_findings_as_external_suppressions(project):
    write(project, "db.py", INJECTION)
    invoke("check", "--write-baseline", "baseline.json", ".")
    run = invoke("check", "--baseline", "baseline.json", "--output-format", "sarif", ".")
    assert run.exit_code == 0
    [result] = json.loads(run.stdout)["runs"][0]["results"]
    assert result["suppressions"] == [{"kind": "external"}]


def test_add_noqa_leaves_notebooks_alone_and_says_so(project):
    notebook = project / "nb.ipynb"
    shutil.copy(ROOT / "tests" / "fixtures" / "notebooks" / "orders.ipynb", notebook)
    before = notebook.read_bytes()
    run = invoke("check", "--add-noqa", ".")
    assert run.exit_code == 0
    assert "nb.ipynb: --add-noqa does not edit notebooks; use a baseline" in run.stderr
    assert notebook.read_bytes() == before


def test_baseline_covers_notebooks(project):
    shutil.copy(ROOT / "tests" / "fixtures" / "notebooks" / "orders.ipynb", project / "nb.ipynb")
    invoke("check", "--write-baseline", "baseline.json", ".")
    assert invoke("check", "--baseline", "baseline.json", ".").exit_code == 0
