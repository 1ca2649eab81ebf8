"""What the bench scripts share: where things are, finding tools, timing a command."""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = REPO_ROOT / ".bench-corpus"
# The corpora corpus.py builds, by the name `--set` takes, and the directory under the
# corpus root that holds each: side by side, never one inside the other, so that a run
# on one never reads the other.
CORPUS_SETS = {"libraries": "py", "apps": "py-apps"}
DEFAULT_SET = "libraries"
# flake8 runs every installed plugin whatever --select says, so a flake8 without pglint's
# plugin needs an environment of its own.
PLAIN_FLAKE8_VENV = "flake8-only-venv"


def corpus_dir(root: Path, corpus_set: str) -> Path:
    return root / CORPUS_SETS[corpus_set]


def add_set_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--set",
        dest="corpus_set",
        choices=CORPUS_SETS,
        default=DEFAULT_SET,
        help="which corpus: libraries (default) or apps (web applications); see corpus.py",
    )


def tool(name: str) -> str | None:
    """The tool installed next to this interpreter, else the one on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name)


def plain_flake8(root: Path) -> str | None:
    """A flake8 with no plugins but its own, in a venv under ``root``.

    It gets the same versions of flake8 and its own plugins as this environment, so the
    only difference between the two flake8 commands is pglint; the venv is remade when
    those versions change."""
    venv = root / PLAIN_FLAKE8_VENV
    flake8 = venv / "bin" / "flake8"
    pins = flake8_pins()
    record = venv / "pins.txt"
    if flake8.exists() and record.exists() and record.read_text() == "\n".join(pins):
        return str(flake8)
    shutil.rmtree(venv, ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    print(f"making {venv} with only {' '.join(pins)} in it...", file=sys.stderr)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *pins]
        subprocess.run(pip, check=True, stderr=subprocess.DEVNULL)
    except (subprocess.CalledProcessError, OSError) as exc:
        print(f"could not make the plain flake8 venv: {exc}", file=sys.stderr)
        shutil.rmtree(venv, ignore_errors=True)
        return None
    record.write_text("\n".join(pins))
    return str(flake8)


def flake8_pins() -> list[str]:
    pins = []
    for name in ("flake8", "pyflakes", "pycodestyle", "mccabe"):
        try:
            pins.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            pins.append(name)
    return pins


@dataclass
class Timing:
    label: str
    seconds: list[float] = field(default_factory=list)
    peak_rss_mb: list[float] = field(default_factory=list)
    exit_codes: set[int] = field(default_factory=set)
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def run_timed(argv: list[str], cwd: Path, timing: Timing, env: dict | None = None) -> None:
    """Run ``argv`` once with its output discarded; record wall time and peak RSS.

    ``os.wait4`` gives the rusage of this child (and of the processes it waited for), so
    the peak memory is that of this run alone."""
    start = time.perf_counter()
    process = subprocess.Popen(
        argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
    )
    stderr = process.stderr.read() if process.stderr else b""
    _, status, usage = os.wait4(process.pid, 0)
    timing.seconds.append(time.perf_counter() - start)
    process.returncode = os.waitstatus_to_exitcode(status)
    timing.peak_rss_mb.append(usage.ru_maxrss / 1024)  # KiB on Linux
    timing.exit_codes.add(process.returncode)
    if b"Traceback (most recent call last)" in stderr and not timing.note:
        timing.note = "traceback on stderr"


def table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def machine() -> str:
    """The facts a reader needs to weigh the numbers; the load average says whether
    something else was competing for the cores."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    python = sys.version.split()[0]
    return f"{os.cpu_count()} cores, load {load}, Python {python}, {time.strftime('%Y-%m-%d')}"
