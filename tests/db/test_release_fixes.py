"""The fixes of PGL403 and PGL404 against a real server: the fixed code gives the same
answers and commits the same rows as the code it replaces, and releases the connection
on the path that leaked it. Where a fix is unsafe, the case that makes it so is shown."""

from __future__ import annotations

import gc

import psycopg
import pytest

from .test_lifecycle_claims import settle


def audit_names(server, prefix: str) -> list[str]:
    with psycopg.connect(server.libpq) as conn:
        rows = conn.execute(
            "SELECT name FROM audit WHERE name LIKE %s ORDER BY id", (prefix + "%",)
        ).fetchall()
    return [row[0] for row in rows]


def failures(call, exception, times: int) -> list[BaseException]:
    """Call ``times`` times, keeping each exception (and so its frames), as an error
    reporter does."""
    kept = []
    for _ in range(times):
        with pytest.raises(exception) as info:
            call()
        kept.append(info.value)
    return kept


# --- PGL403 -------------------------------------------------------------------------------


def test_closing_fix_closes_the_connection_and_still_commits(server, program):
    code = program(
        """
        import psycopg2

        def record(dsn, name, fail=False):
            with psycopg2.connect(dsn) as conn:
                with conn.cursor() as cur:
                    cur.execute("INSERT INTO audit (name) VALUES (%s)", (name,))
                    if fail:
                        cur.execute("SELECT * FROM no_such_table")
                    cur.execute("SELECT count(*) FROM audit WHERE name = %s", (name,))
                    return cur.fetchone()[0]
        """
    )
    assert code.findings() == ["PGL403"]
    import psycopg2

    original = code.load()
    dsn = server.tagged("closing_before")
    assert original.record(dsn, "closing-before-1") == 1
    kept = failures(lambda: original.record(dsn, "closing-before-2", True), psycopg2.Error, 2)
    # The connection of the call that succeeded went with its frame; those of the calls
    # that failed are still open, held by the tracebacks.
    assert settle(server, "closing_before", 2) == 2
    kept.clear()
    gc.collect()
    settle(server, "closing_before", 0)

    fixed = code.fixed()
    assert "with closing(psycopg2.connect(dsn)) as conn, conn:" in code.fixed_source
    assert "from contextlib import closing" in code.fixed_source
    dsn = server.tagged("closing_after")
    assert fixed.record(dsn, "closing-after-1") == 1  # the same answer
    kept = failures(lambda: fixed.record(dsn, "closing-after-2", True), psycopg2.Error, 2)
    assert settle(server, "closing_after", 0) == 0  # closed, tracebacks or not
    # The block still commits on success and rolls back on error.
    assert audit_names(server, "closing-before") == ["closing-before-1"]
    assert audit_names(server, "closing-after") == ["closing-after-1"]
    assert len(kept) == 2


def test_close_moved_into_finally_closes_on_error(server, program):
    code = program(
        """
        import psycopg2

        def export(dsn, user_id):
            conn = psycopg2.connect(dsn)
            cur = conn.cursor()
            cur.execute("SELECT name FROM users WHERE id = %s", (user_id,))
            rows = cur.fetchall()
            conn.close()
            return rows
        """
    )
    assert "PGL403" in code.findings()
    import psycopg2

    original = code.load()
    kept = failures(
        lambda: original.export(server.tagged("finally_before"), "x"), psycopg2.Error, 3
    )
    assert settle(server, "finally_before", 3) == 3
    kept.clear()
    gc.collect()

    fixed = code.fixed()
    assert "finally:\n        conn.close()" in code.fixed_source
    assert fixed.export(server.tagged("finally_after"), 2) == [("Bob",)]
    kept = failures(lambda: fixed.export(server.tagged("finally_after"), "x"), psycopg2.Error, 3)
    assert settle(server, "finally_after", 0) == 0
    assert len(kept) == 3


def test_connection_never_closed_on_the_request_path_is_closed_by_the_fix(server, program):
    code = program(
        """
        import psycopg2
        from fastapi import FastAPI

        app = FastAPI()

        @app.get("/names")
        def names(dsn: str, after: str = "0"):
            conn = psycopg2.connect(dsn)
            cur = conn.cursor()
            cur.execute("SELECT name FROM users WHERE id > %s::int ORDER BY id", (after,))
            return [row[0] for row in cur.fetchall()]
        """
    )
    assert sorted(code.findings()) == ["PGL302", "PGL403"]
    import psycopg2

    original = code.load()
    kept = failures(lambda: original.names(server.tagged("dropped_before"), "x"), psycopg2.Error, 2)
    assert settle(server, "dropped_before", 2) == 2
    kept.clear()
    gc.collect()

    fixed = code.fixed()
    assert "finally:\n        conn.close()" in code.fixed_source
    assert fixed.names(server.tagged("dropped_after")) == ["Ada", "Bob", "Cy"]
    kept = failures(lambda: fixed.names(server.tagged("dropped_after"), "x"), psycopg2.Error, 2)
    assert settle(server, "dropped_after", 0) == 0


def test_closing_a_session_nobody_closed_is_unsafe(server, program):
    """Why adding `close()` to a SQLAlchemy session is an unsafe fix: an object it loaded
    can no longer load its other attributes."""
    code = program(
        """
        from fastapi import FastAPI
        from sqlalchemy import create_engine, select
        from sqlalchemy.orm import DeclarativeBase, Mapped, Session, deferred, mapped_column

        app = FastAPI()
        engine = None

        class Base(DeclarativeBase):
            pass

        class User(Base):
            __tablename__ = "users"
            id: Mapped[int] = mapped_column(primary_key=True)
            email: Mapped[str] = deferred(mapped_column())

        def configure(dsn):
            global engine
            engine = create_engine(dsn.replace("postgresql://", "postgresql+psycopg2://"))

        @app.get("/first")
        def first_user():
            session = Session(engine)
            return session.scalars(select(User).order_by(User.id)).first()
        """
    )
    assert "PGL403" in code.findings()
    from sqlalchemy.orm.exc import DetachedInstanceError

    original = code.load()
    original.configure(server.dsn)
    assert original.first_user().email == "ada@example.com"  # loaded on first use
    original.engine.dispose()
    # The session it dropped is collected now, not by a later collection that could
    # land inside `ast.parse` (whose Python 3.11 rejects code run in between).
    gc.collect()

    fixed = code.fixed("--unsafe-fixes")
    assert "finally:\n        session.close()" in code.fixed_source
    fixed.configure(server.dsn)
    with pytest.raises(DetachedInstanceError):
        fixed.first_user().email  # noqa: B018
    fixed.engine.dispose()
    gc.collect()


# --- PGL404 -------------------------------------------------------------------------------


CHECKOUT = """
    import psycopg2.pool

    pool = None

    def configure(dsn):
        global pool
        pool = psycopg2.pool.ThreadedConnectionPool(1, 2, dsn)

    def price(sku):
        conn = pool.getconn()
        cur = conn.cursor()
        cur.execute("SELECT price FROM products WHERE sku = %s", (sku,))
        price = cur.fetchone()[0]
        RELEASE
        return price
"""


@pytest.mark.parametrize("release", ["pool.putconn(conn)", "pass"], ids=["late", "never"])
def test_checkout_given_back_in_finally_keeps_the_pool_serving(server, program, release):
    import psycopg2.pool

    code = program(CHECKOUT.replace("RELEASE", release))
    assert code.findings() == ["PGL404"]
    original = code.load()
    original.configure(server.dsn)
    try:
        if release == "pass":
            assert original.price("NEW-1") == 7
            assert original.price("NEW-2") == 9
        else:
            assert original.price("NEW-1") == 7
            failures(lambda: original.price("NO-SUCH-SKU"), TypeError, 2)
        with pytest.raises(psycopg2.pool.PoolError, match="exhausted"):
            original.price("NEW-1")
    finally:
        original.pool.closeall()

    fixed = code.fixed()
    assert "finally:\n        pool.putconn(conn)" in code.fixed_source
    fixed.configure(server.dsn)
    try:
        answers = []
        for sku in ["NEW-1", "NO-SUCH-SKU", "NEW-2", "NO-SUCH-SKU", "OLD-1"] * 2:
            try:
                answers.append(fixed.price(sku))
            except TypeError:
                answers.append(None)
        assert answers == [7, None, 9, None, 5] * 2  # never exhausted
    finally:
        fixed.pool.closeall()


def test_asyncpg_checkout_becomes_async_with(server, program):
    code = program(
        """
        import asyncio

        import asyncpg

        async def _lookup(pool: asyncpg.Pool, user_id):
            conn = await pool.acquire()
            row = await conn.fetchrow("SELECT name FROM users WHERE id = $1::int", user_id)
            await pool.release(conn)
            return row["name"]

        def lookups(dsn, ids):
            async def run():
                pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1)
                answers = []
                try:
                    for user_id in ids:
                        try:
                            answers.append(
                                await asyncio.wait_for(_lookup(pool, user_id), timeout=2)
                            )
                        except (asyncpg.DataError, TypeError):
                            answers.append("error")
                        except (TimeoutError, asyncio.TimeoutError):
                            answers.append("timeout")
                finally:
                    pool.terminate()  # close() would wait for a leaked connection
                return answers
            return asyncio.run(run())
        """
    )
    assert code.findings() == ["PGL404"]
    # "x" is no int: the query fails before the release, and the pool's only
    # connection is gone.
    assert code.load().lookups(server.dsn, [1, "x", 2]) == ["Ada", "error", "timeout"]
    fixed = code.fixed()
    assert "async with pool.acquire() as conn:" in code.fixed_source
    assert fixed.lookups(server.dsn, [1, "x", 2, 3]) == ["Ada", "error", "Bob", "Cy"]
