"""PGL705: a statement that cannot run inside a transaction block, sent inside one."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from pglint.facts.model import DbCall, ModuleFacts
from pglint.facts.resolve import Resolver
from pglint.facts.transactions import Handle, Sent
from pglint.rules.base import Finding, Rule
from pglint.sql.statements import statements

_SQLALCHEMY = frozenset({"sqlalchemy", "sqlalchemy_async"})
_ALEMBIC_OP = "alembic.op"


def check(facts: ModuleFacts) -> Iterator[Finding]:
    source = facts.source
    for handle in facts.transactions:
        for sent in handle.sent:
            what = next((s.needs_autocommit for s in sent.statements if s.needs_autocommit), None)
            if what is None:
                continue
            why = _why(handle, sent)
            if why is None:
                continue
            message = f"`{what}` fails inside a transaction block: {why}"
            yield Finding(source.start(sent.node), source.end(sent.node), message,
                          _suggestion(facts, handle, sent))  # fmt: skip
    yield from _alembic(facts)


def _why(handle: Handle, sent: Sent) -> str | None:
    """Why the statement runs inside a transaction block, or None when it may not."""
    if sent.block is not None:
        return f"`with {_short(ast.unparse(sent.block.item.expr))}` opens one"
    if not handle.model.implicit:
        return None  # asyncpg, aiopg: autocommit outside a block
    autocommit = handle.autocommit_at(sent.pos)
    if autocommit is True:
        return None
    if handle.kind.role == "session":
        return "a session is always in one"
    if autocommit is None:
        return None  # made elsewhere: it may be in autocommit
    return f"{handle.kind.info.label} opens one first"


def _short(text: str, limit: int = 20) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _suggestion(facts: ModuleFacts, handle: Handle, sent: Sent) -> str:
    name = handle.name or "conn"
    statement = facts.source.segment(sent.node)
    if sent.block is not None:
        return f"{statement}  # outside the transaction block"
    driver = handle.kind.driver
    if driver in _SQLALCHEMY:
        return f'{name} = {name}.execution_options(isolation_level="AUTOCOMMIT")\n{statement}'
    if driver == "psycopg_async":
        return f"await {name}.set_autocommit(True)\n{statement}"
    return f"{name}.autocommit = True\n{statement}"


def _alembic(facts: ModuleFacts) -> Iterator[Finding]:
    """`op.execute("CREATE INDEX CONCURRENTLY ...")` in an Alembic migration, which runs
    in a transaction unless the statement is in `op.get_context().autocommit_block()`."""
    if _ALEMBIC_OP not in facts.imports.values():
        return
    resolver = Resolver.of(facts)
    blocks = _autocommit_blocks(facts)
    for call in facts.db_calls:
        func = call.node.func
        if not isinstance(func, ast.Attribute) or call.kind is not None:
            continue
        if resolver.qualname(func.value) != _ALEMBIC_OP:
            continue
        what = _needs_autocommit(call)
        if what is None or blocks.intersection(call.site.block):
            continue
        source = facts.source
        message = f"`{what}` fails inside a transaction block: Alembic runs migrations in one"
        suggestion = "with op.get_context().autocommit_block():\n    " + source.segment(call.node)
        yield Finding(source.start(call.node), source.end(call.node), message, suggestion)


def _needs_autocommit(call: DbCall) -> str | None:
    if not call.sql:
        return None
    pieces = call.sql[0].pieces
    text = "".join(p.text if p.text is not None else "\ue000" for p in pieces)
    return next((s.needs_autocommit for s in statements(text) if s.needs_autocommit), None)


def _autocommit_blocks(facts: ModuleFacts) -> set[int]:
    """Block ids of `with ...autocommit_block():` bodies."""
    found = set()
    bodies = {
        id(node): block_id
        for block_id, (node, name) in facts.blocks.items()
        if name == "body" and isinstance(node, ast.With | ast.AsyncWith)
    }
    for item in facts.with_items:
        expr = item.expr
        if (
            isinstance(expr, ast.Call)
            and isinstance(expr.func, ast.Attribute)
            and expr.func.attr == "autocommit_block"
            and id(item.node) in bodies
        ):
            found.add(bodies[id(item.node)])
    return found


RULE = Rule(
    code="PGL705",
    name="statement-needs-autocommit",
    summary="`VACUUM`, `CREATE INDEX CONCURRENTLY`... sent inside a transaction block",
    what_it_does=(
        "Checks for statements PostgreSQL refuses inside a transaction block — `VACUUM`, "
        "`CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY`, `REINDEX ... "
        "CONCURRENTLY`, `REINDEX SCHEMA/DATABASE/SYSTEM`, `CLUSTER` of every table, "
        "`CREATE/DROP DATABASE`, `ALTER SYSTEM`, `ALTER DATABASE ... SET TABLESPACE` — "
        "sent on a connection that is in one: psycopg2, psycopg 3 and SQLAlchemy "
        "connections not in autocommit, sessions, `with conn.transaction()` blocks, and "
        "Alembic migrations outside `autocommit_block()`."
    ),
    why_bad=(
        "These statements fail with `ActiveSqlTransaction: VACUUM cannot run inside a "
        "transaction block`. psycopg2, psycopg 3 and SQLAlchemy open a transaction "
        "before the first statement of a connection that is not in autocommit, so the "
        "maintenance job fails every time it runs — often a nightly job nobody watches, "
        "or a migration that passes on an empty development database only because it "
        "was run by hand. Alembic runs each migration in a transaction, so "
        '`op.execute("CREATE INDEX CONCURRENTLY ...")` fails unless it is inside '
        "`with op.get_context().autocommit_block():`.\n\n"
        "Not reported: a connection put in autocommit (`autocommit=True`, `conn.autocommit "
        '= True`, `isolation_level="AUTOCOMMIT"`, `set_isolation_level(0)`), asyncpg '
        "outside `conn.transaction()`, and a connection made in another module, whose "
        "mode this module does not show."
    ),
    example=(
        "import psycopg2\n\n\n"
        "def nightly_vacuum(dsn):\n"
        "    conn = psycopg2.connect(dsn)\n"
        "    try:\n"
        "        with conn.cursor() as cur:\n"
        '            cur.execute("VACUUM ANALYZE events")\n'
        "    finally:\n"
        "        conn.close()\n"
    ),
    use_instead=(
        "import psycopg2\n\n\n"
        "def nightly_vacuum(dsn):\n"
        "    conn = psycopg2.connect(dsn)\n"
        "    conn.autocommit = True\n"
        "    try:\n"
        "        with conn.cursor() as cur:\n"
        '            cur.execute("VACUUM ANALYZE events")\n'
        "    finally:\n"
        "        conn.close()\n"
    ),
    check=check,
    see_also="PGL701 for writes that are never committed.",
    references=(
        "https://www.postgresql.org/docs/current/sql-vacuum.html",
        "https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY",
        "https://alembic.sqlalchemy.org/en/latest/api/runtime.html"
        "#alembic.runtime.migration.MigrationContext.autocommit_block",
    ),
    more_bad=(
        "from sqlalchemy import create_engine, text\n\n"
        'engine = create_engine("postgresql+psycopg://app@db/app")\n\n\n'
        "def add_index():\n"
        "    with engine.connect() as conn:\n"
        '        conn.execute(text("CREATE INDEX CONCURRENTLY ix_events_at ON events (at)"))\n',
        "from alembic import op\n\n"
        'revision = "b2c3"\n'
        'down_revision = "a1b2"\n\n\n'
        "def upgrade():\n"
        '    op.execute("CREATE INDEX CONCURRENTLY ix_orders_customer ON orders (customer)")\n',
    ),
    more_good=(
        "from sqlalchemy import create_engine, text\n\n"
        'engine = create_engine("postgresql+psycopg://app@db/app")\n\n\n'
        "def add_index():\n"
        '    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:\n'
        '        conn.execute(text("CREATE INDEX CONCURRENTLY ix_events_at ON events (at)"))\n',
        "from alembic import op\n\n"
        'revision = "b2c3"\n'
        'down_revision = "a1b2"\n\n\n'
        "def upgrade():\n"
        "    with op.get_context().autocommit_block():\n"
        '        op.execute("CREATE INDEX CONCURRENTLY ix_orders_customer ON orders (customer)")\n',
    ),
)
