"""The shape of a rule: its metadata, documentation, examples and check in one place."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from pglint.diagnostics import Fix, Location, Related

if TYPE_CHECKING:
    from pglint.facts.model import ModuleFacts

FixAvailability = Literal["always", "sometimes", "none"]

CODE_PATTERN = re.compile(r"^PGL[0-9]{3}$")

# A finding's message is one line of at most this many characters: what is wrong and what
# to do, so that every output's line stays whole. Why it matters is the rule's
# documentation (``why_bad``), which `pglint rule CODE` prints.
MAX_MESSAGE = 100


@dataclass(frozen=True)
class Finding:
    """What a check yields; the engine adds the code, the file name and noqa."""

    location: Location
    end_location: Location
    message: str  # one line, at most MAX_MESSAGE characters
    suggestion: str | None = None
    fix: Fix | None = None
    related: tuple[Related, ...] = ()


@dataclass(frozen=True)
class Rule:
    """One rule. ``example``/``use_instead`` are documentation *and* test cases:
    the test suite checks that every bad example is reported and every good one is not.
    """

    code: str
    name: str  # kebab-case, names the bad pattern
    summary: str  # one line for tables and SARIF shortDescription
    what_it_does: str  # one sentence starting "Checks for"
    why_bad: str
    example: str
    use_instead: str
    check: Callable[[ModuleFacts], Iterable[Finding]]
    fix_availability: FixAvailability = "none"
    fix_safety: str = ""
    # (what the fix does, in a few words; "safe", "unsafe" or "safe or unsafe"), for the
    # README's table of fixes.
    fix_summary: tuple[str, str] = ("", "")
    see_also: str = ""
    references: tuple[str, ...] = ()
    more_bad: tuple[str, ...] = field(default=())
    more_good: tuple[str, ...] = field(default=())
    # False where a finding cannot matter in test code (pglint.facts.test_code says what
    # that is): its names, values and credentials are the test's own, and a mistake that
    # raises is one the test run shows, or provokes on purpose. ``test_code`` says why, in
    # the rule's documentation.
    checks_test_modules: bool = True
    test_code: str = ""
    # Off by default (an opinion rather than a mistake): run only when a selector names
    # the rule's family or the rule itself (`PGL8`, `PGL801`), never by `PGL` or `ALL`.
    # ``opinionated`` says why it is an opinion, for rules.md and the README.
    default_enabled: bool = True
    opinionated: str = ""

    @property
    def bad_examples(self) -> tuple[str, ...]:
        return (self.example, *self.more_bad)

    @property
    def good_examples(self) -> tuple[str, ...]:
        return (self.use_instead, *self.more_good)

    @property
    def anchor(self) -> str:
        return f"{self.code.lower()}-{self.name}"
