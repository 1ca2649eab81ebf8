"""Every module of pglint imports on its own, whatever was imported before it (an import
cycle shows only when the wrong module comes first), and starting the command imports
no analysis."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import pglint

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(pglint.__path__, "pglint.")
    if info.name != "pglint.__main__"  # it runs the command
)

PROGRAM = """
import importlib, sys
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "pglint" or m.startswith("pglint.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed.append(f"{name}: {type(exc).__name__}: {exc}")
print("\\n".join(failed))
"""


@pytest.mark.slow  # every module of pglint, and what it imports, executed again: seconds
def test_every_module_imports_first():
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, *MODULES], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", done.stdout
    assert len(MODULES) > 40


def test_starting_the_command_imports_no_analysis():
    program = (
        "import sys, pglint.cli\nprint(sorted(m for m in sys.modules if m.startswith('pglint')))\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    loaded = eval(done.stdout)  # a list of module names
    for heavy in ("pglint.engine", "pglint.facts", "pglint.rules", "pglint.checking",
                  "pglint.program", "pglint.project"):  # fmt: skip
        assert heavy not in loaded, loaded
