"""One file of a large project, checked the way pre-commit and editors check it, and the
cost of starting the command.

Run from the repository root, after `bench/corpus.py --set apps`:

    .venv/bin/python bench/single_file.py [--runs 10]

1. `pglint check FILE` for one file of a large application, on a warm cache (a run over
   the whole project filled it first), against `ruff check --select S608 --no-cache
   FILE` on the same file. pglint reads the rest of the file's project for what it tells
   the program (which routes reach the file's helpers), from the cache when warm. Two
   cases: the file as it is, and the file just edited (a comment line added before each
   run, as when pre-commit runs after a change), which is linted again while the rest
   of the project still comes from the cache. The project is copied to a scratch
   directory first, so the corpus stays as built and the cache is this run's own.
2. `python -c "import pglint.cli"` against `python -c "pass"`: what importing the
   command costs before it does anything (the difference of the medians).

Wall times, medians of `--runs`, the commands alternating; on a shared machine compare
the ratios of one run, not seconds across runs.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import DEFAULT_DIR, compile_pglint, corpus_dir, machine, table, tool

# (application, file within it): the two files the performance targets name.
FILES = (
    ("apache-superset", "superset/models/sql_lab.py"),
    ("lnbits", "lnbits/core/crud/payments.py"),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="corpus root (corpus.py)")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args(argv)
    apps = corpus_dir(args.dir, "apps")
    missing = [app for app, _ in FILES if not (apps / app).is_dir()]
    if missing:
        print(f"{apps} lacks {', '.join(missing)}: run bench/corpus.py --set apps")
        return 2
    pglint, ruff = tool("pglint"), tool("ruff")
    if pglint is None:
        print("pglint is not installed in this environment")
        return 2
    compile_pglint()
    print(machine(), "\n")
    rows = []
    with tempfile.TemporaryDirectory(prefix="pglint-single-") as scratch:
        for app, name in FILES:
            project = Path(scratch) / app
            shutil.copytree(apps / app, project, symlinks=True)
            rows.extend(_one_file(project, name, pglint, ruff, args.runs))
    print(table(rows, ("command", "median ms", "÷ ruff")))
    print()
    _imports(args.runs * 2)
    return 0


def _one_file(
    project: Path, name: str, pglint: str, ruff: str | None, runs: int
) -> list[tuple[str, ...]]:
    cache = ["--cache-dir", str(project.parent / f"{project.name}.cache")]
    check = [pglint, "check", "--exit-zero", "--quiet", *cache]
    started = time.perf_counter()
    subprocess.run([*check, "."], cwd=project, capture_output=True, check=True)
    filled = time.perf_counter() - started
    path = project / name
    original = path.read_text(encoding="utf-8")
    commands = {"pglint, unchanged": [*check, name], "pglint, just edited": [*check, name]}
    if ruff is not None:
        commands["ruff S608"] = [ruff, "check", "--select", "S608", "--no-cache",
                                 "--exit-zero", "--quiet", name]  # fmt: skip
    seconds: dict[str, list[float]] = {label: [] for label in commands}
    # The unchanged runs first: an edited run leaves the cache holding the edited text, so
    # the file put back would be a change again.
    for phase in ("pglint, unchanged", "pglint, just edited"):
        for number in range(runs):
            labels = [phase, "ruff S608"] if ruff is not None else [phase]
            for label in labels if number % 2 == 0 else reversed(labels):
                edited = label == "pglint, just edited"
                if edited:
                    path.write_text(f"{original}# edit {number}\n", encoding="utf-8")
                started = time.perf_counter()
                subprocess.run(commands[label], cwd=project, capture_output=True, check=True)
                seconds[label].append(time.perf_counter() - started)
                if edited:
                    path.write_text(original, encoding="utf-8")
    ruff_median = statistics.median(seconds["ruff S608"]) if ruff is not None else None
    print(f"{project.name}/{name}: the whole project first, cold: {filled:.1f} s")
    rows = []
    for label, times in seconds.items():
        median = statistics.median(times)
        ratio = f"{median / ruff_median:.1f}" if ruff_median else "-"
        rows.append((f"{project.name}: {label}", f"{median * 1000:.0f}", ratio))
    return rows


def _imports(runs: int) -> None:
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import pglint.cli'": [sys.executable, "-c", "import pglint.cli"],
    }
    seconds: dict[str, list[float]] = {label: [] for label in commands}
    for number in range(runs):
        order = list(commands) if number % 2 == 0 else list(reversed(commands))
        for label in order:
            started = time.perf_counter()
            subprocess.run(commands[label], check=True)
            seconds[label].append(time.perf_counter() - started)
    medians = {label: statistics.median(times) * 1000 for label, times in seconds.items()}
    for label, median in medians.items():
        print(f"{label:32} {median:6.0f} ms")
    base, command = medians.values()
    print(f"{'importing the command':32} {command - base:6.0f} ms")


if __name__ == "__main__":
    sys.exit(main())
