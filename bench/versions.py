"""Time this checkout's `pglint check` against another commit's on the corpus: what a
change costs.

Run from the repository root, after `bench/corpus.py`:

    .venv/bin/python bench/versions.py --base c9c0f2f [--set apps] [--runs 5] [--jobs 2]

The other commit's `src/` is taken with `git archive` into a temporary directory; both
run with this environment's interpreter and dependencies, cold (`--no-cache`), on the same
tree, their order flipping every round. Each gets its median wall time, its median CPU
time (the process and the workers it waited for: steadier than the wall clock on a busy
machine), and its peak memory (the largest single process); the last column is this
checkout divided by the base. Both are compiled to bytecode first, as an installed wheel
is.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from common import DEFAULT_DIR, REPO_ROOT, Timing, add_set_option, corpus_dir, machine, run_timed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the commit to compare with")
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="corpus root (corpus.py)")
    add_set_option(parser)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    tree = corpus_dir(args.dir, args.corpus_set)
    if not tree.is_dir():
        print(f"{tree} is not built: run bench/corpus.py --set {args.corpus_set}")
        return 2
    with tempfile.TemporaryDirectory(prefix="pglint-base-") as scratch:
        base = Path(scratch)
        archive = subprocess.run(
            ["git", "archive", "--format=tar", args.base, "src"],
            cwd=REPO_ROOT, capture_output=True, check=True,
        ).stdout  # fmt: skip
        with tarfile.open(fileobj=io.BytesIO(archive)) as extracted:
            extracted.extractall(base, filter="data")
        versions = {"base": base / "src", "this": REPO_ROOT / "src"}
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        for source in versions.values():
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(source)], env=env,
                           check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        timings = {label: Timing(label) for label in versions}
        cpu: dict[str, list[float]] = {label: [] for label in versions}
        argv = [sys.executable, "-m", "pglint", "check", "--no-cache", "--exit-zero",
                "--no-respect-gitignore", "--isolated", "-j", str(args.jobs), "."]  # fmt: skip
        for round_number in range(args.runs):
            order = list(versions) if round_number % 2 == 0 else list(reversed(versions))
            for label in order:
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                path = {**env, "PYTHONPATH": str(versions[label])}
                run_timed(argv, tree, timings[label], env=path)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu[label].append(
                    after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
                )
        print(machine())
        print(f"tree: {tree}; base {args.base}; {args.runs} runs; -j {args.jobs}\n")
        print(f"{'':6} {'wall s':>8} {'cpu s':>8} {'peak MB':>8}")
        for label, timing in timings.items():
            largest, _ = timing.memory()
            seconds = statistics.median(cpu[label])
            print(f"{label:6} {timing.median:8.2f} {seconds:8.2f} {largest:>8}")
        ratio_wall = timings["this"].median / timings["base"].median
        ratio_cpu = statistics.median(cpu["this"]) / statistics.median(cpu["base"])
        print(f"\nthis / base: wall {ratio_wall:.2f}, cpu {ratio_cpu:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
