"""Async claims (PGL5xx) against a real server: a coroutine that is never awaited never
reaches it, and a sync driver inside `async def` stops the event loop."""

from __future__ import annotations

import psycopg
import pytest


def audit_rows(server, name: str) -> int:
    with psycopg.connect(server.libpq) as conn:
        return conn.execute("SELECT count(*) FROM audit WHERE name = %s", (name,)).fetchone()[0]


def test_unawaited_query_never_reaches_the_server_and_the_fix_awaits_it(server, program):
    code = program(
        """
        import asyncio

        import asyncpg

        async def _record(dsn, name):
            conn = await asyncpg.connect(dsn)
            try:
                conn.execute("INSERT INTO audit (name) VALUES ($1)", name)
            finally:
                await conn.close()

        def record(dsn, name):
            asyncio.run(_record(dsn, name))
        """
    )
    assert "PGL503" in code.findings()
    with pytest.warns(RuntimeWarning, match="never awaited"):
        code.load().record(server.dsn, "unawaited")
    assert audit_rows(server, "unawaited") == 0
    fixed = code.fixed()
    assert "await conn.execute(" in code.fixed_source
    fixed.record(server.dsn, "awaited")
    assert audit_rows(server, "awaited") == 1


def test_sync_driver_in_async_def_stops_the_event_loop(server, program):
    code = program(
        """
        import asyncio
        import time

        import psycopg2

        async def slow_report(dsn):
            conn = psycopg2.connect(dsn)
            try:
                cur = conn.cursor()
                cur.execute("SELECT pg_sleep(0.4)")
            finally:
                conn.close()

        def longest_pause(dsn):
            # Another task ticks every 20 ms; while the query runs, it cannot.
            ticks = []

            async def ticker():
                for _ in range(40):
                    ticks.append(time.monotonic())
                    await asyncio.sleep(0.02)

            async def main():
                await asyncio.gather(ticker(), slow_report(dsn))

            asyncio.run(main())
            return max(b - a for a, b in zip(ticks, ticks[1:]))
        """
    )
    assert "PGL501" in code.findings()
    assert code.load().longest_pause(server.dsn) >= 0.35
