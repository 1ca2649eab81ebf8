"""The database module of the small FastAPI app the server's and MCP tests open: a sync
`get_db` (a router's async endpoint that takes it is PGL502) and its async twin."""

from __future__ import annotations

import textwrap

SYNC_DATABASE = textwrap.dedent(
    """\
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    engine = create_engine("postgresql://localhost/shop")
    SessionLocal = sessionmaker(bind=engine)


    def get_db():
        db = SessionLocal()
        try:
            yield db
        finally:
            db.close()
    """
)
ASYNC_DATABASE = textwrap.dedent(
    """\
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    engine = create_async_engine("postgresql+asyncpg://localhost/shop")
    SessionLocal = async_sessionmaker(bind=engine)


    async def get_db():
        async with SessionLocal() as db:
            yield db
    """
)
