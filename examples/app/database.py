"""Database setup: a psycopg2 pool for the CRUD endpoints, an asyncpg pool for the
async endpoints and a SQLAlchemy engine for reporting."""

import os
from collections.abc import AsyncIterator, Iterator

import asyncpg
from fastapi import Request
from psycopg2.extensions import connection
from psycopg2.pool import ThreadedConnectionPool
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

DATABASE_URL = os.environ["DATABASE_URL"]

pg_pool = ThreadedConnectionPool(minconn=1, maxconn=10, dsn=DATABASE_URL)

engine = create_engine(
    DATABASE_URL.replace("postgresql://", "postgresql+psycopg2://", 1),
    pool_size=5,
    max_overflow=10,
    pool_pre_ping=True,
)
SessionLocal = sessionmaker(bind=engine, autocommit=False, autoflush=False)


def get_db() -> Iterator[Session]:
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


def get_pg() -> Iterator[connection]:
    conn = pg_pool.getconn()
    try:
        yield conn
        conn.commit()
    except Exception:
        conn.rollback()
        raise
    finally:
        pg_pool.putconn(conn)


async def create_pool() -> asyncpg.Pool:
    return await asyncpg.create_pool(DATABASE_URL, min_size=2, max_size=10, command_timeout=30)


async def get_async_conn(request: Request) -> AsyncIterator[asyncpg.Connection]:
    async with request.app.state.pool.acquire() as conn:
        yield conn
