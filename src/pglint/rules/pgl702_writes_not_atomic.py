"""PGL702: dependent writes on an autocommit connection, outside a transaction."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from pglint.facts.model import ModuleFacts
from pglint.facts.transactions import Handle, Sent, dependency_commits
from pglint.rules.base import Finding, Rule


def check(facts: ModuleFacts) -> Iterator[Finding]:
    roles = facts.roles
    if roles is None or "migration" in roles.module_roles:
        return
    for handle in facts.transactions:
        pair = _split_pair(facts, handle)
        if pair is None:
            continue
        first, second = pair
        source = facts.source
        message = (
            f"{_what(second)} commits apart from {_what(first)}: a failure leaves half the change"
        )
        suggestion = _suggestion(handle) if facts.wants_fixes else None
        yield Finding(source.start(second.node), source.end(second.node), message, suggestion)


def _split_pair(facts: ModuleFacts, handle: Handle) -> tuple[Sent, Sent] | None:
    """Two writes that commit separately where the second depends on the first: it uses
    the first's result, or they write different tables."""
    if handle.begun or not _visible(facts, handle):
        return None
    writes = [w for w in handle.writes if w.block is None and handle.autocommit_at(w.pos) is True]
    for j, second in enumerate(writes):
        for first in writes[:j]:
            if _exclusive(facts, first, second):
                continue
            if _uses_result(facts, handle, first, second) or _different_tables(first, second):
                return first, second
    return None


def _visible(facts: ModuleFacts, handle: Handle) -> bool:
    """The connection's transactions are this function's to decide: acquired here, a
    pool (each call borrows its own connection), or from a dependency in this module
    that opens no transaction around it. A connection passed in as a parameter may be
    inside the caller's transaction."""
    if handle.kind.role == "pool":
        return True
    if handle.origin == "acquired":
        return handle.resource is not None and handle.resource.state != "unknown"
    if handle.origin == "dependency" and handle.dependency is not None:
        return dependency_commits(facts, handle.dependency) is False
    return False


def _exclusive(facts: ModuleFacts, a: Sent, b: Sent) -> bool:
    """The two calls sit in different branches of one `if` (or `match`)."""
    for x, y in zip(a.site.block, b.site.block, strict=False):
        if x == y:
            continue
        owner_x, field_x = facts.blocks.get(x, (None, ""))
        owner_y, field_y = facts.blocks.get(y, (None, ""))
        if owner_x is not None and owner_x is owner_y:
            return isinstance(owner_x, ast.If) and field_x != field_y
        return isinstance(owner_x, ast.match_case) and isinstance(owner_y, ast.match_case)
    return False


def _uses_result(facts: ModuleFacts, handle: Handle, first: Sent, second: Sent) -> bool:
    """The second write's arguments read what the first returned (`RETURNING id`), directly
    or through names computed from it."""
    if first.result is None:
        return False
    names = {first.result}
    bindings = [b for bs in handle.scope.bindings.values() for b in bs]
    for _ in range(3):  # `row = await ...; order_id = row["id"]`
        for binding in bindings:
            if (
                binding.value is not None
                and binding.pos > first.pos
                and _reads(binding.value, names)
            ):
                names.add(binding.name)
    call = second.node
    arguments = [*call.args, *(k.value for k in call.keywords)]
    return any(_reads(argument, names) for argument in arguments)


def _reads(expr: ast.expr, names: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(expr))


def _different_tables(first: Sent, second: Sent) -> bool:
    tables = {*first.tables, *second.tables}
    if not first.tables or not second.tables or "?" in tables:
        return False
    return set(first.tables) != set(second.tables)


def _what(sent: Sent) -> str:
    for statement in sent.statements:
        if statement.writes:
            table = next((t for t in statement.tables if t != "?"), "")
            verb = statement.main if statement.verb == "WITH" else statement.verb
            into = {"INSERT": " INTO", "DELETE": " FROM"}.get(verb, "")
            return f"`{verb}{into} {_short(table)}`".replace(" `", "`")
    if sent.tables and sent.tables[0] != "?":
        return f"`{sent.method}({sent.tables[0]!r})`"
    return f"`{sent.method}()`"


def _short(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _suggestion(handle: Handle) -> str:
    name = handle.name or "conn"
    driver = handle.kind.driver
    if handle.kind.role == "pool":
        return (
            f"async with {name}.acquire() as conn, conn.transaction():\n"
            "    ...  # every write through `conn`: they commit together or not at all"
        )
    if driver == "psycopg2":
        return (
            f"with {name}:  # one transaction, even in autocommit (psycopg2 2.9+)\n"
            "    ...  # the writes: they commit together or not at all"
        )
    prefix = "async with" if handle.kind.info.is_async else "with"
    return (
        f"{prefix} {name}.transaction():\n    ...  # the writes: they commit together or not at all"
    )


RULE = Rule(
    code="PGL702",
    name="writes-not-atomic",
    summary="dependent writes on an autocommit connection, outside a transaction",
    what_it_does=(
        "Checks for two or more writes on a connection in autocommit mode (asyncpg, aiopg, "
        "psycopg 3 with `autocommit=True`, psycopg2 with `autocommit = True`) outside a "
        "transaction block, where a later write depends on an earlier one: it uses the "
        "earlier one's result (`RETURNING id`), or the function writes two tables."
    ),
    why_bad=(
        "In autocommit mode every statement is its own transaction, committed when it "
        "returns. If the second write fails — a constraint, a timeout, a cancelled "
        "request, a deploy — the first stays: an order without its items, a debit without "
        "its credit, an audit row for a change that never happened. `async with "
        "conn.transaction():` (asyncpg, psycopg 3) or psycopg2's `with conn:` makes the "
        "writes commit together or not at all.\n\n"
        "Each call on an asyncpg pool (`pool.execute(...)`) borrows a connection of its "
        "own, so no transaction can hold two of them: acquire one connection and open "
        "the transaction on it.\n\n"
        "Not reported: writes inside a transaction block, or after `BEGIN` / "
        "`conn.transaction().start()`; a connection received as a parameter (the caller "
        "may hold the transaction); writes in different branches of an `if`; repeated "
        "writes to one table that do not use each other's results."
    ),
    example=(
        "import asyncpg\n\n\n"
        "async def create_order(pool: asyncpg.Pool, customer: str, product_id: int) -> int:\n"
        "    async with pool.acquire() as conn:\n"
        "        order_id = await conn.fetchval(\n"
        '            "INSERT INTO orders (customer) VALUES ($1) RETURNING id", customer\n'
        "        )\n"
        "        await conn.execute(\n"
        '            "INSERT INTO order_items (order_id, product_id) VALUES ($1, $2)",\n'
        "            order_id,\n"
        "            product_id,\n"
        "        )\n"
        "        return order_id\n"
    ),
    use_instead=(
        "import asyncpg\n\n\n"
        "async def create_order(pool: asyncpg.Pool, customer: str, product_id: int) -> int:\n"
        "    async with pool.acquire() as conn, conn.transaction():\n"
        "        order_id = await conn.fetchval(\n"
        '            "INSERT INTO orders (customer) VALUES ($1) RETURNING id", customer\n'
        "        )\n"
        "        await conn.execute(\n"
        '            "INSERT INTO order_items (order_id, product_id) VALUES ($1, $2)",\n'
        "            order_id,\n"
        "            product_id,\n"
        "        )\n"
        "        return order_id\n"
    ),
    check=check,
    see_also="PGL701 for writes that are never committed at all.",
    references=(
        "https://magicstack.github.io/asyncpg/current/api/index.html#transactions",
        "https://www.psycopg.org/psycopg3/docs/basic/transactions.html#transaction-contexts",
    ),
    checks_test_modules=False,
    test_code="a test's data is thrown away with its database, half-done or not.",
    more_bad=(
        "import psycopg\n\n\n"
        "def transfer(dsn, src, dst, amount):\n"
        "    with psycopg.connect(dsn, autocommit=True) as conn:\n"
        '        conn.execute("UPDATE accounts SET balance = balance - %s WHERE id = %s",'
        " (amount, src))\n"
        '        conn.execute("INSERT INTO ledger (account, delta) VALUES (%s, %s)",'
        " (src, -amount))\n",
    ),
    more_good=(
        "import psycopg\n\n\n"
        "def transfer(dsn, src, dst, amount):\n"
        "    with psycopg.connect(dsn, autocommit=True) as conn, conn.transaction():\n"
        '        conn.execute("UPDATE accounts SET balance = balance - %s WHERE id = %s",'
        " (amount, src))\n"
        '        conn.execute("INSERT INTO ledger (account, delta) VALUES (%s, %s)",'
        " (src, -amount))\n",
    ),
)
