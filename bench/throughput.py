"""Time pglint against its peers and the Python floors on the corpus, side by side.

Run from the repository root, after `bench/corpus.py`:

    .venv/bin/python bench/throughput.py [--runs 5] [--tools pglint,ruff,...]
    .venv/bin/python bench/throughput.py --warm        # pglint's second run (the cache case)
    .venv/bin/python bench/throughput.py --linearity   # the corpus against ten copies of it

Every mode takes `--set apps` to run on the applications corpus (DIR/py-apps) instead of
the libraries one (DIR/py); see corpus.py for the two.

Every command runs on the same tree (the chosen corpus, built by corpus.py), with its output
discarded, `--runs` times; the order of the commands flips every round so that a slow
spell of the machine does not fall on one tool. The table shows each command's median,
min and max wall time, its peak memory (the largest of its processes, and all of them
together: workers included, however they were started), and pglint's median divided by
the command's (below 1: pglint is faster). A tool that is not installed is reported,
not timed.

The peers, each asked for about what pglint does:
  ruff --select S608 --no-cache     (string-built SQL, one rule; --isolated)
  bandit -t B608 -r                 (the same, one plugin)
  semgrep, one local rule           (string-built SQL passed to execute(); rule written to a
                                     temporary file; --metrics=off, no version check)
  flake8 --select F                 (pyflakes; a flake8 with no plugins, from a venv of its
                                     own, because flake8 runs every installed plugin)
  floors                            (read every file; ast.parse every file on one core and
                                     on all cores: what any Python linter pays at least;
                                     and ast.parse, on all cores, of only the files pglint's
                                     pre-filter keeps, the list made before the runs: what
                                     pglint pays at least, before its facts pass)

The tree lives in a directory git ignores, so the tools that honour `.gitignore` are told
not to (else they would see nothing); semgrep also gets the tree as its project root
with an empty `.semgrepignore` in it, because its default ignore list (tests/ among
others) would otherwise drop more than half of the files from its share of the work.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from common import (
    DEFAULT_DIR,
    MEMORY_HEADER,
    Timing,
    add_set_option,
    compile_pglint,
    corpus_dir,
    machine,
    plain_flake8,
    run_timed,
    table,
    tool,
)

SEMGREP_RULE = """\
rules:
  - id: sql-built-from-strings
    languages: [python]
    severity: ERROR
    message: SQL text built with string formatting is passed to execute()
    pattern-either:
      - pattern: $DB.execute(f"...", ...)
      - pattern: $DB.execute("..." % $VALUES, ...)
      - pattern: $DB.execute("...".format(...), ...)
      - pattern: $DB.execute("..." + $VALUE, ...)
      - pattern: $DB.executemany(f"...", ...)
      - pattern: $DB.executemany("..." % $VALUES, ...)
"""

FLOORS = ("read", "parse", "parse-all-cores", "parse-analysed")
# Issue 7: memory stays flat, whatever the size of the tree.
MEMORY_TARGET_MB = 150


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="corpus root (corpus.py)")
    add_set_option(parser)
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each command")
    parser.add_argument("--tools", help="comma-separated subset of the commands' labels")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--warm", action="store_true", help="time pglint's second run")
    mode.add_argument("--linearity", action="store_true", help="the corpus against x10")
    mode.add_argument("--floor", choices=FLOORS, help=argparse.SUPPRESS)  # one floor run
    parser.add_argument("--floor-files", type=Path, help=argparse.SUPPRESS)  # its list
    args = parser.parse_args(argv)

    corpus = corpus_dir(args.dir, args.corpus_set)
    if args.floor:
        return floor(args.floor, corpus, args.floor_files)
    if not corpus.is_dir():
        how = "" if args.corpus_set == "libraries" else f" --set {args.corpus_set}"
        print(f"no corpus at {corpus}: run bench/corpus.py{how} first", file=sys.stderr)
        return 2
    files = python_files(corpus)
    compile_pglint()
    print(f"corpus: {corpus} ({len(files):,} .py files); {machine()}; {args.runs} runs")
    if args.linearity:
        return linearity(args, corpus)
    with tempfile.TemporaryDirectory() as scratch:
        commands = peers(args, corpus, Path(scratch))
        if args.tools:
            wanted = set(args.tools.split(","))
            commands = {k: v for k, v in commands.items() if k.split()[0] in wanted or k in wanted}
        timings = measure(commands, corpus, args.runs)
    report(timings)
    return 0


Command = list[str] | str  # argv, or why it cannot run


def pglint_check(*, cache: bool = False) -> Command:
    """`pglint check` on the current directory, all cores and no cache where it has the
    options (older versions have neither)."""
    pglint = tool("pglint")
    if pglint is None:
        return "not installed"
    help_text = subprocess.run([pglint, "check", "--help"], capture_output=True, text=True).stdout
    argv = [pglint, "check", "--exit-zero", "--no-respect-gitignore"]
    if "--no-cache" in help_text and not cache:
        argv.append("--no-cache")
    if "--jobs" in help_text:
        argv += ["--jobs", str(os.cpu_count())]
    return [*argv, "."]


def peers(args: argparse.Namespace, corpus: Path, scratch: Path) -> dict[str, Command]:
    if args.warm:
        return {"pglint (warm)": pglint_check(cache=True), "ruff S608": ruff_s608()}
    rule = scratch / "sql-rule.yaml"
    rule.write_text(SEMGREP_RULE)
    semgrep_ignore = corpus / ".semgrepignore"
    if not semgrep_ignore.exists():
        semgrep_ignore.write_text("")
    bandit = tool("bandit")
    semgrep = tool("semgrep")
    flake8 = plain_flake8(args.dir)
    # The floors run in a process of their own, on the same corpus.
    floor_argv = [
        *(sys.executable, str(Path(__file__).resolve())),
        *("--dir", str(args.dir), "--set", args.corpus_set),
    ]
    analysed = scratch / "analysed.txt"
    wanted = set(args.tools.split(",")) if args.tools else {"floor:"}
    if "floor:" in wanted or any(label.startswith("floor: ast.parse the") for label in wanted):
        # In a process of its own: the memory it takes must not become this one's, which
        # every command started from here would otherwise show as its own peak.
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            kept = pool.apply(analysed_files, (python_files(corpus),))
        analysed.write_text("\n".join(kept))
        print(f"pglint's pre-filter keeps {len(kept):,} files", file=sys.stderr)
    cores = os.cpu_count()
    return {
        "pglint": pglint_check(),
        "ruff S608": ruff_s608(),
        "bandit B608": [bandit, "-q", "-t", "B608", "-r", "."] if bandit else "not installed",
        "semgrep 1 rule": (
            [
                *(semgrep, "scan", "--config", str(rule), "--metrics=off"),
                *("--disable-version-check", "--no-git-ignore", "--project-root", "."),
                *("--quiet", "."),
            ]
            if semgrep
            else "not installed"
        ),
        "flake8 F": (
            [flake8, "--isolated", "--select", "F", "--exit-zero", "."]
            if flake8
            else "not installed"
        ),
        "floor: read": [*floor_argv, "--floor", "read"],
        "floor: ast.parse 1 core": [*floor_argv, "--floor", "parse"],
        f"floor: ast.parse {cores} cores": [*floor_argv, "--floor", "parse-all-cores"],
        f"floor: ast.parse the files pglint analyses, {cores} cores": (
            [*floor_argv, "--floor", "parse-analysed", "--floor-files", str(analysed)]
            if analysed.exists()
            else "not asked for"
        ),
    }


def ruff_s608() -> Command:
    ruff = tool("ruff")
    if ruff is None:
        return "not installed"
    return [
        *(ruff, "check", "--isolated", "--no-respect-gitignore", "--select", "S608"),
        *("--no-cache", "--exit-zero", "--quiet", "."),
    ]


def measure(commands: dict[str, Command], cwd: Path, runs: int) -> list[Timing]:
    timings = {label: Timing(label) for label in commands}
    runnable = [label for label, argv in commands.items() if not isinstance(argv, str)]
    for label, argv in commands.items():
        if isinstance(argv, str):
            timings[label].note = argv
    env = {**os.environ, "SEMGREP_SEND_METRICS": "off", "SEMGREP_ENABLE_VERSION_CHECK": "0"}
    for round_number in range(runs):
        order = runnable if round_number % 2 == 0 else runnable[::-1]
        for label in order:
            argv = commands[label]
            assert not isinstance(argv, str)
            if label == "pglint (warm)":
                run_timed(argv, cwd, Timing("warm-up"), env)  # fills the cache
            run_timed(argv, cwd, timings[label], env)
            print(
                f"  round {round_number + 1}: {label}: {timings[label].seconds[-1]:.2f} s",
                file=sys.stderr,
            )
    return list(timings.values())


def report(timings: list[Timing]) -> None:
    reference = next((t for t in timings if t.label.startswith("pglint") and t.seconds), None)
    rows = []
    for timing in timings:
        if not timing.seconds:
            rows.append((timing.label, timing.note, "", "", "", "", ""))
            continue
        ratio = f"{reference.median / timing.median:.2f}" if reference else "-"
        note = f"  exit {sorted(timing.exit_codes)}" if timing.exit_codes - {0, 1} else ""
        rows.append(
            (
                timing.label,
                f"{timing.median:.2f}",
                f"{min(timing.seconds):.2f}",
                f"{max(timing.seconds):.2f}",
                *timing.memory(),
                ratio + note + (f"  {timing.note}" if timing.note else ""),
            )
        )
    header = ("command", "median s", "min", "max", *MEMORY_HEADER, "pglint ÷ command")
    print(table(rows, header))


def linearity(args: argparse.Namespace, corpus: Path) -> int:
    from corpus import scale

    scaled = scale(corpus, 10)
    argv = pglint_check()
    if isinstance(argv, str):
        print(f"pglint: {argv}")
        return 1
    base, big = Timing("pglint, corpus"), Timing("pglint, corpus x10")
    for round_number in range(args.runs):
        pair = [(corpus, base), (scaled, big)]
        for cwd, timing in pair if round_number % 2 == 0 else pair[::-1]:
            run_timed(argv, cwd, timing)
            print(f"  round {round_number + 1}: {timing.label}: {timing.seconds[-1]:.2f} s")
    rows = [
        (
            t.label,
            *(f"{t.median:.2f}", f"{min(t.seconds):.2f}", f"{max(t.seconds):.2f}"),
            *t.memory(),
        )
        for t in (base, big)
    ]
    print(table(rows, ("command", "median s", "min", "max", *MEMORY_HEADER)))
    print(f"x10 tree / tree: {big.median / base.median:.2f} (target: at most 11)")
    largest = max(big.peak_rss_mb + base.peak_rss_mb)
    print(f"largest process: {largest:.0f} MB (target: under {MEMORY_TARGET_MB} on any tree)")
    return 0


def python_files(root: Path) -> list[str]:
    found = []
    for directory, _, names in os.walk(root):
        found += [os.path.join(directory, n) for n in names if n.endswith(".py")]
    return sorted(found)


def analysed_files(files: list[str]) -> list[str]:
    """The files pglint's pre-filter keeps (those it parses and analyses; the rest it
    reads and skips), decided as `pglint check` decides, in the order it lints them."""
    from pglint.project import Project, file_stamp

    project = Project(snapshot=True)
    kept = []
    for path in files:
        stamp = file_stamp(path)
        with open(path, "rb") as handle:
            unit = project.unit(path, handle.read(), stamp)
        if unit is None or unit.source is None:
            continue
        if project.relevant(unit):
            kept.append(path)
        project.release(unit)
    return kept


def floor(kind: str, corpus: Path, listed: Path | None = None) -> int:
    files = python_files(corpus)
    if kind == "parse-analysed":
        if listed is None:
            print("--floor parse-analysed needs --floor-files", file=sys.stderr)
            return 2
        files = listed.read_text().splitlines()
    if kind == "read":
        for path in files:
            with open(path, "rb") as handle:
                handle.read()
        return 0
    work: Callable[[str], bool] = parse_one
    if kind == "parse":
        failed = sum(not work(path) for path in files)
    else:
        with multiprocessing.Pool(os.cpu_count()) as pool:
            failed = sum(not ok for ok in pool.imap_unordered(work, files, chunksize=32))
    print(f"{failed} files did not parse")
    return 0


def parse_one(path: str) -> bool:
    import ast

    with open(path, "rb") as handle:
        source = handle.read()
    try:
        ast.parse(source, filename=path)
    except (SyntaxError, ValueError):
        return False
    return True


if __name__ == "__main__":
    raise SystemExit(main())
