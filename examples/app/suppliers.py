"""Supplier endpoints, added later in a hurry: they open their own engines, connections
and sessions instead of using the pools in database.py."""

import os

import asyncpg
import psycopg2
from fastapi import APIRouter, Depends, HTTPException
from psycopg2.pool import ThreadedConnectionPool
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

DATABASE_URL = os.environ["DATABASE_URL"]

router = APIRouter(prefix="/suppliers", tags=["suppliers"])

supplier_pool = ThreadedConnectionPool(minconn=1, maxconn=5, dsn=DATABASE_URL)
SupplierSession = sessionmaker(bind=create_engine(DATABASE_URL, pool_pre_ping=True))

# Meant for the audit log, but never awaited: the first query fails.
audit_pool = asyncpg.create_pool(DATABASE_URL, min_size=1, max_size=4)


def get_supplier_db() -> Session:
    db = SupplierSession()
    return db


def get_supplier_conn():
    conn = supplier_pool.getconn()
    yield conn
    supplier_pool.putconn(conn)


def supplier_exists(supplier_id: int) -> bool:
    with psycopg2.connect(DATABASE_URL) as conn:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM suppliers WHERE id = %s", (supplier_id,))
            return cur.fetchone() is not None


@router.get("/{supplier_id}")
def read_supplier(supplier_id: int, db: Session = Depends(get_supplier_db)):
    if not supplier_exists(supplier_id):
        raise HTTPException(status_code=404, detail="Supplier not found")
    row = db.execute(
        text("SELECT id, name, email FROM suppliers WHERE id = :id"), {"id": supplier_id}
    ).one()
    return dict(row._mapping)


@router.get("/{supplier_id}/deliveries")
def deliveries(supplier_id: int, conn=Depends(get_supplier_conn)):
    with conn.cursor() as cur:
        cur.execute(
            "SELECT id, product_id, quantity, delivered_at FROM deliveries "
            "WHERE supplier_id = %s ORDER BY delivered_at DESC",
            (supplier_id,),
        )
        return cur.fetchall()


@router.get("/{supplier_id}/price-history")
def price_history(supplier_id: int):
    engine = create_engine(DATABASE_URL)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT product_id, price_cents, valid_from FROM supplier_prices "
                 "WHERE supplier_id = :id ORDER BY valid_from"),
            {"id": supplier_id},
        )
        return [dict(r._mapping) for r in rows]


@router.post("/{supplier_id}/deactivate", status_code=204)
def deactivate(supplier_id: int):
    conn = supplier_pool.getconn()
    with conn.cursor() as cur:
        cur.execute("UPDATE suppliers SET active = false WHERE id = %s", (supplier_id,))
    conn.commit()
    supplier_pool.putconn(conn)
