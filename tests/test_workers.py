"""Handing a run's files out to worker processes: every file linted once, the same report
as one process gives, work taken over by a worker that is done, and a worker that dies
costs nothing but time."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pglint import workers
from pglint.workers import Plan, _shared_depths, run_in_workers


def _plan(sizes: list[int], jobs: int, depths: list[int] | None = None) -> tuple[Plan, list[int]]:
    plan = Plan(sizes, depths or [0] * len(sizes), jobs)
    return plan, plan.bounds()


def test_ranges_are_contiguous_and_about_equal() -> None:
    sizes = [1, 1, 1, 1, 50, 1, 1, 1, 30, 1, 1, 1, 1, 1, 1, 1]
    plan, _ = _plan(sizes, 2)
    (start, cut), (cut_again, end) = plan.ranges
    assert start == 0 and cut == cut_again and end == len(sizes)
    shares = [sum(sizes[a:b]) for a, b in plan.ranges]
    assert abs(shares[0] - shares[1]) <= max(sizes)
    assert _plan([0] * 5, 3)[0].ranges == [(0, 5)]  # nothing to share: one range holds all
    assert _plan([10] * 3, 8)[0].ranges == [(0, 1), (1, 2), (2, 3)]  # no empty range


def test_a_range_is_cut_between_projects_near_its_middle() -> None:
    paths = [f"./{project}/pkg/m{i}.py" for project in ("a", "b", "c") for i in range(10)]
    depths = _shared_depths(paths)
    assert depths[:3] == [0, 3, 3] and depths[10] == 1  # "./a/pkg" then "./b/pkg"
    sizes = [100] * 30
    plan, _ = _plan(sizes, 2, depths)
    assert plan.ranges == [(0, 10), (10, 30)]  # within a quarter of the middle (15)
    far, _ = _plan([100] * 9 + [2000] + [100] * 20, 2, depths)
    assert far.ranges[0][1] == 10  # the boundary holds most of the weight: still taken
    lopsided, _ = _plan([100] * 3 + [4000] * 7 + [100] * 20, 2, depths)
    assert lopsided.ranges[0][1] not in (10, 20)  # no boundary near the middle: the middle


def test_a_worker_takes_small_contiguous_batches_from_the_front_of_its_range() -> None:
    sizes = [1000] * 2000
    plan, bounds = _plan(sizes, 2)
    assert bounds == [0, 1000, 1000, 2000]
    taken = []
    while bounds[0] < bounds[1]:
        taken.append(plan.take(bounds, 0))
    assert [start for start, _ in taken] == [0, *(end for _, end in taken[:-1])]
    assert taken[-1][1] == 1000
    # About 1/BATCH_SHARE of the range each (the last file goes past it).
    share = 1000 * 1000 // workers.BATCH_SHARE
    assert all(share <= (end - start) * 1000 < share + 1000 for start, end in taken[:-1])
    assert bounds[2:] == [1000, 2000]  # the other range untouched
    many_small, small_bounds = _plan([1] * 100_000, 1)
    start, end = many_small.take(small_bounds, 0)  # type: ignore[misc]
    assert end - start == workers.MAX_BATCH_FILES


def test_a_worker_done_with_its_range_takes_the_far_half_of_the_largest() -> None:
    sizes = [10] * 30
    plan, _ = _plan(sizes, 3)
    bounds = [10, 10, 12, 20, 25, 30]  # worker 0 is done; 1 has 8 files left, 2 has 5
    start, end = plan.take(bounds, 0)  # type: ignore[misc]
    assert (start, end) == (16, 17)  # worker 1 keeps 12..16, worker 0 now owns 16..20
    assert bounds == [17, 20, 12, 16, 25, 30]
    # Bytes decide, not the number of files: one large file outweighs three small ones.
    plan, _ = _plan([1, 1, 1, 90], 2)
    bounds = [0, 0, 0, 3, 3, 4]
    assert plan.take(bounds, 0) == (3, 4)
    assert bounds == [4, 4, 0, 3, 3, 3]
    # A range of one file is taken whole; nothing left anywhere: None.
    assert plan.take(bounds, 2) == (1, 2)  # the far half of 0..3 is 1..3
    assert plan.take(bounds, 2) == (2, 3)
    assert plan.take(bounds, 0) == (0, 1)
    assert plan.take(bounds, 1) is None


def test_interleaved_takes_cover_every_file_once() -> None:
    rng = random.Random(7)
    for _ in range(50):
        sizes = [rng.choice([0, 10, 100, 5000]) for _ in range(rng.randint(1, 400))]
        jobs = rng.randint(1, 5)
        plan, bounds = _plan(sizes, jobs)
        seen: list[int] = []
        active = list(range(len(plan.ranges)))
        while active:
            worker = rng.choice(active)
            batch = plan.take(bounds, worker)
            if batch is None:
                active.remove(worker)
                continue
            assert batch[0] < batch[1]
            seen.extend(range(*batch))
        assert sorted(seen) == list(range(len(sizes)))


def _double(chunk: list[int]) -> list[int]:
    return [2 * n for n in chunk]


def _with_pid(chunk: list[int]) -> list[tuple[int, int]]:
    return [(n, os.getpid()) for n in chunk]


def _slow_first_half(chunk: list[int]) -> list[tuple[int, int]]:
    for n in chunk:
        if n < 32:
            time.sleep(0.05)
    return _with_pid(chunk)


def _die_in_a_worker(chunk: list[tuple[int, int]]) -> list[int]:
    """Kills the worker process that gets task 7; in the parent process it is harmless."""
    for n, parent in chunk:
        if n == 7 and os.getpid() != parent:
            os._exit(1)
    return [n for n, _ in chunk]


def _raise_in_a_worker(chunk: list[tuple[int, int]]) -> list[int]:
    for n, parent in chunk:
        if n == 40 and os.getpid() != parent:
            raise RuntimeError("a bug in a worker")
    return [n for n, _ in chunk]


def _files(tmp_path: Path, count: int) -> list[str]:
    paths = []
    for i in range(count):
        path = tmp_path / f"m{i}.py"
        path.write_text("x = 1\n" * (1 + i % 13))
        paths.append(str(path))
    return paths


def test_every_task_is_linted_once(tmp_path: Path) -> None:
    got: list[int] = []
    run_in_workers(list(range(200)), _files(tmp_path, 200), 3, _double, got.append)
    assert sorted(got) == [2 * n for n in range(200)]


def test_a_worker_done_early_takes_over_part_of_a_slow_range(tmp_path: Path) -> None:
    """Equal sizes, unequal cost: the first range is slow, the second nearly free."""
    paths = [str(tmp_path / "same.py")] * 64
    Path(paths[0]).write_text("x = 1\n")
    got: list[tuple[int, int]] = []
    run_in_workers(list(range(64)), paths, 2, _slow_first_half, got.append)
    assert sorted(n for n, _ in got) == list(range(64))
    fast_worker = {pid for n, pid in got if n >= 32}
    assert len(fast_worker) == 1 and os.getpid() not in fast_worker
    helped = [n for n, pid in got if n < 32 and pid in fast_worker]
    assert helped and max(helped) == 31  # from the far end of the slow range


def test_a_dead_worker_leaves_its_tasks_to_the_parent(tmp_path: Path) -> None:
    tasks = [(n, os.getpid()) for n in range(64)]
    paths = [str(tmp_path / "missing")] * 64  # sizes of unreadable files count as 0
    got: list[int] = []
    run_in_workers(tasks, paths, 2, _die_in_a_worker, got.append)
    assert sorted(got) == list(range(64)), "a task lost or linted twice"


def test_an_error_in_a_worker_is_redone_here_without_a_traceback(tmp_path: Path, capfd) -> None:
    tasks = [(n, os.getpid()) for n in range(64)]
    got: list[int] = []
    run_in_workers(tasks, _files(tmp_path, 64), 2, _raise_in_a_worker, got.append)
    assert sorted(got) == list(range(64))
    assert "Traceback" not in capfd.readouterr().err


def test_no_process_for_a_run_that_fits_one_range(tmp_path: Path) -> None:
    paths = _files(tmp_path, 5)
    got: list[tuple[int, int]] = []
    run_in_workers(list(range(5)), paths, 1, _with_pid, got.append)
    assert {pid for _, pid in got} == {os.getpid()}
    got.clear()
    run_in_workers(list(range(5)), paths, 64, _with_pid, got.append)  # more jobs than files
    assert sorted(n for n, _ in got) == list(range(5))
    assert len({pid for _, pid in got}) <= 5


def _check(tree: Path, jobs: int) -> tuple[list, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "pglint", "check", "--no-cache", "--output-format", "json",
         "--jobs", str(jobs), "."],
        cwd=tree, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr  # findings, and files it could not read
    return json.loads(proc.stdout), proc.stderr


@pytest.mark.slow
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
