from datetime import datetime

from pydantic import BaseModel, Field


class ProductCreate(BaseModel):
    sku: str = Field(min_length=3, max_length=32)
    name: str
    category: str
    price_cents: int = Field(ge=0)
    stock: int = Field(default=0, ge=0)


class Product(ProductCreate):
    id: int
    created_at: datetime


class Restock(BaseModel):
    quantity: int = Field(gt=0)
    note: str = ""


class Order(BaseModel):
    id: int
    customer_id: int
    status: str
    total_cents: int
    created_at: datetime
