"""Inventory API: products (psycopg2), orders (asyncpg) and reports (SQLAlchemy)."""

from contextlib import asynccontextmanager

import asyncpg
from fastapi import Depends, FastAPI, HTTPException, Query
from psycopg2.extensions import connection
from sqlalchemy.orm import Session

from . import crud, reports
from .database import create_pool, get_async_conn, get_db, get_pg
from .models import Order, Product, ProductCreate, Restock


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.pool = await create_pool()
    yield
    await app.state.pool.close()


app = FastAPI(title="Inventory API", lifespan=lifespan)


# --- products -----------------------------------------------------------------------------


@app.get("/products", response_model=list[Product])
def list_products(
    category: str,
    limit: int = Query(50, le=200),
    offset: int = 0,
    conn: connection = Depends(get_pg),
):
    return crud.list_products(conn, category, limit, offset)


@app.get("/products/search", response_model=list[Product])
def search_products(q: str = Query(min_length=2), conn: connection = Depends(get_pg)):
    return crud.search_products(conn, q)


@app.get("/products/{product_id}", response_model=Product)
def read_product(product_id: int, conn: connection = Depends(get_pg)):
    product = crud.get_product(conn, product_id)
    if product is None:
        raise HTTPException(status_code=404, detail="Product not found")
    return product


@app.post("/products", response_model=Product, status_code=201)
def create_product(product: ProductCreate, conn: connection = Depends(get_pg)):
    return crud.create_product(conn, product)


@app.post("/products/{product_id}/restock", status_code=204)
def restock_product(product_id: int, body: Restock, conn: connection = Depends(get_pg)):
    crud.restock(conn, product_id, body.quantity, body.note)


# --- orders -------------------------------------------------------------------------------


@app.get("/orders/{order_id}", response_model=Order)
async def read_order(order_id: int, conn: asyncpg.Connection = Depends(get_async_conn)):
    row = await conn.fetchrow(
        "SELECT id, customer_id, status, total_cents, created_at FROM orders WHERE id = %s",
        order_id,
    )
    if row is None:
        raise HTTPException(status_code=404, detail="Order not found")
    return dict(row)


@app.get("/customers/{customer_id}/orders", response_model=list[Order])
async def customer_orders(
    customer_id: int,
    status: str | None = None,
    conn: asyncpg.Connection = Depends(get_async_conn),
):
    if status is None:
        rows = await conn.fetch(
            "SELECT id, customer_id, status, total_cents, created_at FROM orders "
            "WHERE customer_id = $1 ORDER BY created_at DESC",
            customer_id,
        )
    else:
        rows = await conn.fetch(
            "SELECT id, customer_id, status, total_cents, created_at FROM orders "
            "WHERE customer_id = $1 AND status = $2 ORDER BY created_at DESC",
            customer_id,
            status,
        )
    return [dict(r) for r in rows]


@app.post("/orders/cancel", status_code=204)
async def cancel_orders(order_ids: list[int], conn: asyncpg.Connection = Depends(get_async_conn)):
    async with conn.transaction():
        await conn.execute(
            "UPDATE orders SET status = 'cancelled' WHERE id = ANY($1) AND status = 'pending'",
            order_ids,
        )


@app.patch("/orders/{order_id}/status", response_model=Order)
async def update_order_status(
    order_id: int, status: str, conn: asyncpg.Connection = Depends(get_async_conn)
):
    row = await conn.fetchrow(
        "UPDATE orders SET status = $1, updated_at = now() WHERE id = $2 "
        "RETURNING id, customer_id, status, total_cents, created_at",
        (status, order_id),
    )
    if row is None:
        raise HTTPException(status_code=404, detail="Order not found")
    return dict(row)


# --- reports ------------------------------------------------------------------------------


@app.get("/reports/sales-by-day")
def sales_by_day(days: int = Query(30, ge=1, le=365), db: Session = Depends(get_db)):
    return reports.sales_by_day(db, days)


@app.get("/reports/top-products")
def top_products(sort_by: str = "revenue_cents", limit: int = 10, db: Session = Depends(get_db)):
    return reports.top_products(db, sort_by, limit)
