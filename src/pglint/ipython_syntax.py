"""IPython syntax in notebook cells, replaced by Python of the same shape.

A line magic (`%time ...`), a shell escape (`!pip ...`, `files = !ls`) or a help query
(`obj?`) becomes `pass` (or `None` on the right of an assignment) on the same row, so
every other row and column stays where it was; a cell-magic cell (`%%sql`, `%%bash`) is
blanked whole. As in IPython, only a row that starts a logical line can be a magic: a
`%` continuing an expression in brackets, after a backslash or inside a multi-line
string is Python (or text) and stays.
"""

from __future__ import annotations

import io
import re
import tokenize

_MAGIC = re.compile(r"^([ \t]*)(?:[%!]|\?\??[A-Za-z_])")
_NAME = r"[A-Za-z_][\w.]*"
_ASSIGNED_MAGIC = re.compile(rf"^([ \t]*{_NAME}(?:[ \t]*,[ \t]*{_NAME})*[ \t]*=[ \t]*)[%!]")
_HELP = re.compile(r"^([ \t]*)[A-Za-z_][\w.]*\?\??[ \t]*$")


def hide_ipython(lines: list[str]) -> tuple[list[str], set[int]]:
    """Replace IPython-only lines with Python of the same row count.

    Returns the new lines and the 0-based indexes of the rows replaced.
    """
    first = next((line for line in lines if line.strip()), "")
    if first.lstrip().startswith("%%"):
        return ["\n"] * len(lines), set(range(len(lines)))
    out = list(lines)
    hidden: set[int] = set()
    continued: str | None = None  # the indentation of a magic continued with `\`
    for i, line in enumerate(lines):
        body = line.rstrip("\r\n")
        if continued is not None:
            out[i] = continued + "pass\n"
            hidden.add(i)
            continued = continued if body.endswith("\\") else None
            continue
        assigned = _ASSIGNED_MAGIC.match(body)
        magic = _MAGIC.match(body) or _HELP.match(body)
        if assigned:
            out[i] = assigned.group(1) + "None\n"
        elif magic:
            out[i] = magic.group(1) + "pass\n"
        else:
            continue
        hidden.add(i)
        if body.endswith("\\"):
            indent = (assigned or magic).group(1)  # type: ignore[union-attr]
            continued = indent[: len(indent) - len(indent.lstrip())]
    for _ in range(len(hidden)):  # restoring a row can reveal another: repeat until stable
        restore = hidden & _continuation_rows(out)
        if not restore:
            break
        for i in restore:
            out[i] = lines[i]
            hidden.discard(i)
    return out, hidden


def _continuation_rows(lines: list[str]) -> set[int]:
    """0-based rows that do not start a logical line: inside a multi-line string, inside
    brackets, or after a backslash. IPython reads magics only at logical-line starts, so
    `% b` continuing `x = (a` is the modulo operator."""
    inside: set[int] = set()
    depth = 0
    last_row = 0
    try:
        for tok in tokenize.generate_tokens(io.StringIO("".join(lines)).readline):
            row = tok.start[0] - 1
            if row != last_row and tok.type not in (tokenize.NL, tokenize.COMMENT):
                if depth > 0:
                    inside.add(row)
                last_row = row
            if tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
                inside.update(range(tok.start[0], tok.end[0]))  # the rows after the first
            elif tok.type == tokenize.OP and tok.string in "([{":
                depth += 1
            elif tok.type == tokenize.OP and tok.string in ")]}":
                depth = max(depth - 1, 0)
    except (tokenize.TokenError, SyntaxError):
        pass
    for i in range(1, len(lines)):
        if lines[i - 1].rstrip("\r\n").endswith("\\") and (i - 1) not in inside:
            inside.add(i)
    return inside
