"""What the bench scripts share: where things are, finding tools, timing a command."""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import resource
import shutil
import statistics
import subprocess
import sys
import threading
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


def compile_pglint() -> None:
    """Compile pglint's modules to bytecode, as installing a wheel does. An editable
    install compiles them at import instead, on every import where writing bytecode is
    turned off (PYTHONDONTWRITEBYTECODE): a cost the peers, installed from wheels, do
    not pay, and no user does twice."""
    import pglint

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    package = str(Path(pglint.__file__).parent)
    subprocess.run([sys.executable, "-m", "compileall", "-q", package], env=env,
                   check=True, stdout=subprocess.DEVNULL)  # fmt: skip


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
    peak_rss_mb: list[float] = field(default_factory=list)  # the largest single process
    tree_rss_mb: list[float] = field(default_factory=list)  # the whole tree at its peak
    exit_codes: set[int] = field(default_factory=set)
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def memory(self) -> tuple[str, str]:
        """The worst run's peak of one process and of the tree, as table cells ("-"
        where the tree could not be sampled)."""
        largest = f"{max(self.peak_rss_mb):.0f}" if self.peak_rss_mb else "-"
        tree = f"{max(self.tree_rss_mb):.0f}" if self.tree_rss_mb else "-"
        return largest, tree


MEMORY_HEADER = ("peak MB 1 process", "peak MB all")


def run_timed(argv: list[str], cwd: Path, timing: Timing, env: dict | None = None) -> None:
    """Run ``argv`` once with its output discarded; record wall time and peak memory.

    The memory comes from sampling the command's process tree while it runs
    (``TreeSampler``); where there is no /proc to sample, from the rusage of the
    processes the command waited for, which misses any it did not start itself (the
    workers of a forkserver are children of the server, not of the command)."""
    start = time.perf_counter()
    process = subprocess.Popen(
        argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
    )
    sampler = TreeSampler(process.pid)
    sampler.start()
    stderr = process.stderr.read() if process.stderr else b""
    if hasattr(os, "waitid"):  # exited but not reaped: its pid cannot be reused yet
        os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)
    sampler.stop()
    _, status, usage = os.wait4(process.pid, 0)
    timing.seconds.append(time.perf_counter() - start)
    process.returncode = os.waitstatus_to_exitcode(status)
    timing.peak_rss_mb.append(max(sampler.largest_mb, maxrss_mb(usage)))
    if sampler.sampled:
        timing.tree_rss_mb.append(sampler.tree_mb)
    timing.exit_codes.add(process.returncode)
    if b"Traceback (most recent call last)" in stderr and not timing.note:
        timing.note = "traceback on stderr"


def maxrss_mb(usage: resource.struct_rusage) -> float:
    """The largest process ``os.wait4`` saw (this one, or one it waited for)."""
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # bytes there, KiB here
    return usage.ru_maxrss / scale


class TreeSampler:
    """The memory of a process and all of its descendants, sampled from /proc while it
    runs (Linux): the peak resident size of the largest single process, and the peak of
    their sum.

    Descendants are found through the parent links in /proc/<pid>/stat at every sample,
    so workers started at any time by anyone in the tree (a forkserver's too) are seen.
    A process's peak is the kernel's high-water mark (VmHWM), which also catches a
    spike between two samples; the sum is of what each process holds at the sample
    (VmRSS), and counts a page shared by several processes (a fork's, before either
    writes to it) once per process, so it is an upper bound on the tree's footprint.
    A sample reads a few hundred small files, about 2 ms of one core."""

    INTERVAL = 0.05  # seconds between samples

    def __init__(self, root: int) -> None:
        self.root = root
        self.largest_mb = 0.0
        self.tree_mb = 0.0
        self.sampled = False  # at least one sample was read
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        if os.path.exists(f"/proc/{self.root}/status"):
            self._thread.start()

    def stop(self) -> None:
        self._done.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while True:
            self.sample()
            if self._done.wait(self.INTERVAL):
                break

    def sample(self) -> None:
        total = 0.0
        for pid in descendants(self.root):
            memory = memory_kib(pid)
            if memory is None:
                continue  # gone since the scan
            rss, high_water = memory
            total += rss / 1024
            self.largest_mb = max(self.largest_mb, high_water / 1024)
            self.sampled = True
        self.tree_mb = max(self.tree_mb, total)


def descendants(root: int) -> list[int]:
    """``root`` and every live process below it."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue  # exited since the listing
        # "pid (command) state ppid ...": the command may hold spaces and parentheses.
        fields = stat[stat.rfind(b")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def memory_kib(pid: int) -> tuple[int, int] | None:
    """(resident now, resident at its peak) of a process, in KiB; None if it is gone."""
    rss = high_water = 0
    try:
        with open(f"/proc/{pid}/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith(b"VmHWM:"):
                    high_water = int(line.split()[1])
    except (OSError, ValueError):
        return None
    return rss, high_water


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
