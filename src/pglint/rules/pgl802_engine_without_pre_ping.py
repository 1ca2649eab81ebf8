"""PGL802: a SQLAlchemy engine for PostgreSQL created without `pool_pre_ping=True`."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from pglint.diagnostics import Edit, Fix, Location
from pglint.facts.model import ModuleFacts
from pglint.facts.resolve import Resolver
from pglint.facts.values import SqlEvaluator
from pglint.rules.base import Finding, Rule

_ENGINE_FACTORIES = frozenset(
    {"sqlalchemy.create_engine", "sqlalchemy.engine.create_engine", "sqlmodel.create_engine",
     "sqlalchemy.ext.asyncio.create_async_engine"}
)  # fmt: skip
# Pools that keep no connection between checkouts, or one that is never stale.
_NO_IDLE_CONNECTIONS = frozenset({"NullPool", "StaticPool", "AssertionPool"})
_POSTGRES = ("postgres", "postgresql", "cockroachdb", "redshift")


def check(facts: ModuleFacts) -> Iterator[Finding]:
    roles = facts.roles
    if roles is None or roles.module_roles & {"migration", "script", "test"}:
        return  # Alembic's env.py, scripts and tests run once and exit
    if any(call.site.scope is facts.module for call in facts.db_calls):
        return  # a module that runs its queries as it is imported is a script too
    resolver = Resolver.of(facts)
    kept = _kept_for_the_app(facts)
    for site in facts.calls:
        call = site.node
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr not in (
            "create_engine",
            "create_async_engine",
        ):
            continue
        if resolver.qualname(func) not in _ENGINE_FACTORIES:
            continue
        if any(k.arg is None or k.arg == "pool_pre_ping" for k in call.keywords):
            continue  # set (to anything), or maybe in **options
        if any(_no_idle_pool(k) for k in call.keywords):
            continue
        if id(call) not in kept or not _postgres_or_unknown(call, site, resolver):
            continue
        info = roles.enclosing(site.scope)
        if info is not None and info.roles & {"entry_point", "test", "migration"}:
            continue  # a command's engine lives as long as the command
        source = facts.source
        name = source.segment(func)
        message = f"`{name}()` without `pool_pre_ping=True`: dead pooled connections fail requests"
        fix = _fix(call, facts)
        suggestion = _with_keyword(source.segment(call)) if fix is not None else None
        yield Finding(source.start(call), source.end(call), message, suggestion, fix)


def _kept_for_the_app(facts: ModuleFacts) -> set[int]:
    """Engines that outlive the code that makes them, where a pool keeps connections
    idle: bound at module level or by `global`, stored on an object (`app.state.engine`,
    `self.engine`) or in a container, or returned by a cached factory. An engine made,
    used and disposed in one function has no idle connections to go stale."""
    values: list[ast.expr | None] = []
    for bindings in facts.module.bindings.values():
        values += [b.value for b in bindings if b.kind == "assign"]
    for bindings in facts.attribute_bindings.values():
        values += [b.value for b in bindings]
    values += [b.value for b in facts.item_stores]
    roles = facts.roles
    for scope in facts.scopes:
        info = roles.of(scope) if roles is not None else None
        if info is not None and "cached_factory" in info.roles:
            values += [r.value for r in scope.returns]
    return {id(v.value if isinstance(v, ast.Await) else v) for v in values if v is not None}


def _with_keyword(text: str) -> str:
    body = text[:-1].rstrip()
    return f"{body}{'' if body.endswith(',') else ','} pool_pre_ping=True)"


def _no_idle_pool(keyword: ast.keyword) -> bool:
    if keyword.arg != "poolclass":
        return False
    value = keyword.value
    name = value.attr if isinstance(value, ast.Attribute) else getattr(value, "id", "")
    return name in _NO_IDLE_CONNECTIONS


def _postgres_or_unknown(call: ast.Call, site, resolver: Resolver) -> bool:
    """The URL names PostgreSQL, or cannot be read (a setting, an environment
    variable); not a URL for SQLite, MySQL or another database."""
    url = (
        call.args[0]
        if call.args
        else next((k.value for k in call.keywords if k.arg == "url"), None)
    )
    if url is None:
        return False
    pos = (call.lineno, call.col_offset)
    variants = SqlEvaluator(resolver).evaluate(url, site.scope, pos, site.block)
    for variant in variants:
        first = variant.pieces[0] if variant.pieces else None
        if first is None or first.text is None:
            continue
        scheme = first.text.partition(":")[0].partition("+")[0].strip().lower()
        if ":" in first.text and scheme not in _POSTGRES:
            return False
    return True


def _fix(call: ast.Call, facts: ModuleFacts) -> Fix | None:
    """Add `pool_pre_ping=True` after the last argument."""
    arguments = [*call.args, *(k.value for k in call.keywords)]
    if not arguments:
        return None
    last = max(arguments, key=lambda a: (a.end_lineno or 0, a.end_col_offset or 0))
    source = facts.source
    at = source.end(last)
    line = source.line(at.row)
    rest = line[at.column - 1 :]
    if rest.strip() == ",":  # one argument per line, with a trailing comma: one more line
        indent = line[: len(line) - len(line.lstrip())]
        after = Location(at.row, at.column + len(rest.rstrip()))
        return Fix("safe", "Add `pool_pre_ping=True`",
                   (Edit(after, after, f"\n{indent}pool_pre_ping=True,"),))  # fmt: skip
    return Fix("safe", "Add `pool_pre_ping=True`", (Edit(at, at, ", pool_pre_ping=True"),))


RULE = Rule(
    code="PGL802",
    name="engine-without-pre-ping",
    summary="a SQLAlchemy engine for PostgreSQL created without `pool_pre_ping=True`",
    what_it_does=(
        "Checks for `create_engine()` and `create_async_engine()` calls for PostgreSQL (or "
        "a URL read from settings) that do not pass `pool_pre_ping`."
    ),
    why_bad=(
        "An engine keeps its connections open in a pool. When PostgreSQL restarts, fails "
        "over, or a proxy or firewall drops idle connections, every pooled connection is "
        "dead — and the pool hands them out anyway: the next requests fail with "
        "`OperationalError: server closed the connection unexpectedly` until each dead "
        "connection has been tried once. `pool_pre_ping=True` checks a connection with a "
        "cheap round trip when it is checked out and replaces it if it is gone.\n\n"
        "Reported for engines that outlive the code that makes them: bound at module "
        "level, stored on an object (`app.state.engine`, `self.engine`) or returned by "
        "an `@lru_cache` factory. Not reported: `pool_pre_ping` passed with any value (an "
        "explicit `False` is a decision), `poolclass=NullPool` or `StaticPool`, a URL for "
        "another database, `**options` that may carry it, an engine made and disposed "
        "in one function, CLI commands, scripts (a `__main__` block, or queries run at "
        "import), tests and migrations."
    ),
    opinionated=(
        "A pre-ping costs one round trip per checkout, and some deployments prefer "
        "`pool_recycle` shorter than the server's idle timeout, or retry at a higher "
        "level. It is the seeds' production advice, not a bug in every program."
    ),
    default_enabled=False,
    example=(
        "import os\n\n"
        "from sqlalchemy import create_engine\n\n"
        'engine = create_engine(os.environ["DATABASE_URL"], pool_size=10)\n'
    ),
    use_instead=(
        "import os\n\n"
        "from sqlalchemy import create_engine\n\n"
        'engine = create_engine(os.environ["DATABASE_URL"], pool_size=10, pool_pre_ping=True)\n'
    ),
    check=check,
    fix_availability="sometimes",
    fix_summary=("adds `pool_pre_ping=True` to the engine's arguments", "safe"),
    fix_safety=(
        "Safe: with a live server every statement returns what it returned before; a "
        "connection the server has dropped is replaced instead of failing the request."
    ),
    references=(
        "https://docs.sqlalchemy.org/en/20/core/pooling.html#pool-disconnects-pessimistic",
    ),
    checks_test_modules=False,
    test_code=(
        "a test's engine lives as long as the test run, against a server that does not "
        "restart under it."
    ),
    more_bad=(
        "from sqlalchemy.ext.asyncio import create_async_engine\n\n"
        'engine = create_async_engine("postgresql+asyncpg://app@db/app")\n',
    ),
    more_good=(
        'from sqlalchemy import create_engine\n\nengine = create_engine("sqlite:///app.db")\n',
        "import os\n\n"
        "from sqlalchemy import create_engine\n"
        "from sqlalchemy.pool import NullPool\n\n"
        'engine = create_engine(os.environ["DATABASE_URL"], poolclass=NullPool)\n',
    ),
)
