"""examples/stripe_billing.py: signed Stripe events in process update the subscription table."""

from __future__ import annotations

import runpy
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from hookreceiver import HookReceiver
from hookreceiver.providers import Stripe

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "stripe_billing.py"
SECRET = "whsec_billing_test"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def invoice(period_end: int) -> dict[str, Any]:
    return {"data": {"object": {"customer": "cus_1", "lines": {"data": [{"period": {"end": period_end}}]}}}}


@pytest.mark.anyio
async def test_invoice_paid_is_applied_once_and_never_shortens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOOKRECEIVER_REDIS_URL", raising=False)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", SECRET)
    example = runpy.run_path(str(EXAMPLE))
    hooks, accounts = example["hooks"], example["ACCOUNTS"]
    assert isinstance(hooks, HookReceiver)
    signer = Stripe(secret=SECRET)
    now = time.time()
    later = signer.sign(
        invoice(2_000_000_000),
        topic="invoice.paid",
        delivery_id="evt_2",
        timestamp=now,
        url="http://test/stripe",
    )
    earlier = signer.sign(
        invoice(1_900_000_000),
        topic="invoice.paid",
        delivery_id="evt_1",
        timestamp=now,
        url="http://test/stripe",
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=hooks), base_url="http://test") as client:
        statuses = []
        for request in (later, later, earlier):  # a redelivery, then an out-of-order event
            response = await client.post("/stripe", content=request.body, headers=dict(request.headers))
            statuses.append(response.json()["status"])
        forged = Stripe(secret="whsec_someone_else").sign(
            invoice(1), topic="invoice.paid", timestamp=now, url="http://test/stripe"
        )
        rejected = await client.post("/stripe", content=forged.body, headers=dict(forged.headers))
    assert statuses == ["accepted", "duplicate", "accepted"]
    assert rejected.status_code == 401
    outcomes = await hooks.worker.run_once()
    assert sorted(o.status for o in outcomes) == ["done", "done"]
    assert accounts == {"cus_1": {"status": "active", "paid_until": 2_000_000_000}}
    await hooks.stop()
