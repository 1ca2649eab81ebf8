"""Checkout, archiving and maintenance endpoints, added in a hurry before a sale."""

import asyncio

import asyncpg
import psycopg2
from fastapi import APIRouter, Depends, Request
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from .database import DATABASE_URL, SessionLocal

router = APIRouter(prefix="/checkout")

# One connection for the audit trail, opened when the module is imported.
audit_conn = psycopg2.connect(DATABASE_URL)
archive_engine = create_engine(
    DATABASE_URL.replace("postgresql://", "postgresql+psycopg2://", 1), pool_pre_ping=True
)


def get_session():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


async def get_conn(request: Request):
    async with request.app.state.pool.acquire() as conn:
        yield conn


@router.post("/carts/{cart_id}/abandon")
def abandon_cart(cart_id: int, db: Session = Depends(get_session)):
    """Mark a cart as abandoned so the reminder job picks it up."""
    db.execute(text("UPDATE carts SET abandoned = true WHERE id = :id"), {"id": cart_id})
    return {"ok": True}


@router.get("/carts/abandoned")
def abandoned_count(db: Session = Depends(get_session)):
    return db.execute("SELECT count(*) FROM carts WHERE abandoned").scalar()


@router.post("/orders/{order_id}/archive")
def archive_order(order_id: int):
    """Copy a delivered order to the archive."""
    with archive_engine.connect() as conn:
        conn.execute(
            text("INSERT INTO archived_orders SELECT * FROM orders WHERE id = :id"),
            {"id": order_id},
        )
    with audit_conn.cursor() as cur:
        cur.execute("INSERT INTO audit (note) VALUES (%s)", (f"archived {order_id}",))
    audit_conn.commit()
    return {"archived": order_id}


@router.post("/orders")
async def place_order(customer: str, sku: str, conn: asyncpg.Connection = Depends(get_conn)):
    """Create an order and its first item."""
    order_id = await conn.fetchval(
        "INSERT INTO orders (customer) VALUES ($1) RETURNING id", customer
    )
    await conn.execute(
        "INSERT INTO order_items (order_id, sku) VALUES ($1, $2)", order_id, sku
    )
    return {"id": order_id}


@router.get("/dashboard")
async def dashboard(conn: asyncpg.Connection = Depends(get_conn)):
    """Counters for the sale's dashboard, fetched in parallel to be fast."""
    pending, shipped = await asyncio.gather(
        conn.fetchval("SELECT count(*) FROM orders WHERE shipped_at = NULL"),
        conn.fetchval("SELECT count(*) FROM orders WHERE shipped_at IS NOT NULL"),
    )
    return {"pending": pending, "shipped": shipped}


@router.post("/maintenance/vacuum")
def vacuum_orders():
    """Reclaim space after the sale's bulk deletes."""
    with audit_conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE orders")
    return {"ok": True}
