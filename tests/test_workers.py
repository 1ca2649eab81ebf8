"""Handing a run's files out to worker processes: every file linted once, the same report
as one process gives, and a worker that dies costs nothing but time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import deque
from pathlib import Path

from pglint import workers
from pglint.workers import _next, _plan, _region_bounds, run_in_workers


def _plan_of(sizes: list[int], jobs: int):
    return _plan(list(range(len(sizes))), sizes, jobs)


def test_chunks_are_contiguous_and_cover_every_task_once() -> None:
    sizes = [10_000 if i % 97 == 0 else 100 for i in range(1000)]
    chunks, regions = _plan_of(sizes, 2)
    assert [t for chunk, _ in chunks for t in chunk] == list(range(1000))
    assert all(bytes_ == sum(sizes[t] for t in chunk) for chunk, bytes_ in chunks)
    assert [i for region in regions for i in region] == list(range(len(chunks)))


def test_chunks_shrink_towards_the_far_end_of_each_region() -> None:
    sizes = [3000] * 2000
    chunks, regions = _plan_of(sizes, 2)
    smallest = sum(sizes) // (2 * workers.SMALLEST_CHUNK_SHARE)
    for region in regions:
        shares = [chunks[i][1] for i in region]
        assert shares == sorted(shares, reverse=True), shares
        # A third of what is left (the last file goes past it), down to the smallest share
        # (the last chunk may be less).
        third = sum(shares) // workers.CHUNK_FRACTION
        assert third <= shares[0] < third + 3000
        assert all(share >= smallest for share in shares[:-1])
        assert shares[-2] < 2 * smallest
        assert len(region) < 20  # a few large chunks, then small ones: not thousands


def test_chunk_size_is_bounded_however_large_the_tree(monkeypatch) -> None:
    monkeypatch.setattr(workers, "MAX_CHUNK_FILES", 50)
    chunks, _ = _plan_of([1] * 10_000, 2)
    assert max(len(chunk) for chunk, _ in chunks) == 50
    huge, _ = _plan_of([workers.MAX_CHUNK_BYTES // 10] * 100, 2)
    assert max(b for _, b in huge) <= workers.MAX_CHUNK_BYTES


def test_regions_are_contiguous_and_about_equal() -> None:
    sizes = [1, 1, 1, 1, 50, 1, 1, 1, 30, 1, 1, 1, 1, 1, 1, 1]
    bounds = _region_bounds(sizes, 2)
    assert bounds[0][0] == 0 and bounds[0][1] == bounds[1][0] and bounds[1][1] == len(sizes)
    shares = [sum(sizes[start:end]) for start, end in bounds]
    assert all(shares)
    assert abs(shares[0] - shares[1]) <= max(sizes)
    assert _region_bounds([0] * 5, 3)[0] == (0, 5)  # nothing to share: one region holds all


def test_a_worker_done_with_its_region_takes_from_the_far_end_of_the_largest() -> None:
    chunks = [([i], 1) for i in range(12)]  # one file a chunk, for a plain picture
    regions = [deque(range(0, 4)), deque(range(4, 8)), deque(range(8, 12))]
    taken = [_next(regions, 0, chunks) for _ in range(4)]
    assert taken == [0, 1, 2, 3]
    regions[2].popleft()  # worker 2 is busy with its first chunk
    assert _next(regions, 0, chunks) == 7  # region 1 has the most left (4): its last chunk
    assert _next(regions, 0, chunks) == 6  # a tie (3 and 3): the earlier region
    assert _next(regions, 0, chunks) == 11
    order = []
    while (index := _next(regions, 0, chunks)) is not None:
        order.append(index)
    assert sorted(order) == [4, 5, 9, 10]
    # Bytes decide, not the number of chunks: one large chunk outweighs three small ones.
    chunks = [([0], 90), ([1], 1), ([2], 1), ([3], 1)]
    regions = [deque(), deque([0]), deque([1, 2, 3])]
    assert _next(regions, 0, chunks) == 0


def _double(chunk: list[int]) -> list[int]:
    return [2 * n for n in chunk]


def _die_in_a_worker(chunk: list[tuple[int, int]]) -> list[int]:
    """Kills the worker process that gets task 7; in the parent process it is harmless."""
    for n, parent in chunk:
        if n == 7 and os.getpid() != parent:
            os._exit(1)
    return [n for n, _ in chunk]


def test_every_task_is_linted_once(tmp_path: Path) -> None:
    paths = []
    for i in range(200):
        path = tmp_path / f"m{i}.py"
        path.write_text("x = 1\n" * (1 + i % 13))
        paths.append(str(path))
    got: list[int] = []
    run_in_workers(list(range(200)), paths, 3, _double, got.append)
    assert sorted(got) == [2 * n for n in range(200)]


def test_a_dead_worker_leaves_its_chunks_to_the_parent(tmp_path: Path) -> None:
    tasks = [(n, os.getpid()) for n in range(64)]
    paths = [str(tmp_path / "missing")] * 64  # sizes of unreadable files count as 0
    got: list[int] = []
    run_in_workers(tasks, paths, 2, _die_in_a_worker, got.append)
    assert sorted(got) == list(range(64)), "a chunk lost or linted twice"


def _check(tree: Path, jobs: int) -> tuple[list, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "pglint", "check", "--no-cache", "--output-format", "json",
         "--jobs", str(jobs), "."],
        cwd=tree, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr  # findings, and files it could not read
    return json.loads(proc.stdout), proc.stderr


def test_workers_report_what_one_process_reports(tmp_path: Path) -> None:
    """Three packages of 40 modules; each has a database module the others import, so a
    finding depends on a summary made by whichever worker reads the module first; two
    files cannot be decoded and are reported in file order."""
    for package in ("alpha", "beta", "gamma"):
        root = tmp_path / package
        root.mkdir()
        (root / "__init__.py").write_text("")
        (root / "db.py").write_text(
            "import psycopg2\n\n\ndef get_conn():\n    return psycopg2.connect('')\n"
        )
        for i in range(40):
            (root / f"view{i}.py").write_text(
                f"from {package}.db import get_conn\n\n\n"
                "def handler(name):\n"
                "    cur = get_conn().cursor()\n"
                "    cur.execute(f\"SELECT * FROM t WHERE name = '{name}'\")\n"
            )
        (root / "broken.py").write_bytes(b"import psycopg2\nx = '\xff\xfe'\n")
    one, one_err = _check(tmp_path, 1)
    two, two_err = _check(tmp_path, 2)
    assert len(one) >= 120
    assert two == one
    assert two_err == one_err
    assert one_err.count("error:") == 3 and one_err.index("alpha") < one_err.index("gamma")


def test_no_more_processes_than_chunks(tmp_path: Path, monkeypatch) -> None:
    started: list[int] = []
    real = workers.ProcessPoolExecutor

    def counting(*args, **kwargs):
        started.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(workers, "ProcessPoolExecutor", counting)
    paths = []
    for i in range(5):
        path = tmp_path / f"m{i}.py"
        path.write_text("x = 1\n")
        paths.append(str(path))
    got: list[int] = []
    run_in_workers(list(range(5)), paths, 64, _double, got.append)
    assert sorted(got) == [0, 2, 4, 6, 8]
    assert 1 <= len(started) <= 5
