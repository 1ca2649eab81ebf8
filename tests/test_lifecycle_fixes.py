"""The try/finally fixes of PGL401 and PGL402 on awkward files: CRLF line endings, tab
indentation, non-ASCII names, statements that share a line."""

from __future__ import annotations

from pathlib import Path

from pglint import lint_source
from pglint.fixes import fix_text

FIXTURES = Path(__file__).parent / "fixtures"
HEAD = "from fastapi import Depends\nfrom sqlalchemy.orm import sessionmaker\nS = sessionmaker()\n"
TAIL = "def h(d=Depends(get_db)): ...\n"


def test_crlf_file_keeps_its_line_endings():
    source = (FIXTURES / "pgl402_bad.py").read_text().replace("\n", "\r\n")
    expected = (FIXTURES / "pgl402_bad.fixed.py").read_text().replace("\n", "\r\n")
    assert fix_text(source, "deps.py").text == expected


def test_tab_indented_file_gets_tabs():
    source = HEAD + "def get_db():\n\tdb = S()\n\tyield db\n" + TAIL
    fixed = fix_text(source, "deps.py").text
    assert "\ttry:\n\t\tyield db\n\tfinally:\n\t\tdb.close()\n" in fixed
    compile(fixed, "deps.py", "exec")


def test_non_ascii_names_and_comments():
    source = HEAD + "def get_db():\n    é = S()  # ü\n    return é  # ü\n" + TAIL
    fixed = fix_text(source, "deps.py").text
    assert "    try:\n        yield é  # ü\n    finally:\n        é.close()\n" in fixed


def test_statements_sharing_a_line_get_no_fix():
    source = HEAD + "def get_db():\n    db = S()\n    yield db; db.close()\n" + TAIL
    (finding,) = lint_source(source, "deps.py").diagnostics
    assert finding.code == "PGL402"
    assert finding.fix is None
