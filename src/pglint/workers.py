"""Linting a run's files in worker processes: how the files are handed out.

Each worker summarizes, for itself, every project module its files import (pglint.project),
so a package whose files go to two workers is read twice. The files are therefore cut
into contiguous ranges of about equal size, one per worker, and each worker works
through its own range from the front, a small batch at a time. A worker done with its
range takes the far half of the range with the most left (work stealing): what it takes
is contiguous, far from what the other is reading, and becomes its own range, so no
worker sits idle while another finishes. Files differ a hundredfold in cost (one
package's tests can outweigh the rest of a tree, and the pre-filter makes most files
nearly free), which sizes cannot predict: the ranges only start equal.

The ranges live in shared memory, so a worker takes its next batch, or steals, without
waiting for the main process; each batch's results go back through a pipe as soon as it
is linted, and a worker holds no more than one batch's.
"""

from __future__ import annotations

import os
import signal
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from itertools import accumulate
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

Task = TypeVar("Task")
Result = TypeVar("Result")

# A batch: about this share of a worker's first range, and at most this many files. Small
# enough that the last batches of the workers end close together, large enough that
# taking one (a lock) and sending its results (a pipe) cost nothing next to linting it.
BATCH_SHARE = 256
MAX_BATCH_FILES = 64
# How far from the point that divides a range's bytes as wanted a cut may move to fall
# between less related files: a share of the range's bytes, on either side.
CUT_WINDOW = 0.25


def run_in_workers(
    tasks: Sequence[Task],
    paths: Sequence[str],
    jobs: int,
    lint_chunk: Callable[[list[Task]], list[Result]],
    collect: Callable[[Result], None],
    initializer: Callable[[], None] | None = None,
) -> None:
    """Run ``lint_chunk`` over ``tasks`` (``paths[i]`` is the file of ``tasks[i]``) in
    ``jobs`` processes, handing every result to ``collect`` as its batch completes (in no
    fixed order). If processes cannot be started or one dies, the tasks not yet done are
    linted in this process."""
    # More processes than cores only share the cores, each reading the same imports.
    jobs = max(min(jobs, os.cpu_count() or 1), 1)
    plan = Plan([_size(path) for path in paths], _shared_depths(paths), jobs)
    done = bytearray(len(tasks))
    if len(plan.ranges) > 1:
        _run(tasks, plan, lint_chunk, collect, initializer, done)
    start = 0
    while start < len(tasks):  # what no worker did, in order
        if done[start]:
            start += 1
            continue
        end = start
        while end < len(tasks) and not done[end]:
            end += 1
        for result in lint_chunk(list(tasks[start:end])):
            collect(result)
        start = end


def _run(
    tasks: Sequence[Task],
    plan: Plan,
    lint_chunk: Callable[[list[Task]], list[Result]],
    collect: Callable[[Result], None],
    initializer: Callable[[], None] | None,
    done: bytearray,
) -> None:
    # Imported here: a run in one process (most runs of a few files) never needs it.
    import multiprocessing
    from multiprocessing.connection import wait

    context = multiprocessing.get_context()
    shared = context.Array("q", plan.bounds())
    workers: dict[Connection, Any] = {}
    try:
        for worker in range(len(plan.ranges)):
            reader, writer = context.Pipe(duplex=False)
            process = context.Process(
                target=_work,
                args=(worker, tasks, plan, shared, writer, lint_chunk, initializer),
                daemon=True,
            )
            process.start()
            writer.close()  # the worker's end: when it exits, reading here ends
            workers[reader] = process
    except OSError:  # no processes here: what they leave is done in this process
        pass
    try:
        while workers:
            for reader in wait(list(workers)):
                try:
                    message = reader.recv()  # type: ignore[union-attr]
                except (EOFError, OSError):
                    message = None
                if message is None:  # finished, or died: its unfinished batch is redone
                    process = workers.pop(reader)  # type: ignore[index]
                    reader.close()  # type: ignore[union-attr]
                    process.join()
                    if process.exitcode != 0:
                        return  # another may be stuck behind what it held: stop them all
                    continue
                start, end, results = message
                for result in results:
                    collect(result)
                done[start:end] = b"\x01" * (end - start)
    finally:
        for reader, process in workers.items():
            process.terminate()
            process.join()
            reader.close()


def _work(
    worker: int,
    tasks: Sequence[Task],
    plan: Plan,
    shared: Any,
    writer: Connection,
    lint_chunk: Callable[[list[Task]], list[Result]],
    initializer: Callable[[], None] | None,
) -> None:
    """A worker process: batches from its own range, then from others', until none is
    left; each batch's results are sent as (start, end, results), then None."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    try:
        if initializer is not None:
            initializer()
        while True:
            with shared.get_lock():
                batch = plan.take(shared, worker)
            if batch is None:
                break
            start, end = batch
            writer.send((start, end, lint_chunk(list(tasks[start:end]))))
        writer.send(None)
    except Exception:  # the main process redoes its tasks, where the error shows
        os._exit(1)
    finally:
        writer.close()


class Plan:
    """Where each worker's range starts and ends, and how much a batch or a steal takes.
    The bounds are a flat array of (front, back) per worker, shared between processes.

    A range is cut where the files on either side share the fewest directories, within
    ``CUT_WINDOW`` of the point that divides its bytes as wanted: between two projects
    of a tree rather than inside one, so that the modules a package imports are read by
    one worker, not by both."""

    def __init__(self, sizes: list[int], depths: list[int], jobs: int) -> None:
        self.prefix = [0, *accumulate(sizes)]  # bytes before each file
        self.depths = depths  # directories file i shares with file i - 1
        self.ranges = self._ranges(len(sizes), jobs)
        largest = max((self.prefix[end] - self.prefix[start] for start, end in self.ranges))
        self.batch_bytes = max(largest // BATCH_SHARE, 1)

    def _ranges(self, count: int, jobs: int) -> list[tuple[int, int]]:
        """``jobs`` ranges of about equal size, fewer if there are fewer files; one if
        they have no bytes to divide."""
        ranges = []
        start = 0
        if self.prefix[-1] > 0:
            for left in range(jobs, 1, -1):
                if count - start < 2:
                    break
                cut = self.cut(start, count, 1 / left)
                ranges.append((start, cut))
                start = cut
        ranges.append((start, count))
        return ranges

    def cut(self, front: int, back: int, share: float) -> int:
        """Where to cut the files ``front``..``back`` (at least two) so that about
        ``share`` of their bytes come before the cut."""
        base = self.prefix[front]
        total = self.prefix[back] - base
        target = base + total * share
        window = total * CUT_WINDOW
        low = bisect_left(self.prefix, target - window, front + 1, back)
        high = bisect_right(self.prefix, target + window, low, back)
        nearest = min(max(bisect_left(self.prefix, target, front + 1, back), front + 1), back - 1)
        candidates = range(low, high) if high > low else (nearest,)
        return min(candidates, key=lambda at: (self.depths[at], abs(self.prefix[at] - target)))

    def bounds(self) -> list[int]:
        return [bound for span in self.ranges for bound in span]

    def left(self, bounds: Any, worker: int) -> int:
        return self.prefix[bounds[2 * worker + 1]] - self.prefix[bounds[2 * worker]]

    def take(self, bounds: Any, worker: int) -> tuple[int, int] | None:
        """The next batch for ``worker`` (start, end), taken out of ``bounds``; None when
        every range is empty. The caller holds the lock on ``bounds``."""
        front, back = bounds[2 * worker], bounds[2 * worker + 1]
        if front >= back:
            if not self._steal(bounds, worker):
                return None
            front, back = bounds[2 * worker], bounds[2 * worker + 1]
        end = bisect_left(self.prefix, self.prefix[front] + self.batch_bytes, front + 1, back)
        end = min(max(end, front + 1), front + MAX_BATCH_FILES, back)
        bounds[2 * worker] = end
        return front, end

    def _steal(self, bounds: Any, worker: int) -> bool:
        """Make the far half (by bytes) of the range with the most left this worker's."""
        workers = range(len(bounds) // 2)
        victim = max(workers, key=lambda other: (self.left(bounds, other), -other))
        front, back = bounds[2 * victim], bounds[2 * victim + 1]
        if front >= back:
            return False
        split = front if back - front == 1 else self.cut(front, back, 0.5)
        bounds[2 * victim + 1] = split
        bounds[2 * worker], bounds[2 * worker + 1] = split, back
        return True


def _shared_depths(paths: Sequence[str]) -> list[int]:
    """For each file, how many directories of its path it shares with the file before."""
    depths = [0]
    previous: list[str] = []
    for path in paths:
        parts = os.path.dirname(path).split(os.sep)
        shared = 0
        for mine, theirs in zip(parts, previous, strict=False):
            if mine != theirs:
                break
            shared += 1
        depths.append(shared)
        previous = parts
    return depths[1:]


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
