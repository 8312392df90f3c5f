"""examples/fastapi_app.py: the receiver mounted in FastAPI beside ordinary routes and /metrics."""

from __future__ import annotations

import runpy
import time
from pathlib import Path

import httpx
import pytest

from hookreceiver import HookReceiver

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "fastapi_app.py"
SECRET = "fastapi-test-secret-0b7d2c55e1"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_routes_webhooks_health_and_metrics_side_by_side(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOOKRECEIVER_REDIS_URL", raising=False)
    monkeypatch.setenv("HOOKRECEIVER_RUN_WORKER", "false")  # the test runs the worker by hand
    monkeypatch.setenv("SHOP_WEBHOOK_SECRET", SECRET)
    example = runpy.run_path(str(EXAMPLE))
    hooks, api, carts = example["hooks"], example["api"], example["CARTS"]
    assert isinstance(hooks, HookReceiver)
    request = example["shop"].provider.sign(
        {"type": "cart.created", "cart": 7},
        topic="cart.created",
        delivery_id="cart-7",
        timestamp=time.time(),
        url="http://test/webhooks/shop",
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://test") as client:
        item = await client.get("/items/3")
        hook = await client.post("/webhooks/shop", content=request.body, headers=dict(request.headers))
        ready = await client.get("/webhooks/readyz")
        unknown = await client.post("/webhooks/nope", content=b"{}")
        scraped = await client.get("/metrics/")
    assert item.json() == {"item_id": 3}
    assert hook.status_code == 200 and hook.json()["status"] == "accepted"
    assert ready.json() == {"status": "ready", "store": "ok"}
    assert unknown.status_code == 404 and unknown.json()["error"] == "unknown_endpoint"
    assert scraped.status_code == 200 and "hookreceiver_deliveries_total" in scraped.text
    [outcome] = await hooks.worker.run_once()
    assert outcome.status == "done" and carts == {"cart-7": {"type": "cart.created", "cart": 7}}
    await hooks.stop()
