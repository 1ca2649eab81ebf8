"""Linting a run's files in worker processes: how the files are handed out.

Each worker summarizes, for itself, every project module its files import (pglint.project),
so a package whose files go to two workers is read twice. The files are therefore cut
into contiguous chunks, and each worker is given a contiguous region of chunks of about
equal size to work through from the front. A worker that finishes its region takes the
last chunk of the region with the most left (work stealing): the others' regions shrink
from their far end, away from what they are reading, and no worker sits idle while the
slowest finishes. Files differ a hundredfold in cost (one package's tests can outweigh
the rest of a tree), so a static split alone would leave one worker waiting for another.
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

# Chunks: several per worker, so that stealing has something to take; bounded, because a
# worker holds a chunk's results until it is done and memory must not grow with the tree.
CHUNKS_PER_WORKER = 8
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
    chunks = _chunks(tasks, [_size(path) for path in paths], jobs)
    jobs = min(jobs, len(chunks))  # no process without a chunk of its own to start with
    regions = _regions([size for _, size in chunks], jobs)
    done: set[int] = set()
    try:
        with ExitStack() as stack:
            pools = [
                stack.enter_context(ProcessPoolExecutor(1, initializer=initializer))
                for _ in range(jobs)
            ]
            running: dict[Future[list[Result]], tuple[int, int]] = {}

            def feed(worker: int) -> None:
                index = _next(regions, worker)
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


def _chunks(tasks: Sequence[Task], sizes: list[int], jobs: int) -> list[tuple[list[Task], int]]:
    """The tasks in contiguous runs of about equal size in bytes: (tasks, bytes)."""
    budget = min(max(sum(sizes) // (jobs * CHUNKS_PER_WORKER), 1), MAX_CHUNK_BYTES)
    chunks: list[tuple[list[Task], int]] = []
    current: list[Task] = []
    filled = 0
    for task, size in zip(tasks, sizes, strict=True):
        if current and (filled + size > budget or len(current) >= MAX_CHUNK_FILES):
            chunks.append((current, filled))
            current, filled = [], 0
        current.append(task)
        filled += size
    if current:
        chunks.append((current, filled))
    return chunks


def _regions(sizes: list[int], jobs: int) -> list[deque[int]]:
    """Chunk indices cut into ``jobs`` contiguous regions of about equal size."""
    total = sum(sizes) or 1
    regions: list[deque[int]] = [deque() for _ in range(jobs)]
    filled = 0
    for index, size in enumerate(sizes):
        # The region whose share of the total this chunk's middle falls in.
        regions[min(jobs - 1, (filled + size // 2) * jobs // total)].append(index)
        filled += size
    return regions


def _next(regions: list[deque[int]], worker: int) -> int | None:
    """The next chunk of the worker's own region, else the last of the longest other."""
    own = regions[worker]
    if own:
        return own.popleft()
    longest = max(regions, key=len)
    return longest.pop() if longest else None


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
