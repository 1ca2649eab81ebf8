"""Jupyter notebooks: cell-and-line positions, IPython syntax hidden, fixes written in place."""

from __future__ import annotations

import ast
import difflib
import json
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES, invoke, write
from pglint.ipython_syntax import hide_ipython
from pglint.notebooks import Notebook, lint_notebook

NOTEBOOK = FIXTURES / "notebooks" / "orders.ipynb"


@pytest.fixture
def notebook(project: Path) -> Path:
    return Path(shutil.copy(NOTEBOOK, project / "orders.ipynb"))


def test_findings_are_reported_at_cell_and_line(notebook):
    run = invoke("check", "--output-format", "concise", "orders.ipynb")
    assert run.exit_code == 1
    lines = run.stdout.splitlines()
    # The injection is on line 3 of the sixth cell (markdown cells count too).
    assert lines[0].startswith("orders.ipynb:cell 6:3:1: PGL101 ")
    # Line 3 of cell 7, after a `%time` magic on line 2 inside a `for` block.
    assert lines[1].startswith("orders.ipynb:cell 7:3:5: PGL202 [*] ")


def test_json_has_the_cell(notebook):
    items = json.loads(invoke("check", "--output-format", "json", "orders.ipynb").stdout)
    assert [(d["cell"], d["location"]["row"], d["code"]) for d in items] == [
        (6, 3, "PGL101"),
        (7, 3, "PGL202"),
    ]
    [edit] = items[1]["fix"]["edits"]
    assert edit["location"]["row"] == 3  # edits count rows within the cell too
    assert items[0]["noqa_row"] == 3


def test_full_format_shows_cell_rows(notebook):
    out = invoke("check", "orders.ipynb").stdout
    assert "3 | cur.execute(f\"SELECT * FROM orders WHERE customer = '{name}'\")" in out


def test_fix_rewrites_only_the_fixed_cell(notebook):
    before_text = notebook.read_text(encoding="utf-8")
    run = invoke("check", "--fix", "orders.ipynb")
    assert run.exit_code == 1  # the injection has no automatic fix
    after_text = notebook.read_text(encoding="utf-8")
    before, after = json.loads(before_text), json.loads(after_text)
    assert after["cells"][6]["source"][2].endswith("(42,))")
    after["cells"][6]["source"] = before["cells"][6]["source"]
    assert after == before  # outputs, metadata, ids and every other cell untouched
    changed = [line for line in difflib.ndiff(before_text.splitlines(), after_text.splitlines())
               if line.startswith(("+", "-"))]  # fmt: skip
    assert len(changed) == 2  # one line out, one line in: the formatting is kept
    assert "données réelles" in after_text  # non-ASCII stays as written
    assert list(json.loads(after_text)["cells"][1]) == list(before["cells"][1])  # key order
    assert after_text.endswith("}\n")
    items = json.loads(invoke("check", "--output-format", "json", "orders.ipynb").stdout)
    assert [d["code"] for d in items] == ["PGL101"]


def test_diff_shows_the_notebook_change_and_writes_nothing(notebook):
    before = notebook.read_bytes()
    run = invoke("check", "--diff", "orders.ipynb")
    assert run.exit_code == 1
    assert "(42))" in run.stdout and "(42,))" in run.stdout
    assert notebook.read_bytes() == before


@pytest.mark.parametrize("indent", [1, 2, 4])
@pytest.mark.parametrize("ensure_ascii", [False, True])
def test_unchanged_notebook_is_written_back_byte_for_byte(indent, ensure_ascii):
    data = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    text = json.dumps(data, indent=indent, ensure_ascii=ensure_ascii) + "\n"
    assert Notebook(text).dumps() == text


def test_string_sources_stay_strings(project):
    data = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    for cell in data["cells"]:
        cell["source"] = "".join(cell["source"])
    path = write(project, "flat.ipynb", json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    invoke("check", "--fix", "flat.ipynb")
    fixed = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(fixed["cells"][6]["source"], str)
    assert "(42,))" in fixed["cells"][6]["source"]


def test_noqa_in_a_cell(project):
    data = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    source = data["cells"][5]["source"]
    source[2] = source[2].rstrip("\n") + "  # noqa: PGL101\n"
    write(project, "nb.ipynb", json.dumps(data, indent=1))
    items = json.loads(invoke("check", "--output-format", "json", "nb.ipynb").stdout)
    assert [d["code"] for d in items] == ["PGL202"]


def test_notebooks_are_found_when_walking(project, notebook):
    write(project, "other.txt", "")
    run = invoke("check", "--output-format", "concise", ".")
    assert "orders.ipynb:cell 6:3:1: PGL101" in run.stdout


def test_sarif_and_github_name_the_cell(notebook):
    sarif = json.loads(invoke("check", "--output-format", "sarif", ".").stdout)
    first = sarif["runs"][0]["results"][0]
    assert first["message"]["text"].startswith("cell 6, line 3: ")
    physical = first["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "orders.ipynb"
    # The region is the line of the .ipynb file that holds the code.
    row = physical["region"]["startLine"]
    assert "SELECT * FROM orders WHERE customer" in notebook.read_text().splitlines()[row - 1]
    github = invoke("check", "--output-format", "github", ".").stdout
    assert f",line={row}::" in github
    gitlab = json.loads(invoke("check", "--output-format", "gitlab", ".").stdout)
    assert gitlab[0]["location"]["lines"]["begin"] == row
    assert "::orders.ipynb%3Acell 6%3A3%3A1" not in github  # the message is data, not a property
    assert "::orders.ipynb:cell 6:3:1: PGL101 " in github


@pytest.mark.parametrize(
    ("content", "needle"),
    [("{not json", "not a valid notebook: not JSON"),
     ('{"worksheets": []}', "nbformat 3 notebooks are not supported"),
     ('{"metadata": {}}', "not a valid notebook: no list of cells")],
)  # fmt: skip
def test_broken_notebook_is_a_clear_error(project, content, needle):
    write(project, "bad.ipynb", content)
    run = invoke("check", "bad.ipynb")
    assert run.exit_code == 2
    assert needle in run.stderr
    assert "Traceback" not in run.stderr


def test_other_kernels_are_not_linted():
    data = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    data["metadata"]["language_info"]["name"] = "R"
    result = lint_notebook(json.dumps(data).encode(), "r.ipynb")
    assert result.error is None and result.diagnostics == []


def test_a_cell_that_does_not_parse_is_pgl001_in_that_cell(project):
    data = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    data["cells"][3] = {"cell_type": "code", "execution_count": None, "metadata": {},
                        "outputs": [], "source": ["x = 1\n", "def broken(:\n"]}  # fmt: skip
    write(project, "nb.ipynb", json.dumps(data))
    items = json.loads(invoke("check", "--output-format", "json", "nb.ipynb").stdout)
    assert [(d["cell"], d["location"]["row"], d["code"]) for d in items] == [(4, 2, "PGL001")]


# --- hiding IPython syntax ----------------------------------------------------------------


def hidden(source: str) -> str:
    lines, _ = hide_ipython(source.splitlines(keepends=True))
    return "".join(lines)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("%matplotlib inline\nx = 1\n", "pass\nx = 1\n"),
        ("!pip install x\n", "pass\n"),
        ("files = !ls\n", "files = None\n"),
        ("a, b = %sql SELECT 1\n", "a, b = None\n"),
        ("df?\n", "pass\n"),
        ("??df\n", "pass\n"),
        ("if x:\n    %time f()\n", "if x:\n    pass\n"),
        ("%time f(1, \\\n   2)\ny = 2\n", "pass\npass\ny = 2\n"),
        ("%%sql\nSELECT 1\n", "\n\n"),
        ("\n%%bash\nls\n", "\n\n\n"),
        # Inside a multi-line string a leading `%` or `!` is text.
        ('q = """\n%s\n!x\n"""\n', 'q = """\n%s\n!x\n"""\n'),
        ("x = 5 % 3\ny = not x\n", "x = 5 % 3\ny = not x\n"),
        # A `%` continuing an expression is the operator, not a magic.
        ("x = (a\n     % b)\n", "x = (a\n     % b)\n"),
        ("x = a \\\n    % b\n", "x = a \\\n    % b\n"),
        ("f(\n    1,\n)\n%time g()\n", "f(\n    1,\n)\npass\n"),
    ],
)
def test_hide_ipython(source, expected):
    out = hidden(source)
    assert out == expected
    assert out.count("\n") == source.count("\n")  # rows never move
    ast.parse(out)


def test_sarif_for_a_notebook_validates(notebook):
    import jsonschema

    from test_formats import sarif_schema

    document = json.loads(invoke("check", "--output-format", "sarif", ".").stdout)
    assert len(document["runs"][0]["results"]) == 2
    jsonschema.Draft4Validator(sarif_schema()).validate(document)


def test_notebook_on_stdin():
    data = NOTEBOOK.read_bytes()
    run = invoke("check", "--output-format", "concise", "--stdin-filename", "nb.ipynb", "-",
                 input=data)  # fmt: skip
    assert run.exit_code == 1
    assert run.stdout.startswith("nb.ipynb:cell 6:3:1: PGL101 ")
    fixed = invoke("check", "--fix", "--stdin-filename", "nb.ipynb", "-", input=data)
    assert "(42,))" in json.loads(fixed.stdout)["cells"][6]["source"][2]
    assert "nb.ipynb:cell 6:3:1: PGL101" in fixed.stderr  # the report goes to stderr


def test_file_rows_of_string_sources_and_unmatched_layouts():
    data = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    for cell in data["cells"]:
        cell["source"] = "".join(cell["source"])
    text = json.dumps(data, indent=1)
    rows = Notebook(text).file_rows()
    lines = text.splitlines()
    assert len(rows[6]) == 4 and len(set(rows[6])) == 1  # every line is in one JSON string
    assert lines[rows[6][0] - 1].lstrip().startswith('"source": "name = input()')
    # A "source" key in cell metadata ahead of the real one: no guess, no mapping.
    data["cells"][5]["metadata"] = {"source": ["decoy"]}
    assert 6 not in Notebook(json.dumps(data, indent=1, sort_keys=True)).file_rows()


def test_unsafe_fix_parameterizes_the_injection_in_its_cell(notebook):
    before = json.loads(notebook.read_text(encoding="utf-8"))
    run = invoke("check", "--fix", "--unsafe-fixes", "orders.ipynb")
    assert run.exit_code == 0, run.stdout
    after = json.loads(notebook.read_text(encoding="utf-8"))
    assert "".join(after["cells"][5]["source"]).splitlines()[2] == (
        'cur.execute("SELECT * FROM orders WHERE customer = %s", (name,))'
    )
    for cell in (5, 6):
        after["cells"][cell]["source"] = before["cells"][cell]["source"]
    assert after == before
    assert invoke("check", "orders.ipynb").exit_code == 0
