"""Adyen: item signatures checked with the Adyen SDK both ways, batches as several deliveries."""

from __future__ import annotations

import json
from typing import Any

import pytest
from Adyen.util import generate_notification_sig, is_valid_hmac_notification

from hookreceiver.core.delivery import Delivery, HttpRequest
from hookreceiver.exceptions import ConfigurationError, PayloadError, SignatureError
from hookreceiver.providers import Adyen, Stripe, receive, receive_all
from hookreceiver.testing import sample
from tests.helpers import asgi_client
from tests.providers.helpers import memory_receiver, with_body

KEY = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"
OTHER = "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"
T = 1700000000.0


def item(psp: str, code: str = "AUTHORISATION", key: str = KEY) -> dict[str, Any]:
    value = {
        "amount": {"currency": "EUR", "value": 1000},
        "eventCode": code,
        "merchantAccountCode": "Acme",
        "merchantReference": "order-1",
        "pspReference": psp,
        "success": "true",
    }
    signature = generate_notification_sig(value, key).decode()
    return {**value, "additionalData": {"hmacSignature": signature}}


def post(*items: dict[str, Any]) -> HttpRequest:
    body = json.dumps({"live": "false", "notificationItems": [{"NotificationRequestItem": i} for i in items]})
    return HttpRequest(
        "POST", "https://e/adyen", "/adyen", {"content-type": "application/json"}, "", body.encode()
    )


def test_sdk_signed_items_verify_and_split() -> None:
    outcome = receive_all(Adyen(secret=KEY), post(item("8815"), item("8816", "REFUND")), endpoint="/a", now=T)
    assert isinstance(outcome, tuple)
    assert [(d.topic, d.delivery_id) for d in outcome] == [
        ("AUTHORISATION", "8815:AUTHORISATION:true"),
        ("REFUND", "8816:REFUND:true"),
    ]
    assert [d.meta["batch_index"] for d in outcome] == ["0", "1"]
    assert outcome[1].payload["pspReference"] == "8816"
    with pytest.raises(PayloadError) as caught:
        receive(Adyen(secret=KEY), post(item("1"), item("2")), endpoint="/a", now=T)
    assert caught.value.reason == "batch"


def test_our_signature_verifies_with_the_sdk() -> None:
    request = Adyen(secret=[OTHER, KEY]).sign(
        sample("adyen", "AUTHORISATION"), topic="CAPTURE", timestamp=T, url="https://e/a", secret_index=1
    )
    body = json.loads(request.body)
    assert is_valid_hmac_notification(body, KEY) is True
    assert is_valid_hmac_notification(body, OTHER) is False
    delivery = receive(Adyen(secret=[OTHER, KEY]), request, endpoint="/a", now=T)
    assert isinstance(delivery, Delivery) and delivery.secret_index == 1 and delivery.topic == "CAPTURE"


def test_one_bad_item_refuses_the_batch() -> None:
    bad = item("2")
    bad["amount"]["value"] = 1
    for request in (post(item("1"), bad), post(item("1", key=OTHER))):
        with pytest.raises(SignatureError):
            receive_all(Adyen(secret=KEY), request, endpoint="/a", now=T)
    unsigned = item("3")
    del unsigned["additionalData"]
    with pytest.raises(SignatureError) as caught:
        receive_all(Adyen(secret=KEY), post(unsigned), endpoint="/a", now=T)
    assert caught.value.reason == "missing_signature"
    request = post(item("1"))
    with pytest.raises(SignatureError):
        Adyen(secret=KEY).verify(with_body(request, request.body.replace(b"1000", b"1001")), now=T)
    stripe = Stripe(secret=KEY).sign({}, topic="x", timestamp=T, url="https://e/a")
    with pytest.raises(SignatureError) as other:
        receive_all(Adyen(secret=KEY), stripe, endpoint="/a", now=T)
    assert other.value.reason == "missing_signature"
    with pytest.raises(PayloadError) as empty:
        receive_all(Adyen(secret=KEY), post(), endpoint="/a", now=T)
    assert empty.value.reason == "empty_batch"


@pytest.mark.parametrize(
    "body",
    [
        b'{"type":"payment.succeeded","data":{}}',  # another provider's event
        b'{"notificationItems":{"NotificationRequestItem":{}}}',  # not a list
        b'{"notificationItems":["AUTHORISATION"]}',  # an item that is not an object
        b"[]",
    ],
)
def test_a_body_that_is_not_a_notification_batch_is_unsigned(body: bytes) -> None:
    """Nothing in such a body can carry an hmacSignature: 401 missing_signature, as any provider
    answers an unsigned request (it was a 400 missing_topic)."""
    request = with_body(post(item("1")), body)
    with pytest.raises(SignatureError) as caught:
        Adyen(secret=KEY).verify(request, now=T)
    assert (caught.value.reason, caught.value.status_hint) == ("missing_signature", 401)


def test_the_key_is_hex() -> None:
    with pytest.raises(ConfigurationError, match="hex"):
        Adyen(secret="not-hex")
    assert KEY not in repr(Adyen(secret=KEY))


@pytest.mark.anyio
async def test_asgi_batch_is_stored_item_by_item_and_answered_accepted() -> None:
    hooks = memory_receiver(T)
    seen: list[str] = []
    hooks.endpoint("/adyen", Adyen(secret=KEY)).on("*")(lambda d: seen.append(d.delivery_id))
    request = post(item("8815"), item("8816", "REFUND"))
    async with asgi_client(hooks, "http://test") as client:
        first = await client.post("/adyen", content=request.body, headers=dict(request.headers))
        again = await client.post("/adyen", content=request.body, headers=dict(request.headers))
        partly_new = post(item("8816", "REFUND"), item("8817"))
        third = await client.post("/adyen", content=partly_new.body, headers=dict(partly_new.headers))
        bad = await client.post(
            "/adyen", content=post(item("9", key=OTHER)).body, headers=dict(request.headers)
        )
    assert (first.status_code, first.text) == (200, "[accepted]")
    assert (again.status_code, again.text, third.text) == (200, "[accepted]", "[accepted]")
    assert bad.status_code == 401 and bad.json()["error"] == "bad_signature"
    for _ in range(3):
        await hooks.worker.run_once()
    assert sorted(seen) == ["8815:AUTHORISATION:true", "8816:REFUND:true", "8817:AUTHORISATION:true"]
