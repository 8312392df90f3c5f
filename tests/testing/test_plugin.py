"""The pytest plugin, as a user's test suite sees it: loaded through its entry point, run by pytester."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest

# pytester is enabled here rather than in a conftest: pytest refuses ``pytest_plugins`` in a
# conftest below the rootdir, and a test module's list applies to that module only.
pytest_plugins = ["pytester"]

USER_CONFTEST = """
import pytest

from hookreceiver import Delivery, HookReceiver
from hookreceiver.models import StripeEvent
from hookreceiver.providers import Stripe

hooks = HookReceiver()
stripe = hooks.endpoint("/stripe", Stripe(secret="whsec_user_suite"))
paid: list[str] = []


@stripe.on("invoice.paid", model=StripeEvent)
async def invoice_paid(delivery: Delivery[StripeEvent]) -> None:
    paid.append(delivery.payload.data.object["id"])


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def hook_receiver() -> HookReceiver:
    return hooks
"""

USER_TESTS = """
import time

import httpx
import pytest

from conftest import hooks, paid
from hookreceiver import Delivery
from hookreceiver.providers import Stripe, receive
from hookreceiver.testing import FROZEN_AT


@pytest.mark.anyio
async def test_send_runs_the_handler(hook_client, hook_clock) -> None:
    result = await hook_client.send("/stripe", topic="invoice.paid")
    assert result.status == "done"
    assert paid == ["in_1P8x2OHk3vGm7TqLr9sT1uVw"]
    assert hook_clock() == FROZEN_AT and hooks.clock is hook_clock


def test_the_receiver_is_restored_after_the_client_test() -> None:
    assert hooks.clock is time.time and hooks.run_worker is True


def test_hook_request_signs_at_the_frozen_time(hook_request, hook_clock) -> None:
    hook_clock.advance(60)
    request = hook_request("stripe", secret="whsec_user_suite", topic="customer.subscription.updated")
    delivery = receive(Stripe(secret="whsec_user_suite"), request, endpoint="/s", now=hook_clock())
    assert isinstance(delivery, Delivery) and delivery.sent_at == FROZEN_AT + 60


@pytest.mark.anyio
async def test_a_captured_request_verifies_with_the_frozen_clock(hook_frozen_clock) -> None:
    # Stripe's known-answer vector: signed at 1700000000 with whsec_test_secret.
    stripe = hooks.endpoints["/stripe"].provider
    hooks.endpoints["/stripe"].provider = Stripe(secret="whsec_test_secret")
    body = b'{"id":"evt_test_webhook","object":"event","type":"payment_intent.succeeded"}'
    headers = {"content-type": "application/json", "stripe-signature": "t=1700000000,v1="
               "130dc37d5a27b1b232a61e4f2ff00ed245f498112c11e8b747aff3d0fb754056"}
    transport = httpx.ASGITransport(app=hooks)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.post("/stripe", content=body, headers=headers)
            hook_frozen_clock.advance(301)
            late = await client.post("/stripe", content=body, headers=headers)
    finally:
        hooks.endpoints["/stripe"].provider = stripe
    assert response.status_code == 200 and response.json()["status"] == "unrouted"
    assert late.json()["error"] == "stale_timestamp"
    assert hooks.clock is hook_frozen_clock


def test_the_receiver_clock_is_restored_again() -> None:
    assert hooks.clock is time.time


@pytest.mark.anyio
async def test_a_failing_handler_shows_in_the_result(hook_client) -> None:
    @hooks.endpoints["/stripe"].on("payment_intent.succeeded")
    def broken(delivery: Delivery) -> None:
        raise KeyError("customer")

    result = await hook_client.send("/stripe", topic="payment_intent.succeeded")
    assert result.status == "failed" and isinstance(result.error, KeyError)
"""


def test_the_plugin_is_registered_as_an_entry_point() -> None:
    [entry] = [e for e in entry_points(group="pytest11") if e.name == "hookreceiver"]
    assert entry.value == "hookreceiver.testing.plugin"


def test_a_user_suite_uses_the_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(USER_CONFTEST)
    pytester.makepyfile(test_webhooks=USER_TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=6)


def test_hook_client_without_a_receiver_says_what_to_do(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_forgot="""
def test_forgot(hook_client) -> None:
    pass
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*define a `hook_receiver` fixture*"])


def test_the_fixtures_are_listed(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--fixtures", "-p", "no:cacheprovider")
    for name in ("hook_clock", "hook_receiver", "hook_frozen_clock", "hook_client", "hook_request"):
        result.stdout.fnmatch_lines([f"{name} -- *hookreceiver*testing*plugin.py*"])


BACKEND_CONFTEST = """
import pytest

from hookreceiver import Delivery, HookReceiver
from hookreceiver.providers import Stripe

hooks = HookReceiver()
stripe = hooks.endpoint("/stripe", Stripe(secret="whsec_backend_suite"))
stripe.on("invoice.paid")(lambda delivery: None)


@pytest.fixture
def hook_receiver() -> HookReceiver:
    return hooks
"""

BACKEND_TESTS = """
import pytest


@pytest.mark.anyio
async def test_send(hook_client, anyio_backend) -> None:
    assert anyio_backend == "asyncio"
    assert (await hook_client.send("/stripe")).status == "done"


@pytest.mark.anyio
async def test_backend(anyio_backend_name) -> None:
    assert anyio_backend_name == "asyncio"
"""


def test_a_user_suite_without_anyio_backend_runs_on_asyncio_only(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(BACKEND_CONFTEST)  # defines hook_receiver, not anyio_backend
    pytester.makepyfile(test_backend=BACKEND_TESTS)
    collected = pytester.runpytest("-p", "no:cacheprovider", "--collect-only", "-q")
    ids = [line for line in collected.outlines if "::" in line]
    assert ids == ["test_backend.py::test_send", "test_backend.py::test_backend"]  # no [trio] copies
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=2)


def test_a_conftest_anyio_backend_still_wins(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        BACKEND_CONFTEST
        + """

@pytest.fixture(params=["asyncio", "asyncio"], ids=["first", "second"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)
"""
    )
    pytester.makepyfile(test_backend=BACKEND_TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "error", "-v")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*test_send[[]first[]] PASSED*", "*test_send[[]second[]] PASSED*"])
