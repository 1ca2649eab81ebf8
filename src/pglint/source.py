"""Source text as pglint sees it: decoded, split into lines, with position conversion.

``ast`` reports columns as UTF-8 byte offsets; everything pglint prints or edits counts
characters. This module is the one place that converts between the two.
"""

from __future__ import annotations

import ast
import codecs
import io
import itertools
import re
import tokenize
import warnings
from dataclasses import dataclass
from functools import cached_property

from pglint.diagnostics import Location


class DecodeError(Exception):
    """The bytes cannot be decoded as Python source."""


class RefusedEncoding(DecodeError):
    """The file declares an encoding the interpreter refuses to read Python in (one it
    does not know, one that is not ASCII-compatible, or one that contradicts a UTF-8
    byte order mark): like a syntax error, a finding of the file (PGL001)."""


@dataclass
class SourceFile:
    """Decoded text plus what is needed to write it back byte-for-byte the same way."""

    text: str
    encoding: str = "utf-8"
    bom: bool = False

    def encode(self, text: str | None = None) -> bytes:
        data = (self.text if text is None else text).encode(self.encoding)
        return codecs.BOM_UTF8 + data if self.bom else data


def decode_source(data: bytes) -> SourceFile:
    """Decode like the interpreter: BOM, then a PEP 263 coding cookie, then UTF-8."""
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[len(codecs.BOM_UTF8) :] if bom else data
    encoding = "utf-8"
    if b"coding" in _first_two_lines(data):  # where a coding cookie can be
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as exc:
            # detect_encoding says "invalid or missing encoding declaration" when the
            # first two lines are not UTF-8; the missing declaration is rarely the problem.
            if "encoding declaration" in str(exc):
                raise DecodeError(_not_utf8(body, "utf-8")) from None
            declared = _declared(body)
            if bom and declared:
                raise RefusedEncoding(
                    f"encoding problem: a UTF-8 byte order mark, but the coding line says "
                    f"{declared}"
                ) from None
            raise RefusedEncoding(f"{exc}; Python refuses the file") from None
        if encoding == "utf-8-sig":
            encoding = "utf-8"
        elif not _ascii_compatible(encoding):
            raise RefusedEncoding(
                f"encoding problem: {_declared(body) or encoding} is not ASCII-compatible; "
                "Python refuses the file"
            )
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError:
        raise DecodeError(_not_utf8(body, encoding)) from None
    except LookupError as exc:
        raise RefusedEncoding(f"{exc}; Python refuses the file") from None
    return SourceFile(text=text, encoding=encoding, bom=bom)


_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", re.MULTILINE)
_ASCII_SAMPLE = b"# -*- coding: x -*-\nimport a\n"


def _declared(data: bytes) -> str | None:
    """The encoding as the coding line writes it (detect_encoding normalizes the name)."""
    match = _COOKIE.search(_first_two_lines(data))
    return match.group(1).decode("ascii", "replace") if match else None


def _ascii_compatible(encoding: str) -> bool:
    try:
        return _ASCII_SAMPLE.decode(encoding) == _ASCII_SAMPLE.decode("ascii")
    except (UnicodeDecodeError, LookupError):
        return False


def _first_two_lines(data: bytes) -> bytes:
    end = data.find(b"\n")
    if end != -1:
        end = data.find(b"\n", end + 1)
    return data if end == -1 else data[:end]


_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=]", re.MULTILINE)


def _not_utf8(body: bytes, encoding: str) -> str:
    """Say where decoding fails, as a row and column a user can jump to."""
    try:
        body.decode(encoding)
    except UnicodeDecodeError as exc:
        before = body[: exc.start]
        row = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        byte = body[exc.start : exc.start + 1].hex()
        first_lines = b"\n".join(body.split(b"\n", 2)[:2])
        declared = "" if _CODING.search(first_lines) else " and no other encoding is declared"
        return (
            f"not valid {encoding}{declared}: byte 0x{byte} at row {row}, column {column} "
            "(save the file as UTF-8, or declare its encoding in a `# -*- coding: ... -*-` line)"
        )
    return f"cannot be decoded as {encoding}"


def parse_module(text: str, filename: str) -> ast.Module:
    """``ast.parse`` without the compiler's warnings about the code it reads (such as
    Python 3.12's invalid escape sequences): they are the interpreter's to give, and
    under ``-W error`` they would turn a valid file into a syntax error."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(text, filename=filename)


# The line breaks ``ast`` and the tokenizer count; str.splitlines also breaks at \f, \v,
# \x1c-\x1e, \x85 and \u2028/\u2029, which Python source treats as ordinary characters.
LINE_BREAK = re.compile(r"\r\n|\r|\n")
# The ASCII characters str.splitlines breaks at that Python source does not.
_SPLITLINES_ONLY = re.compile("[\x0b\x0c\x1c\x1d\x1e]")


def line_starts(text: str) -> list[int]:
    """Offsets where each row begins (row 1 at index 0), plus the end of the text."""
    starts = [0] + [m.end() for m in LINE_BREAK.finditer(text)]
    if starts[-1] != len(text):
        starts.append(len(text))
    return starts


@dataclass
class SourceText:
    """The text of one module with line tables for position conversion."""

    text: str

    # The line tables are built on first use: most files pglint analyses have no
    # finding, and nothing asks them for a row.
    @cached_property
    def lines(self) -> list[str]:
        return self._tables[0]

    @cached_property
    def _line_starts(self) -> list[int]:
        return self._tables[1]

    @cached_property
    def _tables(self) -> tuple[list[str], list[int]]:
        text = self.text
        if text.isascii() and _SPLITLINES_ONLY.search(text) is None:
            # str.splitlines breaks exactly where Python does when none of the extra
            # characters it also breaks at is present, and runs in C.
            lines = text.splitlines(keepends=True)
            starts = [0, *itertools.accumulate(map(len, lines))]
        else:
            starts = line_starts(text)
            lines = [text[a:b] for a, b in itertools.pairwise(starts)]
        return lines or [""], starts if len(starts) > 1 else [0, 0]

    def line(self, row: int) -> str:
        """Line ``row`` (1-based) without its line ending; '' past the end."""
        if 1 <= row <= len(self.lines):
            return self.lines[row - 1].rstrip("\r\n")
        return ""

    def char_col(self, row: int, byte_col: int) -> int:
        """Convert an ``ast`` byte column (0-based) to a character column (0-based)."""
        line = self.line(row)
        if line.isascii():
            return byte_col
        return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="replace"))

    def location(self, row: int, byte_col: int) -> Location:
        return Location(row, self.char_col(row, byte_col) + 1)

    def start(self, node: ast.AST) -> Location:
        return self.location(node.lineno, node.col_offset)  # type: ignore[attr-defined]

    def end(self, node: ast.AST) -> Location:
        return self.location(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]

    def offset(self, location: Location) -> int:
        """Character offset into ``text`` of a 1-based location."""
        row = min(max(location.row, 1), len(self.lines))
        return self._line_starts[row - 1] + location.column - 1

    def location_at(self, offset: int) -> Location:
        """Inverse of ``offset``."""
        lo, hi = 0, len(self._line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        row = min(lo + 1, len(self.lines))
        return Location(row, offset - self._line_starts[row - 1] + 1)

    def segment(self, node: ast.AST) -> str:
        return self.text[self.offset(self.start(node)) : self.offset(self.end(node))]
