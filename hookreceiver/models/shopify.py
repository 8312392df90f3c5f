"""Shopify order basics (``orders/create``, ``orders/paid``, ``orders/updated``, ...).

Money arrives as decimal strings (``"199.00"``) and validates into ``Decimal``, never float.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from hookreceiver.models.base import Envelope

__all__ = ["ShopifyCustomer", "ShopifyLineItem", "ShopifyOrder"]


class ShopifyCustomer(Envelope):
    id: int
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class ShopifyLineItem(Envelope):
    id: int
    title: str
    quantity: int
    price: Decimal
    sku: str | None = None
    product_id: int | None = None
    variant_id: int | None = None


class ShopifyOrder(Envelope):
    """The order resource as the ``orders/*`` topics send it."""

    id: int
    admin_graphql_api_id: str | None = None
    name: str | None = None
    order_number: int | None = None
    email: str | None = None
    created_at: datetime | None = None
    currency: str | None = None
    total_price: Decimal
    subtotal_price: Decimal | None = None
    total_tax: Decimal | None = None
    financial_status: str | None = None
    fulfillment_status: str | None = None
    line_items: list[ShopifyLineItem] = []
    customer: ShopifyCustomer | None = None
