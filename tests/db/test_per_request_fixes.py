"""The fixes of PGL301 and PGL302 against a real server: an engine made once at module
level, a connection borrowed from the module's pool. The answers stay the same and the
requests share connections; why each fix is unsafe is shown too."""

from __future__ import annotations

import pytest


@pytest.fixture
def dsn_in_environment(server, monkeypatch):
    """The modules read their URL at import, as an app reads DATABASE_URL."""
    monkeypatch.setenv("PGLINT_TEST_DSN", server.dsn)
    return server.dsn


def test_engine_made_once_serves_every_request_from_one_pool(dsn_in_environment, program):
    code = program(
        """
        import os

        from fastapi import FastAPI
        from sqlalchemy import create_engine, text

        DATABASE_URL = os.environ["PGLINT_TEST_DSN"].replace(
            "postgresql://", "postgresql+psycopg2://"
        )
        app = FastAPI()

        @app.get("/backend")
        def backend():
            engine = create_engine(DATABASE_URL, pool_size=1)
            with engine.connect() as conn:
                return conn.execute(text("SELECT pg_backend_pid()")).scalar()
        """
    )
    assert code.findings() == ["PGL301"]
    original = code.load()
    assert len({original.backend() for _ in range(5)}) == 5  # a new connection each time
    fixed = code.fixed("--unsafe-fixes")
    assert "\nengine = create_engine(DATABASE_URL, pool_size=1)\n" in code.fixed_source
    assert len({fixed.backend() for _ in range(5)}) == 1  # one engine, one connection
    fixed.engine.dispose()


def test_engine_made_at_import_needs_its_settings_then(server, program, monkeypatch):
    """Why the fix is unsafe: what the call reads must be there when the module is
    imported, not only when a request comes."""
    code = program(
        """
        import os

        from fastapi import FastAPI
        from sqlalchemy import create_engine, text

        settings = {}
        app = FastAPI()

        @app.get("/one")
        def one():
            engine = create_engine(settings["url"])
            with engine.connect() as conn:
                return conn.execute(text("SELECT 1")).scalar()
        """
    )
    assert code.findings() == ["PGL301"]
    original = code.load()
    original.settings["url"] = server.dsn.replace("postgresql://", "postgresql+psycopg2://")
    assert original.one() == 1  # filled in at startup, read per request
    with pytest.raises(KeyError):
        code.fixed("--unsafe-fixes")  # read at import, before anything filled it in


BORROW = """
    import os

    import psycopg2
    from fastapi import FastAPI
    from psycopg2.pool import ThreadedConnectionPool

    DATABASE_URL = os.environ["PGLINT_TEST_DSN"]
    app = FastAPI()
    pool = ThreadedConnectionPool(1, 1, DATABASE_URL)

    @app.get("/zone")
    def zone(new_zone: str = ""):
        with psycopg2.connect(DATABASE_URL) as conn:
            with conn.cursor() as cur:
                if new_zone:
                    cur.execute("SELECT set_config('TimeZone', %s, false)", (new_zone,))
                cur.execute("SELECT pg_backend_pid(), current_setting('TimeZone')")
                return cur.fetchone()
"""


def test_connection_borrowed_from_the_pool_is_reused(dsn_in_environment, program):
    code = program(BORROW)
    assert sorted(code.findings()) == ["PGL302", "PGL403"]
    original = code.load()
    pids = {original.zone()[0] for _ in range(5)}
    assert len(pids) == 5  # five requests, five connections
    original.pool.closeall()

    fixed = code.fixed("--unsafe-fixes")
    assert "conn = pool.getconn()" in code.fixed_source
    assert "pool.putconn(conn)" in code.fixed_source and "closing" not in code.fixed_source
    answers = [fixed.zone() for _ in range(5)]
    assert len({pid for pid, _ in answers}) == 1  # one connection, borrowed each time
    assert {zone for _, zone in answers} == {original.zone()[1]}  # the same answers
    fixed.pool.closeall()


def test_a_borrowed_connection_keeps_what_a_request_set(dsn_in_environment, program):
    """Why the fix is unsafe: a setting one request makes on its connection outlives the
    request when the connection goes back to the pool."""
    code = program(BORROW)
    original = code.load()
    default = original.zone()[1]
    assert original.zone("Asia/Tokyo")[1] == "Asia/Tokyo"
    assert original.zone()[1] == default  # a fresh connection: the server's default
    original.pool.closeall()

    fixed = code.fixed("--unsafe-fixes")
    assert fixed.zone("Asia/Tokyo")[1] == "Asia/Tokyo"
    assert fixed.zone()[1] == "Asia/Tokyo"  # the next request inherits it
    fixed.pool.closeall()
