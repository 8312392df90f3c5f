"""Paddle Billing: the PROVIDERS.md vector, paddle-python-sdk both ways, failures, ASGI."""

from __future__ import annotations

from functools import partial

import httpx
import pytest
from paddle_billing.Notifications import Secret
from paddle_billing.Notifications.PaddleSignature import PaddleSignature

from hookreceiver import HookReceiver
from hookreceiver.core.delivery import Delivery
from hookreceiver.exceptions import SignatureError, StaleTimestamp, UnsupportedContentType
from hookreceiver.providers import PROVIDERS, Paddle, Stripe, receive
from tests.helpers import asgi_client
from tests.providers.helpers import load_sample, memory_receiver, with_body

SECRET = "pdl_ntfset_01hfm4dh7tgc4e4ctf1jwz7ws2_testsecretkey"
T = 1700000000.0
load = partial(load_sample, "paddle", "transaction_completed")


def test_vector_verifies_and_identifies() -> None:
    delivery = receive(Paddle(secret=SECRET), load(), endpoint="/p", now=T)
    assert isinstance(delivery, Delivery)
    assert delivery.topic == "transaction.completed"
    assert delivery.delivery_id == "ntf_01hfm4gq5b8tq7t2x9r3d6e2c4"
    assert delivery.sent_at == T
    assert delivery.meta["event_id"] == "evt_01hfm4gq3n2zj0y0x7r0q8v5m1"
    assert PROVIDERS["paddle"] is Paddle


def test_the_sdk_accepts_the_vector_and_our_signature() -> None:
    request = load()
    assert PaddleSignature().verify(
        request.headers["paddle-signature"], request.body.decode(), Secret(SECRET)
    )
    ours = Paddle(secret=["pdl_ntfset_new", SECRET]).sign(
        {"data": {"id": "txn_2"}},
        topic="transaction.paid",
        timestamp=T,
        url="https://example.com/p",
        secret_index=1,
    )
    assert PaddleSignature().verify(ours.headers["paddle-signature"], ours.body.decode(), [Secret(SECRET)])
    assert (
        PaddleSignature().verify(
            ours.headers["paddle-signature"], ours.body.decode(), Secret("pdl_ntfset_new")
        )
        is False
    )


def test_rotation_several_h1_and_secrets() -> None:
    request = load()
    header = request.headers["paddle-signature"].replace(
        "ts=1700000000;", "ts=1700000000;h1=zz;h1=" + "00" * 32 + ";"
    )
    assert Paddle(secret=["pdl_ntfset_other", SECRET]).verify(load(paddle_signature=header), now=T) == 1


@pytest.mark.parametrize(("now", "ok"), [(T + 5, True), (T - 5, True), (T + 6, False), (T - 6, False)])
def test_five_second_window_both_ways(now: float, ok: bool) -> None:
    provider = Paddle(secret=SECRET)
    if ok:
        assert provider.verify(load(), now=now) == 0
    else:
        with pytest.raises(StaleTimestamp):
            provider.verify(load(), now=now)
    assert Paddle(secret=SECRET, tolerance=0).verify(load(), now=T + 10**6) == 0


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing_signature"),
        ("h1=abc", "missing_timestamp"),
        ("ts=1700000000", "missing_signature"),
        ("ts=soon;h1=" + "00" * 32, "bad_timestamp"),
    ],
)
def test_malformed_headers(header: str | None, reason: str) -> None:
    with pytest.raises(SignatureError) as caught:
        Paddle(secret=SECRET).verify(load(paddle_signature=header), now=T)
    assert caught.value.reason == reason


def test_tampered_wrong_secret_and_other_providers_signature_fail() -> None:
    request = load()
    for bad in (with_body(request, request.body.replace(b"txn_01", b"txn_02")), request):
        secret = SECRET if bad is not request else "pdl_ntfset_wrong"
        with pytest.raises(SignatureError):
            Paddle(secret=secret).verify(bad, now=T)
    stripe = Stripe(secret=SECRET).sign({"event_type": "x"}, topic="x", timestamp=T, url="https://e/p")
    with pytest.raises(SignatureError):
        receive(Paddle(secret=SECRET), stripe, endpoint="/p", now=T)


def test_json_only() -> None:
    with pytest.raises(UnsupportedContentType):
        receive(Paddle(secret=SECRET), load(content_type="text/plain"), endpoint="/p", now=T)


@pytest.mark.anyio
async def test_asgi_endpoint_accepts_then_dedupes() -> None:
    hooks: HookReceiver = memory_receiver(T)
    seen: list[Delivery] = []
    hooks.endpoint("/paddle", Paddle(secret=SECRET)).on("transaction.*")(seen.append)
    request = load()
    async with asgi_client(hooks) as client:
        first = await client.post("/paddle", content=request.body, headers=dict(request.headers))
        again = await client.post("/paddle", content=request.body, headers=dict(request.headers))
        bad = await client.post("/paddle", content=request.body + b" ", headers=dict(request.headers))
    assert first.status_code == 200 and first.json()["status"] == "accepted"
    assert again.json()["status"] == "duplicate"
    assert bad.status_code == 401 and bad.json()["error"] == "bad_signature"
    assert isinstance(first, httpx.Response)
    await hooks.worker.run_once()
    assert [d.delivery_id for d in seen] == ["ntf_01hfm4gq5b8tq7t2x9r3d6e2c4"]
