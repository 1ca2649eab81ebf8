"""The per-file time budget (`max-file-seconds`): every phase of one file's analysis runs
under it, from decoding to the last fix round.

A phase is stopped from inside: the loops whose length grows with the input (imported
modules summarized, functions walked, calls resolved, rules, findings, fix rounds,
notebook cells) call ``check``, which raises ``OutOfTime`` once the deadline has
passed. A check is a clock read and a comparison, placed per item of work rather than
per syntax node, so a run within budget pays nothing measurable for it. The budget is
the CPU time the thread spends on the file (read only when the clock says it may be
spent), so a file is not skipped because the machine was busy. Work in C that
cannot be stopped (``ast.parse``, a regular expression) is bounded by the size budget
and by patterns written not to backtrack.

The deadline belongs to the thread that set it, so front ends that lint from several
threads each keep their own; ``limit`` nests, and an inner budget never extends the
outer one (a fix round's lint runs under the file's budget, not a fresh one).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from time import monotonic, thread_time


class OutOfTime(Exception):
    """The file's budget ran out; ``phase`` says during what."""

    def __init__(self, phase: str) -> None:
        super().__init__(phase)
        self.phase = phase


class _State(threading.local):
    # When to look at the CPU time next (wall clock, cheap to read), and the thread CPU
    # time at which the budget is spent.
    deadline: float = math.inf
    cpu_deadline: float = math.inf
    phase: str | None = None
    seconds: float | None = None  # the length of the running file's budget


_state = _State()


def check() -> None:
    """Raise ``OutOfTime`` if the running file's budget is spent."""
    if monotonic() > _state.deadline:
        _look_closer()


def _look_closer() -> None:
    # The budget counts the CPU time this thread spent, not the time on the clock: on a
    # busy machine (a CI runner, other jobs) a file is not skipped for waiting its turn.
    # The clock is read at every check and the CPU time only once the clock says the
    # budget may be spent, since a thread's CPU time costs a system call to read.
    state = _state
    left = state.cpu_deadline - thread_time()
    if left < 0:
        raise OutOfTime(state.phase or "analysing it")
    state.deadline = monotonic() + left


def expired() -> bool:
    try:
        check()
    except OutOfTime:
        return True
    return False


@contextmanager
def limit(seconds: float | None) -> Iterator[None]:
    """Run the block within ``seconds`` of CPU time (None: no limit of its own), and
    within any budget already running."""
    state = _state
    saved = state.deadline, state.cpu_deadline, state.phase, state.seconds
    if seconds:
        state.deadline = min(state.deadline, monotonic() + seconds)
        state.cpu_deadline = min(state.cpu_deadline, thread_time() + seconds)
        state.seconds = seconds
    try:
        yield
    finally:
        state.deadline, state.cpu_deadline, state.phase, state.seconds = saved


@contextmanager
def apart() -> Iterator[None]:
    """Work done for the run rather than for the running file: summarizing a module it
    imports, which every later file that imports it reuses. It runs under a budget of
    its own, as long as the file's, and the time it takes is not charged to the file: a
    file importing a package of 18,000 modules pays for its own work, and each module
    for its own, so the cost of a run stays linear in the code it reads."""
    state = _state
    saved = state.deadline, state.cpu_deadline, state.phase
    cpu, wall = thread_time(), monotonic()
    if state.seconds:
        state.deadline, state.cpu_deadline = wall + state.seconds, cpu + state.seconds
    try:
        yield
    finally:
        state.deadline = saved[0] + (monotonic() - wall)
        state.cpu_deadline = saved[1] + (thread_time() - cpu)
        state.phase = saved[2]


@contextmanager
def unlimited() -> Iterator[None]:
    """Work that must finish once started (releasing what a file held), whatever the
    budget says."""
    state = _state
    saved = state.deadline, state.cpu_deadline, state.phase
    state.deadline = state.cpu_deadline = math.inf
    try:
        yield
    finally:
        state.deadline, state.cpu_deadline, state.phase = saved


class phase:
    """Name what runs in the block, for the message when the budget runs out there. An
    enclosing phase keeps its name: parsing a module to summarize it for an import is
    resolving imports."""

    __slots__ = ("name", "outer")

    def __init__(self, name: str) -> None:
        self.name = name
        self.outer: str | None = None

    def __enter__(self) -> None:
        self.outer = _state.phase
        if self.outer is None:
            _state.phase = self.name

    def __exit__(self, *exc: object) -> None:
        _state.phase = self.outer
