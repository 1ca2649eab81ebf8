"""What the pglint plugin costs inside flake8: per file (the editor case) and per tree.

Run from the repository root:  .venv/bin/python bench/flake8_latency.py [--no-tree]

1. One 500-line, database-heavy module (generated from a template below into DIR/latency/):
   `flake8 --select F,PGL FILE` with this environment's flake8, which has the pglint
   plugin, against `flake8 --select F FILE` run by a flake8 WITHOUT the plugin. flake8
   runs every installed plugin whatever --select says, so the baseline comes from a
   small venv of its own under DIR (only flake8, at this environment's versions; made or
   refreshed on demand). Median wall time of `--file-runs` runs of each, alternating.
2. In process, the editor case: VS Code's flake8 extension runs flake8 inside its
   long-lived language server (or one long-lived runner per interpreter), so pglint is
   imported once and each save costs one `Plugin(tree, lines, filename).run()`. Timed on
   `--calls` variants of the module (other table numbers, so other SQL texts: nothing a
   call could reuse from the one before), after a warm-up on one more, against pyflakes'
   checker (flake8's F rules) on the same parsed trees, in milliseconds.
3. The whole corpus (DIR/py, from bench/corpus.py, or DIR/py-apps with `--set apps`;
   `--tree` for a part of it, since flake8 takes minutes on all of it):
   `flake8 --select F,PGL` against the plain `flake8 --select F`, median of
   `--tree-runs` runs, and the ratio.
"""

from __future__ import annotations

import argparse
import ast
import statistics
import sys
import time
from pathlib import Path

from common import (
    DEFAULT_DIR,
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

HEADER = '''\
"""Orders service: repositories over PostgreSQL and the HTTP handlers that use them."""

import datetime
import os

import asyncpg
import psycopg
import psycopg2
import psycopg2.extras
from fastapi import Depends, FastAPI, HTTPException

app = FastAPI()
DSN = os.environ.get("DATABASE_URL", "postgresql://localhost/orders")


def connect():
    return psycopg2.connect(DSN)


async def get_pool():
    return await asyncpg.create_pool(DSN, min_size=1, max_size=4)

'''

# One section per table; {n} keeps the names apart. Mostly the right patterns, with the
# occasional mistake pglint reports, as in a real service.
SECTION = '''
class Table{n}Repository:
    """Rows of table_{n}, through psycopg2."""

    def __init__(self, conn):
        self.conn = conn

    def get(self, row_id):
        with self.conn.cursor() as cur:
            cur.execute("SELECT id, name, created FROM table_{n} WHERE id = %s", (row_id,))
            return cur.fetchone()

    def search(self, prefix, limit=50):
        with self.conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            cur.execute(
                "SELECT id, name FROM table_{n} WHERE name LIKE %s ORDER BY id LIMIT %s",
                (prefix + "%", limit),
            )
            return cur.fetchall()

    def rename(self, row_id, name):
        with self.conn.cursor() as cur:
            cur.execute(f"UPDATE table_{n} SET name = '{{name}}' WHERE id = {{row_id}}")
        self.conn.commit()

    def older_than(self, days):
        with self.conn.cursor() as cur:
            cur.execute(
                "SELECT id FROM table_{n} WHERE created < now() - %s * INTERVAL '1 day'",
                (days,),
            )
            return [row[0] for row in cur.fetchall()]


def count_table_{n}(dsn):
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT count(*) FROM table_{n} WHERE created > %s", (
            datetime.datetime.now() - datetime.timedelta(days=1),
        )).fetchone()
        return row[0]


@app.get("/table{n}/{{row_id}}")
async def read_table_{n}(row_id: int, pool=Depends(get_pool)):
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT id, name FROM table_{n} WHERE id = $1", row_id)
    if row is None:
        raise HTTPException(status_code=404)
    return dict(row)

'''


def realistic_module(lines: int = 500, first: int = 0) -> str:
    """A module of about ``lines`` lines: the header, then sections (numbered from
    ``first``) until it is long enough."""
    text = HEADER
    n = first
    while text.count("\n") + SECTION.count("\n") <= lines:
        text += SECTION.format(n=n)
        n += 1
    filler = lines - text.count("\n")
    return text + "".join(f"LIMIT_{i} = {i * 10}\n" for i in range(filler))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="scratch and corpus root")
    add_set_option(parser)
    parser.add_argument("--file-runs", type=int, default=20, help="flake8 runs on the file")
    parser.add_argument("--calls", type=int, default=50, help="in-process plugin calls")
    parser.add_argument("--tree-runs", type=int, default=3, help="flake8 runs on the corpus")
    parser.add_argument("--no-tree", action="store_true", help="skip the whole-corpus part")
    parser.add_argument(
        "--tree", type=Path, help="the tree for the whole-tree part (default: the --set corpus)"
    )
    args = parser.parse_args(argv)

    with_plugin = tool("flake8")
    if with_plugin is None:
        print("flake8 is not installed here: pip install -r bench/requirements.txt")
        return 1
    without_plugin = plain_flake8(args.dir)
    if without_plugin is None:
        return 1
    compile_pglint()
    print(machine())

    sample = args.dir / "latency" / "orders_service.py"
    sample.parent.mkdir(parents=True, exist_ok=True)
    sample.write_text(realistic_module())
    lines = sample.read_text().count("\n")
    commands = {
        "flake8 --select F,PGL (plugin)": [with_plugin, "--isolated", "--select", "F,PGL"],
        "flake8 --select F (no plugin)": [without_plugin, "--isolated", "--select", "F"],
    }
    print(f"\none file, {lines} lines ({sample.name}), {args.file_runs} runs each")
    file_timings = alternate(commands, [sample.name], sample.parent, args.file_runs)
    print(compare(file_timings, unit="ms"))

    print(f"\nin process (the editor case): {args.calls} variants of the module, one call each")
    print(in_process(sample, args.calls))

    if args.no_tree:
        return 0
    corpus = (args.tree or corpus_dir(args.dir, args.corpus_set)).resolve()
    if not corpus.is_dir():
        print(f"\nno corpus at {corpus}: run bench/corpus.py for the whole-tree part")
        return 0
    files = sum(1 for _ in corpus.rglob("*.py"))
    print(f"\nwhole tree ({corpus}, {files:,} .py files), {args.tree_runs} runs each")
    tree_timings = alternate(commands, ["--exit-zero", "."], corpus, args.tree_runs)
    print(compare(tree_timings, unit="s"))
    return 0


def alternate(commands: dict[str, list[str]], tail: list[str], cwd: Path, runs: int):
    timings = {label: Timing(label) for label in commands}
    labels = list(commands)
    for round_number in range(runs):
        for label in labels if round_number % 2 == 0 else labels[::-1]:
            run_timed([*commands[label], *tail], cwd, timings[label])
    return list(timings.values())


def compare(timings: list[Timing], unit: str) -> str:
    scale = 1000 if unit == "ms" else 1
    plugin, plain = timings
    rows = [
        (
            t.label,
            *(f"{v * scale:.{0 if unit == 'ms' else 2}f}" for v in (t.median, min(t.seconds))),
            f"{max(t.seconds) * scale:.{0 if unit == 'ms' else 2}f}",
        )
        for t in timings
    ]
    added = plugin.median - plain.median
    summary = (
        f"plugin adds {added * scale:.{0 if unit == 'ms' else 2}f} {unit} "
        f"(with ÷ without: {plugin.median / plain.median:.2f})"
    )
    return table(rows, ("command", f"median {unit}", "min", "max")) + "\n" + summary


def in_process(sample: Path, calls: int) -> str:
    try:
        from pglint.flake8_plugin import Plugin
    except ImportError:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
        from pglint.flake8_plugin import Plugin
    from pyflakes.checker import Checker

    def pglint_plugin(tree: ast.Module, lines: list[str], filename: str) -> None:
        list(Plugin(tree, lines, filename).run())

    def pyflakes_checker(tree: ast.Module, lines: list[str], filename: str) -> None:
        Checker(tree, filename=filename)

    # Each variant is written out, since the plugin looks up configuration from the file.
    variants = []
    for k in range(calls + 1):
        path = sample.with_name(f"variant_{k}.py")
        path.write_text(realistic_module(first=1000 * (k + 1)))
        text = path.read_text()
        variants.append((ast.parse(text), text.splitlines(keepends=True), str(path)))
    checks = {"pglint plugin": pglint_plugin, "pyflakes checker": pyflakes_checker}
    millis: dict[str, list[float]] = {label: [] for label in checks}
    for check in checks.values():
        check(*variants[-1])  # imports and configuration lookups, once
    for k, variant in enumerate(variants[:-1]):
        # Alternating which goes first, so neither always runs on a warmer cache.
        for label in list(checks)[:: 1 if k % 2 == 0 else -1]:
            start = time.perf_counter()
            checks[label](*variant)
            millis[label].append((time.perf_counter() - start) * 1000)
    rows = [
        (label, f"{statistics.median(v):.2f}", f"{min(v):.2f}", f"{max(v):.2f}")
        for label, v in millis.items()
    ]
    pglint_ms, pyflakes_ms = (statistics.median(v) for v in millis.values())
    return (
        table(rows, ("check", "median ms", "min", "max"))
        + f"\npglint ÷ pyflakes: {pglint_ms / pyflakes_ms:.2f}"
        + f"\nplugin per file: {pglint_ms:.2f} ms (target: at most 5 ms)"
    )


if __name__ == "__main__":
    raise SystemExit(main())
