"""`# noqa` through the command line, with flake8's comment syntax."""

from __future__ import annotations

import json
import textwrap

import pytest

from conftest import INJECTION, invoke, write
from pglint.noqa import NoqaMap, noqa_line_ranges

CALL = "cur.execute(f\"SELECT * FROM users WHERE email = '{email}'\")"


def with_comment(comment: str) -> str:
    return INJECTION.replace(CALL, f"{CALL}  {comment}")


def codes(source: str, *flags: str) -> list[str]:
    run = invoke("check", "--output-format", "json", "--stdin-filename", "db.py", *flags, "-",
                 input=source)  # fmt: skip
    return [d["code"] for d in json.loads(run.stdout)]


def test_the_finding_is_there_without_a_comment():
    assert codes(INJECTION) == ["PGL101"]


@pytest.mark.parametrize(
    "comment",
    [
        "# noqa",
        "# NOQA",
        "# noqa: PGL101",
        "# noqa:PGL101",
        "# noqa: PGL1",
        "# noqa: PGL",
        "# noqa: E501, PGL101",
        "# noqa: E501 PGL101",
        "# noqa: this is fine",  # not a code list: flake8 reads it as a bare noqa
        "# type: ignore  # noqa: PGL101",
        "# noqa PGL102",  # no colon: a bare noqa to flake8
    ],
)
def test_suppressed(comment):
    assert codes(with_comment(comment)) == []


@pytest.mark.parametrize(
    "comment",
    [
        "# noqa: PGL102",
        "# noqa: PGL2",
        "# noqa: PGL1010",
        "# noqa: E501",
        "# noqa: pgl101",  # flake8 compares codes case-sensitively
        "# no qa",
    ],
)
def test_not_suppressed(comment):
    # (A pglint code that silences nothing is itself reported, as PGL003.)
    assert codes(with_comment(comment), "--ignore", "PGL003") == ["PGL101"]


MULTILINE = textwrap.dedent(
    """\
    import psycopg2


    def find_user(email):
        conn = psycopg2.connect()
        cur = conn.cursor()
        cur.execute(
            f"SELECT * FROM users WHERE email = '{email}'"
        )COMMENT
        return cur.fetchone()OTHER
    """
)


def multiline(comment: str = "", other: str = "") -> str:
    return MULTILINE.replace("COMMENT", comment).replace("OTHER", other)


TRIPLE = INJECTION.replace(
    CALL,
    'cur.execute(f"""\n        SELECT * FROM users\n        WHERE email = \'{email}\'\n    """)',
)


def test_on_the_reported_row_of_a_multi_line_call():
    # The finding is reported on the row of `cur.execute(`; as in flake8 and ruff, the
    # rows of a parenthesized call are separate rows, so the comment goes there.
    assert codes(multiline()) == ["PGL101"]
    source = multiline().replace("cur.execute(\n", "cur.execute(  # noqa: PGL101\n")
    assert codes(source) == []


def test_not_from_the_closing_parenthesis():
    assert codes(multiline("  # noqa: PGL101", "")) == ["PGL101", "PGL003"]


def test_not_from_the_next_statement():
    assert codes(multiline("", "  # noqa")) == ["PGL101"]


def test_at_the_end_of_a_multi_line_string():
    assert TRIPLE.count("\n") == INJECTION.count("\n") + 3
    assert codes(TRIPLE) == ["PGL101"]
    assert codes(TRIPLE.replace('""")', '""")  # noqa: PGL101')) == []


def test_across_a_backslash_continuation():
    source = INJECTION.replace(
        CALL, "cur.execute(\\\n    f\"SELECT * FROM users WHERE email = '{email}'\")"
    )
    assert codes(source) == ["PGL101"]
    assert codes(source.replace("}'\")", "}'\")  # noqa: PGL101")) == []


def test_file_level_flake8_noqa():
    assert codes("# flake8: noqa\n" + INJECTION) == []
    # On a line with code it is not a file-level exemption (flake8 only warns).
    assert codes("import os  # flake8: noqa\n" + INJECTION) == ["PGL101"]


def test_noqa_row_is_the_reported_row_of_a_multi_line_call():
    run = invoke("check", "--output-format", "json", "-", input=multiline())
    [item] = json.loads(run.stdout)
    assert item["location"]["row"] == item["noqa_row"] == 7


def test_noqa_row_is_the_end_of_a_multi_line_string():
    [item] = json.loads(invoke("check", "--output-format", "json", "-", input=TRIPLE).stdout)
    assert item["location"]["row"] == 7
    assert item["noqa_row"] == 10


def test_noqa_row_single_line():
    [item] = json.loads(invoke("check", "--output-format", "json", "-", input=INJECTION).stdout)
    assert item["noqa_row"] == item["location"]["row"] == 7


@pytest.mark.parametrize("name", ["multiline", "triple"])
def test_putting_the_comment_on_noqa_row_silences_every_finding(project, name):
    # The contract behind `noqa_row`: a tool that writes `# noqa: CODE` there is right.
    source = multiline() if name == "multiline" else TRIPLE
    assert codes(source)
    path = write(project, "db.py", source)
    items = json.loads(invoke("check", "--output-format", "json", "db.py").stdout)
    lines = source.splitlines(keepends=True)
    for item in items:
        row = item["noqa_row"] - 1
        lines[row] = lines[row].rstrip("\n") + f"  # noqa: {item['code']}\n"
    path.write_text("".join(lines))
    assert invoke("check", "db.py").exit_code == 0


def test_noqa_map_units():
    text = 'x = f(\n    1,\n)  # noqa: PGL2, PGL101\ny = """\nz\n"""  # noqa\nw = 1 + \\\n  2  # noqa: PGL3\n'
    lines = text.splitlines(keepends=True)
    noqa = NoqaMap(lines, text)
    assert noqa.suppressed("PGL101", 3)
    assert noqa.suppressed("PGL205", 3)
    assert not noqa.suppressed("PGL101", 1)
    assert not noqa.suppressed("PGL205", 2)
    assert not noqa.suppressed("PGL102", 3)
    assert noqa.suppressed("PGL102", 4)
    assert noqa.suppressed("PGL301", 7)
    assert not noqa.suppressed("PGL401", 7)
    ranges = noqa_line_ranges(text)
    assert ranges[1] == (1, 1)
    assert ranges[5] == (4, 6)
    assert ranges[7] == ranges[8] == (7, 8)
