"""Nothing lost and nothing run: `--fix` replaces files in one step, and pglint neither
runs the code it reads nor opens a network connection."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import FIXABLE, FIXED, INJECTION, write

PGLINT = [sys.executable, "-m", "pglint"]


@pytest.mark.slow
def test_a_killed_fix_leaves_every_file_old_or_new(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.pglint]\n")
    # Big enough files that a write takes a while; padding keeps them the same shape.
    padding = "".join(f"# padding line {i}\n" for i in range(3000))
    old, new = (FIXABLE + padding).encode(), (FIXED + padding).encode()
    names = [f"m{i:03}.py" for i in range(200)]
    killed_midway = 0
    # Kill as soon as the first file is rewritten, and a little later: the kill lands
    # among the writes on a machine of any speed.
    for extra in (0.0, 0.05, 0.2):
        for name in names:
            (tmp_path / name).write_bytes(old)
        process = subprocess.Popen(
            [*PGLINT, "check", "--fix", "."],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            if any((tmp_path / name).read_bytes() != old for name in names[::10]):
                break
            time.sleep(0.002)
        time.sleep(extra)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        contents = [(tmp_path / name).read_bytes() for name in names]
        broken = [n for n, c in zip(names, contents, strict=True) if c not in (old, new)]
        assert not broken, f"{broken[:5]} neither old nor new"
        fixed = sum(c == new for c in contents)
        killed_midway += 0 < fixed < len(names)
        for leftover in tmp_path.glob(".m*.py.*.tmp"):
            leftover.unlink()  # a killed run may leave its temporary file, never a bad .py
    # At least one kill landed in the middle of the writes (the test tested something).
    assert killed_midway, "every kill came before or after all the writes"


BLOCK_SOCKETS = """
import socket, sys

class NoNetwork(socket.socket):
    def __init__(self, *args, **kwargs):
        raise OSError("pglint tried to open a socket")

def refuse(*args, **kwargs):
    raise OSError("pglint tried to reach the network")

socket.socket = NoNetwork
socket.create_connection = refuse
socket.getaddrinfo = refuse
socket.socketpair = refuse


import pytest
from pglint.cli import main
main(sys.argv[1:])
"""


@pytest.mark.slow
def test_runs_with_sockets_blocked(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.pglint]\n")
    write(tmp_path, "db.py", INJECTION)
    write(tmp_path, "fixable.py", FIXABLE)
    for args in (
        ["check", "--output-format", "concise", "."],
        ["check", "--output-format", "sarif", "."],
        ["check", "--fix", "."],
        ["rule", "PGL101"],
    ):
        done = subprocess.run(
            [sys.executable, "-c", BLOCK_SOCKETS, *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert "tried to" not in done.stdout + done.stderr, args
        assert "Traceback" not in done.stderr, done.stderr
        assert done.returncode in (0, 1), (args, done.stderr)
    assert (tmp_path / "fixable.py").read_text() == FIXED
    assert (
        "db.py:7:5: PGL101"
        in subprocess.run(
            [sys.executable, "-c", BLOCK_SOCKETS, "check", "--output-format", "concise", "."],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
    )


def test_the_sockets_block_works():
    # The guard above would pass vacuously if the patch did not take.
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            BLOCK_SOCKETS.replace(
                "from pglint.cli import main\nmain(sys.argv[1:])\n", "socket.socket()\n"
            ),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "pglint tried to open a socket" in done.stderr


def marker_code(marker: Path) -> str:
    return f"open({str(marker)!r}, 'w').write('ran')\n"


@pytest.mark.slow
def test_the_code_read_is_never_run(tmp_path):
    marker = tmp_path / "marker"
    (tmp_path / "pyproject.toml").write_text("[tool.pglint]\n")
    package = tmp_path / "app"
    for name in ("__init__.py", "conftest.py", "setup.py", "evil.py", "__main__.py"):
        write(package, name, marker_code(marker) + FIXABLE)
    # A module that imports the others, so the project pass follows those imports.
    write(
        package,
        "views.py",
        "from app import evil\nfrom app.evil import load\nimport app\n" + INJECTION,
    )
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None}
    notebook = {"cells": [{**cell, "source": marker_code(marker)}], "metadata": {}}
    write(tmp_path, "nb.ipynb", json.dumps({**notebook, "nbformat": 4, "nbformat_minor": 5}))
    for args in (
        ["check", "."],
        ["check", "--fix", "--unsafe-fixes", "."],
        ["check", "--diff", "."],
    ):
        done = subprocess.run(
            [*PGLINT, *args], cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        assert done.returncode in (0, 1), done.stderr
        assert not marker.exists(), f"pglint {' '.join(args)} ran the code it read"
    assert "def load" in (package / "evil.py").read_text()  # it was read, and fixed
    assert "(42,)" in (package / "evil.py").read_text()
