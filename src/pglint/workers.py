"""Linting a run's files in worker processes: how the files are handed out.

Each worker summarizes, for itself, every project module its files import (pglint.project),
so a package whose files go to two workers is read twice. The files are therefore cut
into contiguous regions of about equal size, one per worker, and each region into
contiguous chunks that the worker works through from the front. A worker that finishes
its region takes the last chunk of the region with the most left (work stealing): the
others' regions shrink from their far end, away from what they are reading, and no
worker sits idle while the slowest finishes. Chunks shrink towards the far end of a
region (each a fraction of what is left of it), so what is stolen at the end is small
and the workers finish together. Files differ a hundredfold in cost (one package's tests
can outweigh the rest of a tree, and the pre-filter makes most files nearly free), so a
static split alone would leave one worker waiting for another.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack
from typing import TypeVar

Task = TypeVar("Task")
Result = TypeVar("Result")

# Chunks: each takes this fraction of what is left of its region, down to a smallest
# share of the whole run, so a region is a few large chunks then ever smaller ones;
# bounded, because a worker holds a chunk's results until it is done and memory must not
# grow with the tree.
CHUNK_FRACTION = 3
SMALLEST_CHUNK_SHARE = 64  # of each worker's share of the run
MAX_CHUNK_BYTES = 2_000_000
MAX_CHUNK_FILES = 500
# Chunks queued at each worker: the next one is there when it finishes the last.
IN_FLIGHT = 2


def run_in_workers(
    tasks: Sequence[Task],
    paths: Sequence[str],
    jobs: int,
    lint_chunk: Callable[[list[Task]], list[Result]],
    collect: Callable[[Result], None],
    initializer: Callable[[], None] | None = None,
) -> None:
    """Run ``lint_chunk`` over ``tasks`` (``paths[i]`` is the file of ``tasks[i]``) in
    ``jobs`` processes, handing every result to ``collect`` as its chunk completes (in no
    fixed order). If processes cannot be started or one dies, the chunks not yet done
    are linted in this process."""
    chunks, regions = _plan(tasks, [_size(path) for path in paths], jobs)
    regions = [region for region in regions if region]
    jobs = len(regions)  # no process without a chunk of its own to start with
    done: set[int] = set()
    try:
        with ExitStack() as stack:
            pools = [
                stack.enter_context(ProcessPoolExecutor(1, initializer=initializer))
                for _ in range(jobs)
            ]
            running: dict[Future[list[Result]], tuple[int, int]] = {}

            def feed(worker: int) -> None:
                index = _next(regions, worker, chunks)
                if index is not None:
                    future = pools[worker].submit(lint_chunk, chunks[index][0])
                    running[future] = (worker, index)

            for worker in range(jobs):
                for _ in range(IN_FLIGHT):
                    feed(worker)
            while running:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    worker, index = running.pop(future)
                    results = future.result()
                    done.add(index)
                    for result in results:
                        collect(result)
                    feed(worker)
    except (OSError, BrokenProcessPool):  # no processes here: do the rest in this one
        for index, (chunk, _) in enumerate(chunks):
            if index not in done:
                for result in lint_chunk(chunk):
                    collect(result)


def _plan(
    tasks: Sequence[Task], sizes: list[int], jobs: int
) -> tuple[list[tuple[list[Task], int]], list[deque[int]]]:
    """The tasks cut into contiguous chunks, (tasks, bytes), and the chunks' indices
    grouped into ``jobs`` contiguous regions of about equal size (some may be empty)."""
    total = sum(sizes)
    smallest = max(total // (jobs * SMALLEST_CHUNK_SHARE), 1)
    chunks: list[tuple[list[Task], int]] = []
    regions: list[deque[int]] = []
    for start, end in _region_bounds(sizes, jobs):
        region: deque[int] = deque()
        left = sum(sizes[start:end])
        current: list[Task] = []
        filled = 0
        budget = 0
        for task, size in zip(tasks[start:end], sizes[start:end], strict=True):
            if not current:
                budget = min(max(left // CHUNK_FRACTION, smallest), MAX_CHUNK_BYTES)
            current.append(task)
            filled += size
            if filled >= budget or len(current) >= MAX_CHUNK_FILES:
                region.append(len(chunks))
                chunks.append((current, filled))
                left -= filled
                current, filled = [], 0
        if current:
            region.append(len(chunks))
            chunks.append((current, filled))
        regions.append(region)
    return chunks, regions


def _region_bounds(sizes: list[int], jobs: int) -> list[tuple[int, int]]:
    """(start, end) of ``jobs`` contiguous runs of the files, of about equal size: a file
    goes to the region its middle falls in."""
    total = sum(sizes) or 1
    bounds = []
    start = filled = 0
    for region in range(jobs):
        end = start
        while end < len(sizes) and (
            region == jobs - 1 or (filled + sizes[end] // 2) * jobs // total <= region
        ):
            filled += sizes[end]
            end += 1
        bounds.append((start, end))
        start = end
    return bounds


def _next(regions: list[deque[int]], worker: int, chunks: list[tuple[list, int]]) -> int | None:
    """The next chunk of the worker's own region, else the last of the one with the
    most bytes left."""
    own = regions[worker]
    if own:
        return own.popleft()
    largest = max(regions, key=lambda region: sum(chunks[i][1] for i in region))
    return largest.pop() if largest else None


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
