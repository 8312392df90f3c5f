"""examples/shopify_orders.py: signed Shopify order webhooks keep the order table, once each."""

from __future__ import annotations

import runpy
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from hookreceiver import HookReceiver
from hookreceiver.providers import Shopify

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "shopify_orders.py"
SECRET = "shopify-test-secret-9a41f0c3d2"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def order(quantity: int) -> dict[str, Any]:
    return {
        "id": 1001,
        "total_price": "25.00",
        "line_items": [{"id": 1, "title": "Mug", "quantity": quantity, "price": "12.50"}],
    }


@pytest.mark.anyio
async def test_orders_are_upserted_cancelled_and_deduplicated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOOKRECEIVER_REDIS_URL", raising=False)
    monkeypatch.setenv("HOOKRECEIVER_RUN_WORKER", "false")  # the test runs the worker by hand
    monkeypatch.setenv("SHOPIFY_WEBHOOK_SECRET", SECRET)
    example = runpy.run_path(str(EXAMPLE))
    hooks, orders = example["hooks"], example["ORDERS"]
    assert isinstance(hooks, HookReceiver)
    signer = Shopify(secret=SECRET)
    now = time.time()
    url = "http://test/shopify"
    created = signer.sign(order(2), topic="orders/create", delivery_id="wh-1", timestamp=now, url=url)
    cancelled = signer.sign(order(2), topic="orders/cancelled", delivery_id="wh-2", timestamp=now, url=url)
    forged = Shopify(secret="someone-else").sign(order(9), topic="orders/create", timestamp=now, url=url)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=hooks), base_url="http://test") as client:
        statuses = []
        for request in (created, created):
            response = await client.post("/shopify", content=request.body, headers=dict(request.headers))
            statuses.append(response.json()["status"])
        rejected = await client.post("/shopify", content=forged.body, headers=dict(forged.headers))
        assert statuses == ["accepted", "duplicate"] and rejected.status_code == 401
        assert [o.status for o in await hooks.worker.run_once()] == ["done"]
        row = orders[1001]
        assert (row.total, row.items, row.status) == (Decimal("25.00"), 2, "open")
        response = await client.post("/shopify", content=cancelled.body, headers=dict(cancelled.headers))
        assert response.json()["status"] == "accepted"
    assert [o.status for o in await hooks.worker.run_once()] == ["done"]
    assert orders[1001].status == "cancelled"
    await hooks.stop()
