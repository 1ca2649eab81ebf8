"""The PGL501/PGL502 fix against a real server, through FastAPI's own ASGI application:
an `async def` endpoint that awaits nothing becomes a plain `def`, which FastAPI runs in
its thread pool. The answers stay the same; requests stop waiting for each other."""

from __future__ import annotations

import asyncio
import json
import time

SLOW_ENDPOINT = """
    from fastapi import Depends, FastAPI
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session, sessionmaker

    app = FastAPI()
    SessionLocal = None

    def configure(dsn):
        global SessionLocal
        engine = create_engine(
            dsn.replace("postgresql://", "postgresql+psycopg2://"), pool_size=4
        )
        SessionLocal = sessionmaker(bind=engine)

    def get_db():
        db = SessionLocal()
        try:
            yield db
        finally:
            db.close()

    @app.get("/report/{user_id}")
    async def report(user_id: int, db: Session = Depends(get_db)):
        row = db.execute(
            text("SELECT name, pg_sleep(0.5)::text FROM users WHERE id = :id"), {"id": user_id}
        ).one()
        return {"name": row[0]}
"""


async def _get(app, path: str) -> tuple[int, object]:
    """One GET request through the ASGI interface a server such as uvicorn uses."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": [(b"host", b"test")], "client": ("127.0.0.1", 1),
        "server": ("test", 80),
    }  # fmt: skip
    sent: list[dict] = []
    requested = False

    async def receive():
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.sleep(3600)  # the client stays connected

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(body)


def serve(module, dsn: str, paths: list[str]) -> tuple[list, float]:
    """The answers to requests made all at once, and how long they took together."""
    module.configure(dsn)

    async def run():
        start = time.monotonic()
        answers = await asyncio.gather(*(_get(module.app, path) for path in paths))
        return list(answers), time.monotonic() - start

    return asyncio.run(run())


def test_endpoint_that_awaits_nothing_becomes_def_and_stops_blocking(server, program):
    code = program(SLOW_ENDPOINT)
    assert code.findings() == ["PGL502"]
    paths = ["/report/1", "/report/2", "/report/3"]
    expected = [(200, {"name": "Ada"}), (200, {"name": "Bob"}), (200, {"name": "Cy"})]

    answers, took = serve(code.load(), server.dsn, paths)
    assert answers == expected
    assert took >= 1.5  # one after the other, on the event loop

    fixed = code.fixed()
    assert "\ndef report(user_id: int" in code.fixed_source
    answers, took = serve(fixed, server.dsn, paths)
    assert answers == expected  # the same answers ...
    assert took < 1.2  # ... at the same time, each in a thread of its own
    # Which is also why the fix is unsafe where the function shares a module-level
    # object that is not safe to use from two threads at once (a session, a cursor, a
    # psycopg2 SimpleConnectionPool): every request now runs in a thread of its own.
