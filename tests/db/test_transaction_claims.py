"""Transaction claims (PGL70x) against a real server: writes rolled back when a
connection ends without a commit, half-done changes on autocommit connections,
statements that cannot run in a transaction block — and the same code after
`pglint check --fix`, or as the rule's documentation says to write it.
"""

from __future__ import annotations

import pytest

from .conftest import rows

SA_ENGINE = """
    from sqlalchemy import create_engine, text

    engine = None

    def configure(dsn):
        global engine
        engine = create_engine(dsn.replace("postgresql://", "postgresql+psycopg2://"))
        return engine
"""


# --- PGL701: writes that are never committed ---------------------------------------------


def test_sqlalchemy_connect_rolls_the_write_back_and_begin_commits_it(server, program, table):
    name = table("id serial PRIMARY KEY, note text NOT NULL")
    code = program(
        SA_ENGINE
        + f"""
    def add(note):
        with engine.connect() as conn:
            conn.execute(text("INSERT INTO {name} (note) VALUES (:n)"), {{"n": note}})
            if note is None:
                raise ValueError("no note")
    """
    )
    assert code.findings() == ["PGL701"]
    module = code.load()
    module.configure(server.dsn)
    module.add("lost")
    assert rows(server, name) == 0  # ran, returned no error, and is gone
    fixed = code.fixed()
    assert "with engine.begin() as conn:" in code.fixed_source
    fixed.configure(server.dsn)
    fixed.add("kept")
    assert rows(server, name) == 1
    # The error path is what it was: nothing is written.
    for module in (code.load(), fixed):
        module.configure(server.dsn)
        with pytest.raises(Exception):  # noqa: B017 - NotNullViolation wrapped by SQLAlchemy
            module.add(None)
    assert rows(server, name) == 1
    assert code.fixed_findings() == []


def test_psycopg2_close_rolls_back_and_with_conn_commits(server, program, table):
    name = table("id serial PRIMARY KEY, email text")
    code = program(
        f"""
        import psycopg2

        def add_user(dsn, email):
            conn = psycopg2.connect(dsn)
            try:
                with conn.cursor() as cur:
                    cur.execute("INSERT INTO {name} (email) VALUES (%s)", (email,))
            finally:
                conn.close()

        def add_user_committed(dsn, email):
            conn = psycopg2.connect(dsn)
            try:
                with conn:  # the rule's suggestion
                    with conn.cursor() as cur:
                        cur.execute("INSERT INTO {name} (email) VALUES (%s)", (email,))
            finally:
                conn.close()
        """
    )
    assert code.findings() == ["PGL701"]
    module = code.load()
    module.add_user(server.dsn, "lost@example.com")
    assert rows(server, name) == 0
    module.add_user_committed(server.dsn, "kept@example.com")
    assert rows(server, name) == 1


def test_psycopg3_close_rolls_back_and_its_with_block_commits(server, program, table):
    name = table("id serial PRIMARY KEY, note text")
    code = program(
        f"""
        import psycopg

        def lost(dsn):
            conn = psycopg.connect(dsn)
            try:
                conn.execute("INSERT INTO {name} (note) VALUES ('lost')")
            finally:
                conn.close()

        def kept(dsn):
            with psycopg.connect(dsn) as conn:  # commits when the block ends
                conn.execute("INSERT INTO {name} (note) VALUES ('kept')")

        def autocommit(dsn):
            conn = psycopg.connect(dsn, autocommit=True)
            try:
                conn.execute("INSERT INTO {name} (note) VALUES ('autocommit')")
            finally:
                conn.close()
        """
    )
    assert code.findings() == ["PGL701"]  # `lost` only
    module = code.load()
    module.lost(server.libpq)
    module.kept(server.libpq)
    module.autocommit(server.libpq)
    assert rows(server, name, "note = 'lost'") == 0
    assert rows(server, name, "note IN ('kept', 'autocommit')") == 2


def test_pool_checkouts_roll_back_on_putconn_and_psycopg_pool_connection_commits(
    server, program, table
):
    name = table("id serial PRIMARY KEY, event text")
    code = program(
        f"""
        import psycopg2.pool
        import psycopg_pool

        pool = None
        pg_pool = None

        def configure(dsn, libpq):
            global pool, pg_pool
            pool = psycopg2.pool.SimpleConnectionPool(1, 2, dsn)
            pg_pool = psycopg_pool.ConnectionPool(libpq, min_size=1, max_size=2, open=True)

        def record(event):
            conn = pool.getconn()
            try:
                with conn.cursor() as cur:
                    cur.execute("INSERT INTO {name} (event) VALUES (%s)", (event,))
            finally:
                pool.putconn(conn)

        def record_pooled(event):
            with pg_pool.connection() as conn:  # commits when the block ends
                conn.execute("INSERT INTO {name} (event) VALUES (%s)", (event,))
        """
    )
    assert code.findings() == ["PGL701"]
    module = code.load()
    module.configure(server.dsn, server.libpq)
    try:
        module.record("lost")
        module.record_pooled("kept")
        assert rows(server, name, "event = 'lost'") == 0
        assert rows(server, name, "event = 'kept'") == 1
    finally:
        module.pool.closeall()
        module.pg_pool.close()


DEPENDENCY = """
    import contextlib

    from fastapi import Depends, FastAPI
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

    app = FastAPI()
    SessionLocal = None

    class Base(DeclarativeBase):
        pass

    class Note(Base):
        __tablename__ = "TABLE"
        id: Mapped[int] = mapped_column(primary_key=True)
        note: Mapped[str]

    def configure(dsn):
        global SessionLocal
        engine = create_engine(dsn.replace("postgresql://", "postgresql+psycopg2://"))
        SessionLocal = sessionmaker(bind=engine)
        return engine

    GET_DB

    @app.post("/notes")
    def create_note(note: str, db: Session = Depends(get_db)):
        db.add(Note(note=note))
        return {"ok": True}

    def request(note):
        # What FastAPI does: the generator dependency wraps the handler.
        with contextlib.contextmanager(get_db)() as db:
            return create_note(note, db)
"""

PLAIN_GET_DB = """def get_db():
        db = SessionLocal()
        try:
            yield db
        finally:
            db.close()"""

COMMITTING_GET_DB = """def get_db():
        db = SessionLocal()
        try:
            yield db
            db.commit()
        except Exception:
            db.rollback()
            raise
        finally:
            db.close()"""


def test_handler_write_through_a_dependency_that_never_commits_is_lost(server, program, table):
    name = table("id serial PRIMARY KEY, note text NOT NULL")
    source = DEPENDENCY.replace('"TABLE"', repr(name))
    code = program(source.replace("GET_DB", PLAIN_GET_DB))
    assert code.findings() == ["PGL701"]
    module = code.load()
    engine = module.configure(server.dsn)
    assert module.request("lost") == {"ok": True}  # the client is told it worked
    engine.dispose()
    assert rows(server, name) == 0
    committing = program(source.replace("GET_DB", COMMITTING_GET_DB))
    assert committing.findings() == []
    module = committing.load()
    engine = module.configure(server.dsn)
    assert module.request("kept") == {"ok": True}
    engine.dispose()
    assert rows(server, name) == 1


# --- PGL702: dependent writes on an autocommit connection --------------------------------

ORDERS = "id serial PRIMARY KEY, customer text NOT NULL"
ITEMS = "order_id int NOT NULL, sku text NOT NULL"


def test_asyncpg_writes_commit_one_by_one_and_a_transaction_keeps_them_together(
    server, program, table
):
    orders, items = table(ORDERS), table(ITEMS)
    code = program(
        f"""
        import asyncio

        import asyncpg

        async def create_order(pool: asyncpg.Pool, customer, sku):
            async with pool.acquire() as conn:
                order_id = await conn.fetchval(
                    "INSERT INTO {orders} (customer) VALUES ($1) RETURNING id", customer
                )
                await conn.execute(
                    "INSERT INTO {items} (order_id, sku) VALUES ($1, $2)", order_id, sku
                )

        async def create_order_atomic(pool: asyncpg.Pool, customer, sku):
            async with pool.acquire() as conn, conn.transaction():  # the suggestion
                order_id = await conn.fetchval(
                    "INSERT INTO {orders} (customer) VALUES ($1) RETURNING id", customer
                )
                await conn.execute(
                    "INSERT INTO {items} (order_id, sku) VALUES ($1, $2)", order_id, sku
                )

        def run(dsn, function, customer, sku):
            async def main():
                async with asyncpg.create_pool(dsn, min_size=1, max_size=1) as pool:
                    await function(pool, customer, sku)
            asyncio.run(main())
        """
    )
    assert code.findings() == ["PGL702"]
    import asyncpg

    module = code.load()
    with pytest.raises(asyncpg.NotNullViolationError):
        module.run(server.dsn, module.create_order, "half", None)
    assert rows(server, orders, "customer = 'half'") == 1  # an order without its items
    assert rows(server, items) == 0
    with pytest.raises(asyncpg.NotNullViolationError):
        module.run(server.dsn, module.create_order_atomic, "whole", None)
    assert rows(server, orders, "customer = 'whole'") == 0
    module.run(server.dsn, module.create_order_atomic, "whole", "SKU-1")
    assert rows(server, orders, "customer = 'whole'") == 1 and rows(server, items) == 1


def test_psycopg2_with_conn_opens_a_transaction_even_in_autocommit(server, program, table):
    accounts, ledger = table("id int PRIMARY KEY, balance int"), table("account int NOT NULL")
    code = program(
        f"""
        import psycopg2

        def transfer(dsn, account):
            conn = psycopg2.connect(dsn)
            conn.autocommit = True
            try:
                with conn.cursor() as cur:
                    cur.execute("UPDATE {accounts} SET balance = balance - 1 WHERE id = 1")
                    cur.execute("INSERT INTO {ledger} (account) VALUES (%s)", (account,))
            finally:
                conn.close()

        def transfer_atomic(dsn, account):
            conn = psycopg2.connect(dsn)
            conn.autocommit = True
            try:
                with conn:  # the suggestion: a transaction, even in autocommit (2.9+)
                    with conn.cursor() as cur:
                        cur.execute("UPDATE {accounts} SET balance = balance - 1 WHERE id = 1")
                        cur.execute("INSERT INTO {ledger} (account) VALUES (%s)", (account,))
            finally:
                conn.close()
        """
    )
    assert code.findings() == ["PGL702"]  # `transfer` only
    import psycopg
    import psycopg2

    with psycopg.connect(server.libpq, autocommit=True) as conn:
        conn.execute(f"INSERT INTO {accounts} VALUES (1, 10)")
    module = code.load()
    with pytest.raises(psycopg2.errors.NotNullViolation):
        module.transfer(server.dsn, None)
    assert rows(server, accounts, "balance = 9") == 1  # debited, with no ledger line
    with pytest.raises(psycopg2.errors.NotNullViolation):
        module.transfer_atomic(server.dsn, None)
    assert rows(server, accounts, "balance = 9") == 1  # `with conn:` rolled both back
    module.transfer_atomic(server.dsn, 1)
    assert rows(server, accounts, "balance = 8") == 1 and rows(server, ledger) == 1


# --- PGL705's premise: what cannot run in a transaction block ---------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "VACUUM",
        "VACUUM ANALYZE {t}",
        "CREATE INDEX CONCURRENTLY ix_{t} ON {t} (a)",
        "CREATE UNIQUE INDEX CONCURRENTLY ux_{t} ON {t} (a)",
        "DROP INDEX CONCURRENTLY IF EXISTS ix_none",
        "REINDEX TABLE CONCURRENTLY {t}",
        "REINDEX (CONCURRENTLY) TABLE {t}",
        "REINDEX SCHEMA public",
        "CLUSTER",
        "CREATE DATABASE pglint_never",
        "DROP DATABASE IF EXISTS pglint_never",
        "ALTER SYSTEM SET work_mem = '4MB'",
        "ALTER DATABASE pglint_other SET TABLESPACE pg_default",
    ],
)
def test_statements_that_cannot_run_in_a_transaction_block(server, table, statement):
    """What pglint's SQL reader says needs autocommit (sql/statements.py) is what the
    server refuses inside a transaction block, and runs outside one."""
    import psycopg

    from pglint.sql.statements import statements

    sql = statement.format(t=table("a int"))
    if "pglint_other" in sql:  # not the database the session is connected to
        with psycopg.connect(server.libpq, autocommit=True) as conn:
            if not conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = 'pglint_other'"
            ).fetchone():
                conn.execute("CREATE DATABASE pglint_other")
    [parsed] = statements(sql)
    assert parsed.needs_autocommit is not None, sql
    with psycopg.connect(server.libpq) as conn, pytest.raises(psycopg.errors.ActiveSqlTransaction):
        conn.execute(sql)
    with psycopg.connect(server.libpq, autocommit=True) as conn:
        conn.execute(sql)
        if "ALTER SYSTEM" in sql:
            conn.execute("ALTER SYSTEM RESET work_mem")


def test_vacuum_fails_in_the_implicit_transaction_and_runs_in_autocommit(server, program, table):
    import psycopg2
    import sqlalchemy.exc

    name = table("a int")
    code = program(
        SA_ENGINE
        + f"""
    import psycopg2

    def nightly_vacuum(dsn):
        conn = psycopg2.connect(dsn)
        try:
            with conn.cursor() as cur:
                cur.execute("VACUUM ANALYZE {name}")
        finally:
            conn.close()

    def add_index():
        with engine.connect() as conn:
            conn.execute(text("CREATE INDEX CONCURRENTLY ix_{name} ON {name} (a)"))

    def nightly_vacuum_autocommit(dsn):
        conn = psycopg2.connect(dsn)
        conn.autocommit = True  # the suggestion
        try:
            with conn.cursor() as cur:
                cur.execute("VACUUM ANALYZE {name}")
        finally:
            conn.close()

    def add_index_autocommit():
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("CREATE INDEX CONCURRENTLY ix_{name} ON {name} (a)"))
    """
    )
    assert code.findings() == ["PGL705", "PGL705"]
    module = code.load()
    module.configure(server.dsn)
    with pytest.raises(psycopg2.errors.ActiveSqlTransaction):
        module.nightly_vacuum(server.dsn)
    with pytest.raises(sqlalchemy.exc.InternalError, match="cannot run inside a transaction"):
        module.add_index()
    module.nightly_vacuum_autocommit(server.dsn)
    module.add_index_autocommit()
    module.engine.dispose()


def test_statements_that_can_run_in_a_transaction_block(server, table):
    import psycopg

    from pglint.sql.statements import statements

    name = table("a int")
    for sql in (f"REINDEX (VERBOSE) TABLE {name}", f"CREATE INDEX ix_{name} ON {name} (a)",
                f"CLUSTER {name} USING ix_{name}", f"ANALYZE {name}"):  # fmt: skip
        assert statements(sql)[0].needs_autocommit is None, sql
        with psycopg.connect(server.libpq) as conn:
            conn.execute(sql)


# --- PGL706: a plain string to SQLAlchemy 2.0 ----------------------------------------------


def test_plain_strings_are_rejected_and_text_runs_them(server, program):
    import sqlalchemy.exc

    code = program(
        SA_ENGINE
        + """
    from sqlalchemy.orm import Session

    def count_users():
        with Session(engine) as session:
            return session.execute("SELECT count(*) FROM users").scalar_one()

    def count_on_connection():
        with engine.connect() as conn:
            return conn.execute("SELECT count(*) FROM users WHERE id > 0").scalar()

    def legacy():
        return engine.execute("SELECT 1").scalar()
    """
    )
    assert code.findings() == ["PGL706"] * 3
    module = code.load()
    module.configure(server.dsn)
    with pytest.raises(sqlalchemy.exc.ArgumentError, match="explicitly declared as text"):
        module.count_users()
    with pytest.raises(sqlalchemy.exc.ObjectNotExecutableError):
        module.count_on_connection()
    with pytest.raises(AttributeError, match="execute"):
        module.legacy()
    fixed = code.fixed()
    assert 'session.execute(text("SELECT count(*) FROM users"))' in code.fixed_source
    fixed.configure(server.dsn)
    assert fixed.count_users() == 3
    assert fixed.count_on_connection() == 3


def test_driver_placeholders_become_binds_that_text_runs(server, program):
    """The unsafe fix: psycopg2's `%s` and `%(name)s`, which `text()` would send as they
    are, become `:name` binds with the values in a dict; the queries then find the rows
    the values select, not a syntax error."""
    import sqlalchemy.exc

    code = program(
        SA_ENGINE
        + """
    from sqlalchemy.orm import Session

    def users_above(minimum):
        with Session(engine) as session:
            return session.execute(
                "SELECT count(*) FROM users WHERE id > %s", (minimum,)
            ).scalar_one()

    def user_named(name, above):
        with engine.connect() as conn:
            return conn.execute(
                "SELECT count(*) FROM users WHERE name = %(name)s AND id > %(above)s",
                {"name": name, "above": above},
            ).scalar()
    """
    )
    assert code.findings() == ["PGL706"] * 2
    module = code.load()
    module.configure(server.dsn)
    with pytest.raises(sqlalchemy.exc.ArgumentError, match="explicitly declared as text"):
        module.users_above(1)
    with pytest.raises(sqlalchemy.exc.ObjectNotExecutableError):
        module.user_named("ada", 0)
    fixed = code.fixed("--unsafe-fixes")
    assert 'text("SELECT count(*) FROM users WHERE id > :p1"), {"p1": minimum}' in (
        code.fixed_source
    )
    fixed.configure(server.dsn)
    assert fixed.users_above(1) == 2
    names = module_names(server)
    assert fixed.user_named(names[0], 0) == 1
    assert fixed.user_named("nobody' OR '1'='1", 0) == 0


def module_names(server) -> list[str]:
    import psycopg

    with psycopg.connect(server.libpq) as conn:
        return [r[0] for r in conn.execute("SELECT name FROM users ORDER BY id")]


# --- PGL707: = NULL ----------------------------------------------------------------------


def test_equals_null_matches_nothing_and_is_null_matches_the_rows(server, program, table):
    name = table("id int, deleted_at timestamptz")
    import psycopg

    with psycopg.connect(server.libpq, autocommit=True) as conn:
        conn.execute(f"INSERT INTO {name} VALUES (1, NULL), (2, now()), (3, NULL)")
    code = program(
        f"""
        import psycopg

        def active(dsn):
            with psycopg.connect(dsn) as conn:
                return [r[0] for r in conn.execute(
                    "SELECT id FROM {name} WHERE deleted_at = NULL ORDER BY id"
                )]

        def gone(dsn):
            with psycopg.connect(dsn) as conn:
                return [r[0] for r in conn.execute(
                    "SELECT id FROM {name} WHERE deleted_at <> NULL ORDER BY id"
                )]

        def purge(dsn):
            with psycopg.connect(dsn) as conn:
                return conn.execute("DELETE FROM {name} WHERE deleted_at != NULL").rowcount
        """
    )
    assert code.findings() == ["PGL707"] * 3
    module = code.load()
    assert module.active(server.libpq) == [] and module.gone(server.libpq) == []
    assert module.purge(server.libpq) == 0  # deletes nothing, raises nothing
    fixed = code.fixed()  # safe fixes: the two SELECTs
    assert fixed.active(server.libpq) == [1, 3] and fixed.gone(server.libpq) == [2]
    assert fixed.purge(server.libpq) == 0  # the DELETE's fix is unsafe: left as it was
    unsafe = code.fixed("--unsafe-fixes")
    assert unsafe.purge(server.libpq) == 1
    assert rows(server, name) == 2


# --- PGL802: pool_pre_ping -----------------------------------------------------------------


def test_dead_pooled_connections_fail_requests_and_pre_ping_replaces_them(server, program):
    import os

    import psycopg
    import sqlalchemy.exc

    code = program(
        """
        import os

        from sqlalchemy import create_engine, text

        engine = create_engine(os.environ["PGLINT_TEST_URL"], pool_size=2)

        def backend():
            with engine.connect() as conn:
                return conn.execute(text("SELECT pg_backend_pid()")).scalar()
        """
    )
    assert code.findings() == []  # off by default
    assert code.findings("--extend-select", "PGL8") == ["PGL802"]

    def restart(pid):  # what a restart or a failover does to the pooled connection
        with psycopg.connect(server.libpq, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(%s)", (pid,))

    url = server.tagged("pre_ping").replace("postgresql://", "postgresql+psycopg2://")
    os.environ["PGLINT_TEST_URL"] = url
    try:
        module = code.load()
        restart(module.backend())
        with pytest.raises(sqlalchemy.exc.OperationalError):
            module.backend()  # the dead connection fails the request
        module.engine.dispose()
        fixed = code.fixed("--extend-select", "PGL8")
        assert "pool_pre_ping=True" in code.fixed_source
        first = fixed.backend()
        restart(first)
        assert fixed.backend() not in (None, first)  # replaced; the request succeeds
        fixed.engine.dispose()
    finally:
        del os.environ["PGLINT_TEST_URL"]


# --- PGL703: one connection for every request ---------------------------------------------


def test_a_shared_connection_aborts_later_requests_and_sits_idle_in_transaction(
    server, program, table
):
    import psycopg2

    name = table("id serial PRIMARY KEY, n int NOT NULL")
    code = program(
        f"""
        import psycopg2
        import psycopg2.pool
        from fastapi import FastAPI

        app = FastAPI()
        conn = None
        pool = None

        def configure(dsn, pool_dsn):
            global conn, pool
            conn = psycopg2.connect(dsn)
            pool = psycopg2.pool.SimpleConnectionPool(1, 2, pool_dsn)

        @app.post("/numbers")
        def add(n):
            with conn.cursor() as cur:
                cur.execute("INSERT INTO {name} (n) VALUES (%s)", (n,))
            conn.commit()

        @app.get("/numbers")
        def count():
            with conn.cursor() as cur:
                cur.execute("SELECT count(*) FROM {name}")
                return cur.fetchone()[0]

        @app.post("/pooled")
        def add_pooled(n):
            c = pool.getconn()
            try:
                with c, c.cursor() as cur:  # commits, or rolls back on an error
                    cur.execute("INSERT INTO {name} (n) VALUES (%s)", (n,))
            finally:
                pool.putconn(c)

        @app.get("/pooled")
        def count_pooled():
            c = pool.getconn()
            try:
                with c, c.cursor() as cur:
                    cur.execute("SELECT count(*) FROM {name}")
                    return cur.fetchone()[0]
            finally:
                pool.putconn(c)
        """
    )
    assert code.findings() == ["PGL703"]
    module = code.load()
    module.configure(server.tagged("shared_conn"), server.dsn)
    try:
        assert module.count() == 0
        # Between requests the connection holds an open transaction.
        assert _states(server, "shared_conn") == ["idle in transaction"]
        with pytest.raises(psycopg2.errors.NotNullViolation):
            module.add(None)  # one bad request...
        with pytest.raises(psycopg2.errors.InFailedSqlTransaction):
            module.count()  # ...and every later one fails
        with pytest.raises(psycopg2.errors.InFailedSqlTransaction):
            module.add(1)
        # A connection per request from a pool: the bad request fails alone.
        with pytest.raises(psycopg2.errors.NotNullViolation):
            module.add_pooled(None)
        module.add_pooled(1)
        assert module.count_pooled() == 1
    finally:
        module.conn.close()
        module.pool.closeall()


def _states(server, name: str) -> list[str]:
    import psycopg

    with psycopg.connect(server.libpq) as conn:
        return [
            row[0]
            for row in conn.execute(
                "SELECT state FROM pg_stat_activity WHERE application_name = %s", (name,)
            )
        ]


# --- PGL704: one connection for several tasks at once ---------------------------------------


def test_gathered_queries_on_one_connection_fail_and_a_connection_each_works(server, program):
    import asyncpg

    code = program(
        """
        import asyncio

        import asyncpg

        async def dashboard(conn: asyncpg.Connection):
            return await asyncio.gather(
                conn.fetchval("SELECT count(*) FROM users WHERE pg_sleep(0.1) IS NOT NULL"),
                conn.fetchval("SELECT count(*) FROM products"),
            )

        async def count(pool: asyncpg.Pool, query: str):
            async with pool.acquire() as conn:
                return await conn.fetchval(query)

        async def dashboard_pooled(pool: asyncpg.Pool):
            return await asyncio.gather(
                count(pool, "SELECT count(*) FROM users WHERE pg_sleep(0.1) IS NOT NULL"),
                count(pool, "SELECT count(*) FROM products"),
            )

        def run(dsn):
            async def main():
                conn = await asyncpg.connect(dsn)
                try:
                    return await dashboard(conn)
                finally:
                    await conn.close()
            return asyncio.run(main())

        def run_pooled(dsn):
            async def main():
                async with asyncpg.create_pool(dsn, min_size=2, max_size=2) as pool:
                    return await dashboard_pooled(pool)
            return asyncio.run(main())
        """
    )
    assert code.findings() == ["PGL704"]
    module = code.load()
    with pytest.raises(asyncpg.InterfaceError, match="another operation is in progress"):
        module.run(server.dsn)
    assert module.run_pooled(server.dsn) == [3, 3]


def test_gathered_queries_on_one_async_session_fail(server, program):
    code = program(
        """
        import asyncio

        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

        async def load(session: AsyncSession):
            return await asyncio.gather(
                session.scalar(text("SELECT count(*) FROM users WHERE pg_sleep(0.1) IS NOT NULL")),
                session.scalar(text("SELECT count(*) FROM products")),
            )

        def run(dsn):
            async def main():
                engine = create_async_engine(dsn.replace("postgresql://", "postgresql+asyncpg://"))
                try:
                    async with async_sessionmaker(engine)() as session:
                        return await load(session)
                finally:
                    await engine.dispose()
            return asyncio.run(main())
        """
    )
    assert code.findings() == ["PGL704"]
    import sqlalchemy.exc

    module = code.load()
    # IllegalStateChangeError (a kind of InvalidRequestError): the session is busy.
    with pytest.raises(sqlalchemy.exc.InvalidRequestError):
        module.run(server.dsn)


# --- PGL801 and PGL803 (off by default): the batched and streamed forms give the same rows --


def test_one_batch_writes_what_the_loop_wrote_in_fewer_round_trips(server, program, table):
    per_row, batched = table("name text, n int"), table("name text, n int")
    code = program(
        f"""
        import psycopg

        def per_row(conn, rows):
            with conn.cursor() as cur:
                for name, n in rows:
                    cur.execute("INSERT INTO {per_row} (name, n) VALUES (%s, %s)", (name, n))

        def batched(conn, rows):
            with conn.cursor() as cur:  # the suggestion
                cur.executemany("INSERT INTO {batched} (name, n) VALUES (%s, %s)", rows)

        """
    )
    assert code.findings() == []
    assert code.findings("--extend-select", "PGL8") == ["PGL801"]
    import psycopg

    module = code.load()
    rows = [(f"n{i}", i) for i in range(200)]
    with psycopg.connect(server.libpq, autocommit=True) as conn:
        module.per_row(conn, rows)  # autocommit: 200 statements, 200 commits
        module.batched(conn, rows)
    with psycopg.connect(server.libpq) as conn:
        first = conn.execute(f"SELECT name, n FROM {per_row} ORDER BY n").fetchall()
        second = conn.execute(f"SELECT name, n FROM {batched} ORDER BY n").fetchall()
    assert first == second == [(f"n{i}", i) for i in range(200)]


def test_a_server_side_cursor_streams_the_rows_fetchall_loads(server, program, table):
    name = table("id int")
    import psycopg

    with psycopg.connect(server.libpq, autocommit=True) as conn:
        conn.execute(f"INSERT INTO {name} SELECT generate_series(1, 5000)")
    code = program(
        f"""
        import psycopg

        def everything(conn):
            return conn.execute("SELECT id FROM {name}").fetchall()

        def streamed(conn):
            with conn.cursor(name="rows") as cur:  # the suggestion
                cur.itersize = 500
                cur.execute("SELECT id FROM {name}")
                for row in cur:
                    yield row
        """
    )
    assert code.findings("--extend-select", "PGL8") == ["PGL803"]
    module = code.load()
    with psycopg.connect(server.libpq) as conn:
        loaded = module.everything(conn)
        assert list(module.streamed(conn)) == loaded and len(loaded) == 5000
