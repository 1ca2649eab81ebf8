"""`# noqa` in both front ends, case by case, including where flake8 and ruff differ.

pglint follows flake8 (under flake8 the plugin leaves `# noqa` to flake8 itself, so the
command line must read comments the same way). Each case is one file; flake8 and
`pglint check` each run once over all of them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import INJECTION, write

pytestmark = pytest.mark.slow

CALL = "cur.execute(f\"SELECT * FROM users WHERE email = '{email}'\")"
ROW = 7

# name -> (source, silenced?)
CASES = {
    # flake8 reads codes as prefixes; ruff would need the exact code PGL101.
    "prefix": (INJECTION.replace(CALL, CALL + "  # noqa: PGL1"), True),
    "prefix-other-family": (INJECTION.replace(CALL, CALL + "  # noqa: PGL2"), False),
    # A space before the colon: flake8 sees a bare `# noqa` (everything is silenced);
    # ruff would read the codes after it.
    "space-before-colon": (INJECTION.replace(CALL, CALL + "  # noqa : PGL202"), True),
    # The file-level comment with codes, on a line of its own: flake8 skips the whole
    # file whatever the codes; ruff would exempt only those codes.
    "file-level-with-codes": ("# flake8" + ": noqa: PGL202\n" + INJECTION, True),
    "file-level-on-a-code-line": ("import os  # flake8: noqa\n" + INJECTION, False),
    "uppercase": (INJECTION.replace(CALL, CALL + "  # NOQA:PGL101"), True),
    "lowercase-code": (INJECTION.replace(CALL, CALL + "  # noqa: pgl101"), False),
    # Multi-line statements: the comment belongs on the reported row, or at the end of
    # a multi-line string or backslash continuation that starts there.
    "closing-parenthesis": (
        INJECTION.replace(
            CALL, CALL.replace("(f", "(\n        f").replace('")', '"\n    )') + "  # noqa: PGL101"
        ),
        False,
    ),
    "end-of-multi-line-string": (
        INJECTION.replace(
            CALL,
            'cur.execute(f"""\n        SELECT * FROM users\n'
            '        WHERE email = \'{email}\'\n    """)  # noqa: PGL101',
        ),
        True,
    ),
    "backslash-continuation": (
        INJECTION.replace(CALL, CALL.replace("(f", "(\\\n        f") + "  # noqa: PGL101"),
        True,
    ),
}


def flake8_rows(files: list[Path], cwd: Path) -> dict[str, list[int]]:
    done = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select", "PGL",
         "--format=%(path)s\t%(row)d\t%(code)s", *map(str, files)],
        cwd=cwd, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    found: dict[str, list[int]] = {}
    for line in done.stdout.splitlines():
        path, row, code = line.split("\t")
        if code == "PGL101":
            found.setdefault(Path(path).stem, []).append(int(row))
    return found


def pglint_rows(files: list[Path]) -> dict[str, list[int]]:
    from conftest import invoke

    run = invoke("check", "--output-format", "json", *map(str, files))
    assert run.exit_code in (0, 1), run.stderr
    found: dict[str, list[int]] = {}
    for item in json.loads(run.stdout):
        if item["code"] == "PGL101":
            found.setdefault(Path(item["filename"]).stem, []).append(item["location"]["row"])
    return found


def test_noqa_cases_agree_in_both_front_ends(project):
    files = [write(project, f"{name}.py", source) for name, (source, _) in CASES.items()]
    by_flake8 = flake8_rows(files, project)
    by_pglint = pglint_rows(files)
    for name, (source, silenced) in CASES.items():
        row = ROW + source.startswith("#") + source.startswith("import os")
        expected = [] if silenced else [row]
        assert by_flake8.get(name, []) == expected, f"flake8, case {name}"
        assert by_pglint.get(name, []) == expected, f"pglint, case {name}"
