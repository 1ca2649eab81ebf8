"""Sales reports. Raw SQL through SQLAlchemy because the ORM version was too slow."""

from sqlalchemy import text
from sqlalchemy.orm import Session


def sales_by_day(db: Session, days: int = 30) -> list[dict]:
    """Revenue and order count per day for the last `days` days."""
    result = db.execute(
        text(
            """
            SELECT date_trunc('day', o.created_at)::date AS day,
                   count(*) AS orders,
                   sum(o.total_cents) AS revenue_cents
            FROM orders o
            WHERE o.created_at >= now() - INTERVAL ':days days'
              AND o.status = 'paid'
            GROUP BY 1
            ORDER BY 1
            """
        ),
        {"days": days},
    )
    return [dict(row._mapping) for row in result]


def top_products(db: Session, sort_by: str = "revenue_cents", limit: int = 10) -> list[dict]:
    """Best-selling products, sorted by units or revenue."""
    result = db.execute(
        text(
            f"""
            SELECT p.id, p.name,
                   sum(oi.quantity) AS units,
                   sum(oi.quantity * oi.price_cents) AS revenue_cents
            FROM order_items oi
            JOIN products p ON p.id = oi.product_id
            GROUP BY p.id, p.name
            ORDER BY {sort_by} DESC
            LIMIT :limit
            """
        ),
        {"limit": limit},
    )
    return [dict(row._mapping) for row in result]


def customer_lifetime_value(db: Session, customer_id: int) -> int:
    """Total paid by one customer, in cents."""
    value = db.execute(
        text(
            "SELECT coalesce(sum(total_cents), 0) FROM orders "
            "WHERE customer_id = :customer_id AND status = 'paid'"
        ),
        {"customer_id": customer_id},
    ).scalar_one()
    return int(value)
