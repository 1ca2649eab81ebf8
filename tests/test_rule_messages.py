"""Messages name the code at hand, so a reader sees the problem without opening the file."""

from __future__ import annotations

import pytest

from conftest import FIXTURES, ROOT
from pglint.engine import lint_paths, lint_source
from pglint.rules import all_rules, off_by_default
from pglint.rules.base import MAX_MESSAGE
from pglint.settings import Settings

PERCENT = """\
import psycopg2

conn = psycopg2.connect()


def discontinued(category):
    with conn.cursor() as cur:
        cur.execute(
            "SELECT sku FROM products WHERE sku LIKE 'OLD-%' AND category = %s", (category,)
        )
"""


def test_unescaped_percent_quotes_the_literal_that_holds_it():
    [diagnostic] = lint_source(PERCENT, "shop.py").diagnostics
    assert diagnostic.code == "PGL205"
    assert diagnostic.message.startswith("Unescaped `%` in `'OLD-%'`: ")


def test_unescaped_percent_context_stays_short():
    source = PERCENT.replace("'OLD-%'", "'" + "X" * 60 + "%" + "Y" * 60 + "'")
    [diagnostic] = lint_source(source, "shop.py").diagnostics
    context = diagnostic.message.split("`")[3]
    assert "%" in context
    assert len(context) <= 49


# --- every message fits on one line -------------------------------------------------------
# A message says what is wrong and what to do, in one line of at most MAX_MESSAGE
# characters, so that concise, grouped, GitHub annotation and flake8 lines do not wrap; the
# why is the rule's documentation (`pglint rule CODE`). The cases come from the registry
# and the fixtures, so a rule added later is held to the same limit.


# Every rule, those off by default included.
EVERY_RULE = Settings(extend_select=tuple(sorted(off_by_default())))


def _all_findings():
    for rule in all_rules():
        for n, example in enumerate(rule.bad_examples):
            name = f"example_{rule.code.lower()}_{n}.py"
            for d in lint_source(example, name, EVERY_RULE).diagnostics:
                yield f"{rule.code} example {n}", d
    for path in sorted(FIXTURES.rglob("*.py")):
        for d in lint_source(path.read_bytes(), str(path), EVERY_RULE).diagnostics:
            yield f"{path.relative_to(FIXTURES)}:{d.location.row}", d
    for result in lint_paths([str(ROOT / "examples")]):
        for d in result.diagnostics:
            yield f"{result.filename}:{d.location.row}", d


@pytest.fixture(scope="module")
def findings() -> list:
    # Made when a test asks, not when the tests are collected: linting every example
    # and fixture takes seconds, which a run of other tests need not pay.
    return list(_all_findings())


def test_the_cases_cover_every_rule_with_a_check(findings):
    reported = {d.code for _, d in findings}
    expected = {r.code for r in all_rules() if r.code not in ("PGL000", "PGL001", "PGL002")}
    assert expected <= reported


def test_every_message_is_one_short_line(findings):
    long = [
        f"{where} {d.code} ({len(d.message)} characters): {d.message}"
        for where, d in findings
        if "\n" in d.message or d.message != d.message.strip() or len(d.message) > MAX_MESSAGE
    ]
    assert not long, "\n".join(long)
    assert len(findings) > 250  # every example and fixture was linted


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_every_summary_is_one_short_line(rule):
    assert "\n" not in rule.summary and len(rule.summary) <= MAX_MESSAGE
