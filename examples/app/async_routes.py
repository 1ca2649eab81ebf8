"""Dashboard endpoints, made `async def` "to be fast" — over the same sync pool and
session the rest of the app uses."""

import asyncio
import csv
import io
import os

import asyncpg
from fastapi import APIRouter, Depends
from sqlalchemy import text
from sqlalchemy.orm import Session

from .database import get_async_conn, get_db, pg_pool

router = APIRouter(prefix="/dashboard")

# A fallback that ships the warehouse password with the code.
ANALYTICS_URL = os.getenv("ANALYTICS_URL", "postgresql://analytics:Xk29-pq7v@warehouse:5432/events")


@router.get("/stock")
async def stock_summary(db: Session = Depends(get_db)):
    rows = db.execute(text("SELECT category, sum(quantity) FROM products GROUP BY category"))
    return dict(rows.all())


@router.get("/low-stock")
async def low_stock(threshold: int = 5):
    conn = pg_pool.getconn()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT sku, quantity FROM products WHERE quantity < %s", (threshold,))
            return cur.fetchall()
    finally:
        pg_pool.putconn(conn)


@router.post("/orders/{order_id}/viewed")
async def mark_viewed(order_id: int, conn: asyncpg.Connection = Depends(get_async_conn)):
    conn.execute("UPDATE orders SET viewed_at = now() WHERE id = $1", order_id)
    return {"ok": True}


# --- the same work done right ----------------------------------------------------------------


@router.get("/revenue")
def revenue(db: Session = Depends(get_db)):
    # A plain `def` endpoint: FastAPI runs it in its thread pool.
    return db.execute(text("SELECT sum(total) FROM orders")).scalar_one()


def _products_csv() -> str:
    conn = pg_pool.getconn()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT sku, name, quantity FROM products ORDER BY sku")
            out = io.StringIO()
            csv.writer(out).writerows(cur.fetchall())
            return out.getvalue()
    finally:
        pg_pool.putconn(conn)


@router.get("/export")
async def export_products():
    return await asyncio.to_thread(_products_csv)


@router.get("/orders/recent")
async def recent_orders(conn: asyncpg.Connection = Depends(get_async_conn)):
    return await conn.fetch("SELECT id, total FROM orders ORDER BY created_at DESC LIMIT 20")
