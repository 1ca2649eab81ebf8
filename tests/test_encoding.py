"""Encodings, byte-order marks, line endings and character columns, end to end."""

from __future__ import annotations

import codecs
import json

import pytest

from conftest import FIXABLE, FIXED, INJECTION, invoke, write


def items(*args: str) -> list[dict]:
    run = invoke("check", "--output-format", "json", *args)
    assert run.exit_code in (0, 1), run.stderr
    return json.loads(run.stdout)


NON_ASCII = (
    "import psycopg2\n"
    "\n"
    "def find(email):\n"
    "    cur = psycopg2.connect().cursor()\n"
    "    résumé = 'ü'; cur.execute(f\"SELECT * FROM t WHERE e = '{email}'\")\n"
)
CALL_COLUMN = len("    résumé = 'ü'; ") + 1


def test_columns_count_characters_not_bytes(project):
    write(project, "db.py", NON_ASCII)
    [item] = items("db.py")
    assert item["location"] == {"row": 5, "column": CALL_COLUMN}
    line = NON_ASCII.splitlines()[4]
    assert item["end_location"] == {"row": 5, "column": len(line) + 1}


def test_caret_lines_up_under_non_ascii(project):
    write(project, "db.py", NON_ASCII)
    out = invoke("check", "db.py").stdout.splitlines()
    row = next(i for i, line in enumerate(out) if line.startswith("5 | "))  # the finding's
    caret = "  | " + " " * (CALL_COLUMN - 1) + "^" * (len(out[row]) - 4 - CALL_COLUMN + 1)
    assert out[row + 1] == caret


def test_latin1_coding_cookie(project):
    source = "# -*- coding: latin-1 -*-\n" + NON_ASCII
    write(project, "db.py", source.encode("latin-1"))
    [item] = items("db.py")
    assert item["location"] == {"row": 6, "column": CALL_COLUMN}


def test_fix_keeps_latin1(project):
    source = "# coding: latin-1\n# café\n" + FIXABLE
    path = write(project, "db.py", source.encode("latin-1"))
    assert invoke("check", "--fix", "db.py").exit_code == 0
    assert path.read_bytes() == ("# coding: latin-1\n# café\n" + FIXED).encode("latin-1")


def test_fix_leaves_an_undecodable_file_alone(project):
    path = write(project, "db.py", b"# coding: ascii\nx = '\xe9'\n")
    run = invoke("check", "--fix", "db.py")
    assert run.exit_code == 2
    assert "db.py" in run.stderr
    assert path.read_bytes() == b"# coding: ascii\nx = '\xe9'\n"


def test_utf8_bom(project):
    path = write(project, "db.py", codecs.BOM_UTF8 + FIXABLE.encode())
    found = items("db.py")
    assert [(d["code"], d["location"]["row"]) for d in found] == [("PGL202", 7), ("PGL205", 8)]
    assert found[0]["location"]["column"] == 5
    assert invoke("check", "--fix", "db.py").exit_code == 0
    assert path.read_bytes() == codecs.BOM_UTF8 + FIXED.encode()


def test_crlf_line_endings(project):
    crlf = FIXABLE.replace("\n", "\r\n")
    path = write(project, "db.py", crlf.encode())
    found = items("db.py")
    assert [(d["code"], d["location"]["row"], d["location"]["column"]) for d in found] == [
        ("PGL202", 7, 5),
        ("PGL205", 8, 5),
    ]
    assert invoke("check", "--fix", "db.py").exit_code == 0
    assert path.read_bytes() == FIXED.replace("\n", "\r\n").encode()


def test_crlf_diff_keeps_line_endings(project):
    write(project, "db.py", FIXABLE.replace("\n", "\r\n").encode())
    out = invoke("check", "--diff", "db.py").stdout_bytes
    assert b'+    cur.execute("SELECT * FROM users WHERE id = %s", (42,))\r\n' in out


def test_stdin_bytes_are_decoded_like_files(project):
    source = ("# coding: latin-1\n" + NON_ASCII).encode("latin-1")
    run = invoke("check", "--output-format", "json", "-", input=source)
    [item] = json.loads(run.stdout)
    assert item["location"] == {"row": 6, "column": CALL_COLUMN}


def test_stdin_fix_keeps_bom_and_encoding(project):
    source = codecs.BOM_UTF8 + FIXABLE.encode()
    run = invoke("check", "--fix", "-", input=source)
    assert run.exit_code == 0
    assert run.stdout_bytes == codecs.BOM_UTF8 + FIXED.encode()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (
            b"x = 1\ny = '\xff'\n",
            "not valid utf-8 and no other encoding is declared: byte 0xff at row 2, column 6",
        ),
        (
            b"y = '\xff'\n",
            "not valid utf-8 and no other encoding is declared: byte 0xff at row 1, column 6",
        ),
        (b"# coding: utf-8\ny = '\xe9'\n", "not valid utf-8: byte 0xe9 at row 2, column 6"),
    ],
    ids=["invalid-utf8", "invalid-utf8-first-line", "cookie-utf8"],
)
def test_undecodable(project, data, reason):
    write(project, "bad.py", data)
    write(project, "ok.py", INJECTION)
    run = invoke("check", "--output-format", "concise", ".")
    assert run.exit_code == 2
    [line] = run.stderr.splitlines()
    assert line.startswith("pglint: error: bad.py: ")
    assert reason in line
    assert "ok.py:7:5: PGL101" in run.stdout


def test_undecodable_stdin_with_fix_passes_the_input_through(project):
    run = invoke("check", "--fix", "-", input=b"x = '\xff'\n")
    assert run.exit_code == 2
    assert "pglint: error: -: " in run.stderr


def test_form_feed_does_not_shift_rows(project):
    source = INJECTION.replace("\n\n\ndef", "\n\x0c\n\ndef")
    write(project, "db.py", source)
    [item] = items("db.py")
    assert "`email`" in item["message"]


def _as_the_interpreter_decodes(data: bytes) -> tuple[str, str] | None:
    import io
    import tokenize

    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return encoding.replace("utf-8-sig", "utf-8"), data.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return None


@pytest.mark.parametrize(
    "data",
    [
        b"x = 1\n",
        b"",
        b"\n\n# -*- coding: latin-1 -*-\nx = '\xe9'\n",  # third line: not a cookie
        b"# -*- coding: latin-1 -*-\nx = '\xe9'\n",
        b"#!/usr/bin/env python\n# vim: set fileencoding=latin-1 :\nx = '\xe9'\n",
        b"x = 1\n# coding: latin-1\n",  # after code: not a cookie
        b"# coding: latin-1\rx = '\xe9'\r",  # one line to the tokenizer
        codecs.BOM_UTF8 + b"# coding: latin-1\n",  # a BOM and another encoding
        codecs.BOM_UTF8 + b"# coding: utf-8\nx = '\xc3\xa9'\n",
        b"# coding: no-such-codec\n",
        b"x = '\xe9'  # coding words later: decoding\n",
        b"\xe9\n# coding: latin-1\n",
        b"s = 'encoding and coding'\nx = '\xc3\xa9'\n",
    ],
)
def test_decoding_agrees_with_the_interpreter(data):
    """Files with no `coding` in their first two lines skip the cookie search: the
    outcome must be the one the full search gives."""
    from pglint.source import DecodeError, decode_source

    try:
        decoded = decode_source(data)
        ours = (decoded.encoding, decoded.text)
    except DecodeError:
        ours = None
    expected = _as_the_interpreter_decodes(data)
    if expected is not None and data.startswith(codecs.BOM_UTF8):
        expected = (expected[0], expected[1].removeprefix("\ufeff"))
    assert ours == expected
