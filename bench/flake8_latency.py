"""What the pglint plugin costs inside flake8: per file (the editor case) and per tree.

Run from the repository root:  .venv/bin/python bench/flake8_latency.py [--no-tree]

1. One 500-line, database-heavy module (generated from a template below into DIR/latency/):
   `flake8 --select F,PGL FILE` with this environment's flake8, which has the pglint
   plugin, against `flake8 --select F FILE` run by a flake8 WITHOUT the plugin. flake8
   runs every installed plugin whatever --select says, so the baseline comes from a
   small venv of its own under DIR (only flake8, at this environment's versions; made or
   refreshed on demand). Median wall time of `--file-runs` runs of each, alternating.
2. The same file in process: `Plugin(tree, lines, filename).run()` on the parsed module,
   median of `--calls` calls after one warm-up call, in microseconds.
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


def realistic_module(lines: int = 500) -> str:
    """A module of about ``lines`` lines: the header, then sections until it is long enough."""
    text = HEADER
    n = 0
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

    print(f"\nin process: Plugin(tree, lines, filename).run(), {args.calls} calls")
    micros = in_process(sample, args.calls)
    print(
        f"median {statistics.median(micros):.0f} µs (min {min(micros):.0f}, max {max(micros):.0f})"
    )

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


def in_process(sample: Path, calls: int) -> list[float]:
    try:
        from pglint.flake8_plugin import Plugin
    except ImportError:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
        from pglint.flake8_plugin import Plugin

    source = sample.read_text()
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    filename = str(sample)
    list(Plugin(tree, lines, filename).run())  # imports and configuration lookups, once
    micros = []
    for _ in range(calls):
        start = time.perf_counter()
        list(Plugin(tree, lines, filename).run())
        micros.append((time.perf_counter() - start) * 1e6)
    return micros


if __name__ == "__main__":
    raise SystemExit(main())
