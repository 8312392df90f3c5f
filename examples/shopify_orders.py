"""A Shopify orders receiver: typed order payloads kept in an order table.

Serve it:   hookreceiver serve examples.shopify_orders:hooks
Send to it: hookreceiver send http://127.0.0.1:8000/shopify --app examples.shopify_orders:hooks \
                --topic orders/create --data '{"id": 1001, "total_price": "25.00", "line_items": []}'

Point the shop's webhook subscriptions (orders/create, orders/updated, orders/cancelled) at
``/shopify`` and set SHOPIFY_WEBHOOK_SECRET to the app's client secret. Shopify may deliver an
event twice: dedupe drops the repeats (by ``X-Shopify-Webhook-Id``), and each handler sets a state
rather than adding to one, so a replay changes nothing. ``ORDERS`` stands in for your database.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from decimal import Decimal

from hookreceiver import Delivery, HookReceiver
from hookreceiver.models import ShopifyOrder
from hookreceiver.providers import Shopify

log = logging.getLogger("shopify_orders")

DEV_SECRET = "shopify-example-dev-secret-5d2e8b41"
secret = os.environ.get("SHOPIFY_WEBHOOK_SECRET", "")
if not secret:
    secret = DEV_SECRET
    log.warning("SHOPIFY_WEBHOOK_SECRET is not set: using the development secret; never in production")


@dataclass
class OrderRow:
    total: Decimal
    items: int
    status: str


ORDERS: dict[int, OrderRow] = {}

hooks = HookReceiver()
shopify = hooks.endpoint("/shopify", Shopify(secret=secret))


@shopify.on("orders/create", "orders/updated", model=ShopifyOrder)
def upsert_order(delivery: Delivery[ShopifyOrder]) -> None:
    order = delivery.payload
    previous = ORDERS.get(order.id)
    status = previous.status if previous is not None else "open"
    ORDERS[order.id] = OrderRow(
        total=order.total_price, items=sum(item.quantity for item in order.line_items), status=status
    )


@shopify.on("orders/cancelled", model=ShopifyOrder)
def cancel_order(delivery: Delivery[ShopifyOrder]) -> None:
    order = delivery.payload
    row = ORDERS.setdefault(order.id, OrderRow(total=order.total_price, items=0, status="open"))
    row.status = "cancelled"
