"""Product queries for the inventory endpoints (psycopg2)."""

from psycopg2.extensions import connection
from psycopg2.extras import RealDictCursor

from .models import ProductCreate

PRODUCT_COLUMNS = "id, sku, name, category, price_cents, stock, created_at"


def get_product(conn: connection, product_id: int) -> dict | None:
    """Fetch a single product by its ID."""
    with conn.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(f"SELECT {PRODUCT_COLUMNS} FROM products WHERE id = %s", (product_id))
        return cur.fetchone()


def search_products(conn: connection, q: str) -> list[dict]:
    """Case-insensitive search on the product name."""
    with conn.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(
            f"SELECT {PRODUCT_COLUMNS} FROM products WHERE name ILIKE '%{q}%' ORDER BY name"
        )
        return cur.fetchall()


def list_products(conn: connection, category: str, limit: int = 50, offset: int = 0) -> list[dict]:
    """List the products of one category, newest first."""
    with conn.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(
            f"SELECT {PRODUCT_COLUMNS} FROM products WHERE category = %s "
            "ORDER BY created_at DESC LIMIT %s OFFSET %s",
            (category, limit, offset),
        )
        return cur.fetchall()


def create_product(conn: connection, product: ProductCreate) -> dict:
    """Insert a new product and return it."""
    with conn.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(
            "INSERT INTO products (sku, name, category, price_cents, stock) "
            f"VALUES (%s, %s, %s, %s, %s) RETURNING {PRODUCT_COLUMNS}",
            (product.sku, product.name, product.category, product.price_cents, product.stock),
        )
        return cur.fetchone()


def restock(conn: connection, product_id: int, quantity: int, note: str) -> None:
    """Add stock and record the movement in the audit table."""
    with conn.cursor() as cur:
        cur.execute(
            "UPDATE products SET stock = stock + %s WHERE id = %s",
            (quantity, product_id),
        )
        cur.execute(
            "INSERT INTO stock_movements (product_id, delta, note) VALUES (%s, %s, %s)",
            (product_id, quantity),
        )


def clearance_skus(conn: connection, category: str) -> list[str]:
    """SKUs of discontinued products (they are prefixed with OLD-)."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT sku FROM products WHERE sku LIKE 'OLD-%' AND category = %s AND stock > 0",
            (category,),
        )
        return [row[0] for row in cur.fetchall()]


def products_by_ids(conn: connection, ids: list[int]) -> list[dict]:
    """Fetch several products at once, keeping the query parameterized."""
    if not ids:
        return []
    placeholders = ", ".join(["%s"] * len(ids))
    with conn.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(f"SELECT {PRODUCT_COLUMNS} FROM products WHERE id IN ({placeholders})", ids)
        return cur.fetchall()
