"""PGL403: a connection or session opened and not closed on every path."""

from __future__ import annotations

from collections.abc import Iterator

from pglint.facts.model import ModuleFacts
from pglint.facts.resources import Resource
from pglint.rules._lifecycle import per_request_function
from pglint.rules._release_fix import release_fix
from pglint.rules.base import Finding, Rule

# A SQLAlchemy session or connection that has begun a transaction is in a reference cycle
# with it: dropping it frees nothing until the cyclic garbage collector runs.
_CYCLIC = frozenset({"sqlalchemy", "sqlalchemy_async"})


def check(facts: ModuleFacts) -> Iterator[Finding]:
    roles = facts.roles
    if roles is None:
        return
    for resource in facts.resources:
        if resource.checkout is not None or resource.lifecycle is None:
            continue  # pool checkouts are PGL404
        state = resource.state
        if state not in ("closed_on_success", "with_does_not_close", "not_closed"):
            continue
        if roles.runs_once(resource.site.scope):
            continue  # scripts, tests, migrations, startup: the process ends or owns it
        if state == "not_closed" and per_request_function(facts, resource.site.scope) is None:
            if resource.kind.driver not in _CYCLIC:
                continue  # a dropped DB-API connection is closed when the function returns
            if resource.ends:
                continue  # its transaction ended: the connection went back to the pool
        source = facts.source
        yield Finding(
            source.start(resource.node), source.end(resource.node),
            _message(resource), _suggestion(facts, resource), release_fix(facts, resource),
        )  # fmt: skip


def _message(resource: Resource) -> str:
    label = resource.kind.info.label
    what = "session" if resource.kind.role == "session" else f"{label} connection"
    if resource.state == "with_does_not_close":
        return f"`with` on a {what} does not close it; close it in `finally` or use `closing()`"
    if resource.state == "closed_on_success":
        return f"This {what} is closed only on success; close it in `finally` or use `with`"
    return f"This {what} is never closed, returned or stored; use `with` or close it in `finally`"


def _suggestion(facts: ModuleFacts, resource: Resource) -> str:
    call = facts.source.segment(resource.node)
    awaited = "await " if resource.awaited else ""
    name = resource.name or ("db" if resource.kind.role == "session" else "conn")
    lifecycle = resource.lifecycle
    if lifecycle is not None and lifecycle.with_closes:
        prefix = "async with" if lifecycle.awaited else "with"
        return f"{prefix} {call} as {name}:\n    ..."
    if lifecycle is not None and lifecycle.with_closes is False:
        return (
            "from contextlib import closing\n\n"
            f"with closing({call}) as {name}, {name}:  # closes; the inner `{name}` commits\n"
            "    ..."
        )
    return f"{name} = {awaited}{call}\ntry:\n    ...\nfinally:\n    {resource.release_call(name)}"


RULE = Rule(
    code="PGL403",
    name="connection-not-closed",
    summary="connection or session opened and not closed on every path",
    what_it_does=(
        "Checks for connections and sessions a function opens and does not close on "
        "every path: closed only after code that can raise, held in a `with "
        "psycopg2.connect()` / `with sqlite3.connect()` block (which does not close), or, "
        "on the request path, never closed at all."
    ),
    why_bad=(
        "A connection that is closed only when everything succeeds leaks on the first "
        "exception, and exceptions come in bursts — a few dozen failing requests can "
        "hold every connection PostgreSQL allows. psycopg2's and sqlite3's connection "
        "context managers are a common trap: `with psycopg2.connect() as conn:` commits "
        "or rolls back at the end of the block and leaves the connection open (psycopg "
        "3, SQLAlchemy and aiosqlite close it).\n\n"
        "Not reported: a connection closed in `finally` or by a closing `with`, "
        "`contextlib.closing` or `ExitStack`; one returned to the caller, yielded, "
        "stored on `self` or another object, in a container or a global, or passed to "
        "another function (the new owner closes it); code in `main()`, scripts, CLI "
        "commands, tests, migrations and startup handlers, and helpers only they call "
        "(in any module). A DB-API connection (psycopg2, sqlite3...) that is simply "
        "dropped in a function no request reaches is not reported either: CPython closes "
        "it when the function returns. A SQLAlchemy session or connection is reported "
        "wherever it is dropped: once it has begun a transaction it sits in a reference "
        "cycle, and its connection stays checked out until the cyclic garbage collector "
        "runs; off the request path, one whose transaction the function ends "
        "(`commit()`, `rollback()`) has given its connection back and is not reported."
    ),
    example=(
        "import psycopg2\n\n\n"
        "def count_users(dsn):\n"
        "    with psycopg2.connect(dsn) as conn:\n"
        "        with conn.cursor() as cur:\n"
        '            cur.execute("SELECT count(*) FROM users")\n'
        "            return cur.fetchone()[0]\n"
    ),
    use_instead=(
        "from contextlib import closing\n\n"
        "import psycopg2\n\n\n"
        "def count_users(dsn):\n"
        "    with closing(psycopg2.connect(dsn)) as conn, conn:\n"
        "        with conn.cursor() as cur:\n"
        '            cur.execute("SELECT count(*) FROM users")\n'
        "            return cur.fetchone()[0]\n"
    ),
    check=check,
    fix_availability="sometimes",
    fix_summary=(
        "`with psycopg2.connect() as conn:` → `with closing(psycopg2.connect()) as conn, "
        "conn:`; a close after code that can raise moves into `finally`; an unclosed one "
        "gets `try`/`finally`, unsafe for a SQLAlchemy session",
        "safe or unsafe",
    ),
    fix_safety=(
        "`with psycopg2.connect(...) as conn:` (or sqlite3) becomes `with "
        "closing(psycopg2.connect(...)) as conn, conn:`, adding `from contextlib import "
        "closing`: the block still commits or rolls back, then the connection is closed. "
        "A close that runs only after code that can raise moves into `finally`, with "
        "that code in `try`; a connection that is never closed gets the rest of its block "
        "in `try` and the close in `finally`. These are safe: every path without an "
        "exception runs as before (proven against PostgreSQL: the same answers and the "
        "same committed rows), and the path with one now closes. Closing a SQLAlchemy "
        "session nobody closed is unsafe: an object it loaded can no longer load its "
        "other attributes (`DetachedInstanceError`). No fix when the connection is used "
        "after its block, when its name is bound more than once, when the close is "
        "inside a branch, or when statements share a line."
    ),
    see_also="PGL404 for connections borrowed from a pool; PGL402 for dependencies.",
    references=(
        "https://www.psycopg.org/docs/usage.html#with-statement",
        "https://docs.python.org/3/library/sqlite3.html#sqlite3-connection-context-manager",
    ),
    more_bad=(
        "from sqlalchemy import create_engine, text\n\n"
        'engine = create_engine("postgresql://app@db/app")\n\n\n'
        "def archive(order_id):\n"
        "    conn = engine.connect()\n"
        '    conn.execute(text("UPDATE orders SET archived = true WHERE id = :id"), '
        '{"id": order_id})\n'
        "    conn.commit()\n"
        "    conn.close()\n",
    ),
    more_good=(
        "from sqlalchemy.orm import Session\n\n\n"
        "def load_fixtures(engine, rows):\n"
        "    session = Session(engine)\n"
        "    session.add_all(rows)\n"
        "    session.commit()\n",
        "from sqlalchemy import create_engine, text\n\n"
        'engine = create_engine("postgresql://app@db/app")\n\n\n'
        "def archive(order_id):\n"
        "    with engine.begin() as conn:\n"
        '        conn.execute(text("UPDATE orders SET archived = true WHERE id = :id"), '
        '{"id": order_id})\n',
        "import psycopg2\n\n\n"
        "class Repository:\n"
        "    def __init__(self, dsn):\n"
        "        self.conn = psycopg2.connect(dsn)\n\n"
        "    def close(self):\n"
        "        self.conn.close()\n",
    ),
)
