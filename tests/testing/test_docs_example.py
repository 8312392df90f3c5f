"""The pytest example of docs/testing.md, as a real test module (the docs show it as ``no-run``).

The app part would live in the user's package and the fixture in their conftest.py; here all
three sit in one module, and the plugin's ``hook_client`` fixture comes from the entry point.
"""

from __future__ import annotations

import pytest

from hookreceiver import Delivery, HookReceiver
from hookreceiver.models import StripeEvent
from hookreceiver.providers import Stripe
from hookreceiver.testing import HookClient

hooks = HookReceiver()
stripe = hooks.endpoint("/stripe", Stripe(secret="whsec_test_only"))
paid_invoices: list[str] = []


@stripe.on("invoice.paid", model=StripeEvent)
async def invoice_paid(delivery: Delivery[StripeEvent]) -> None:
    paid_invoices.append(delivery.payload.data.object["id"])


@pytest.fixture
def hook_receiver() -> HookReceiver:
    return hooks


@pytest.mark.anyio
async def test_invoice_paid(hook_client: HookClient) -> None:
    result = await hook_client.send("/stripe", topic="invoice.paid")
    result.raise_for_error()  # fails with the handler's own traceback, if it raised
    assert paid_invoices == ["in_1P8x2OHk3vGm7TqLr9sT1uVw"]
