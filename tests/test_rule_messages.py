"""Messages name the code at hand, so a reader sees the problem without opening the file."""

from __future__ import annotations

from pglint.engine import lint_source

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
