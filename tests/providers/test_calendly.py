"""Calendly: a known-answer vector (stdlib HMAC-SHA256 over ``"{t}.{body}"``, as Calendly's
webhook-signature docs give it), the 3-minute window, ids, rejections."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from hookreceiver.core.delivery import HttpRequest
from hookreceiver.exceptions import SignatureError, StaleTimestamp
from hookreceiver.providers import PROVIDERS, Calendly, Stripe
from tests.providers.cases import accept, flipped, refuse, with_headers

SECRET = "calendly_signing_key"
T = 1700000000.0
URI = "https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2/invitees/AAAAAAAAAAAAAAAA"
BODY = (
    b'{"created_at":"2023-11-14T22:13:20.000000Z","created_by":"https://api.calendly.com/users/AAAAAAAAAAAAAAAA",'
    b'"event":"invitee.created","payload":{"uri":"'
    + URI.encode()
    + b'","email":"jon@example.com","status":"active"}}'
)
DIGEST = "2ed616df70e34697acfdb4ff84fb856cc5a7e66288435248a04759c542e5145e"
REQUEST = HttpRequest(
    "POST",
    "https://example.com/calendly",
    "/calendly",
    {"content-type": "application/json", "calendly-webhook-signature": f"t=1700000000,v1={DIGEST}"},
    "",
    BODY,
)


def test_known_answer() -> None:
    assert hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest() == DIGEST
    delivery = accept(Calendly(secret=SECRET), REQUEST, now=T + 100)
    assert (delivery.topic, delivery.delivery_id, delivery.sent_at) == (
        "invitee.created",
        f"invitee.created:{URI}",
        T,
    )
    assert PROVIDERS["calendly"] is Calendly


@pytest.mark.parametrize(("skew", "ok"), [(180, True), (-180, True), (181, False), (-181, False)])
def test_three_minute_window(skew: float, ok: bool) -> None:
    if ok:
        assert Calendly(secret=SECRET).verify(REQUEST, now=T + skew) == 0
    else:
        refuse(Calendly(secret=SECRET), REQUEST, now=T + skew, error=StaleTimestamp)
    assert Calendly(secret=SECRET, tolerance=0).verify(REQUEST, now=T + 10**6) == 0


def test_a_cancellation_of_the_same_invitee_is_another_delivery() -> None:
    provider = Calendly(secret=["new", SECRET])
    created = provider.sign(
        {"uri": URI}, topic="invitee.created", timestamp=T, url="https://e/c", secret_index=1
    )
    canceled = provider.sign({"uri": URI}, topic="invitee.canceled", timestamp=T, url="https://e/c")
    first, second = accept(provider, created, now=T), accept(provider, canceled, now=T)
    assert first.delivery_id == f"invitee.created:{URI}" and second.delivery_id == f"invitee.canceled:{URI}"
    assert (first.secret_index, second.secret_index) == (1, 0)
    again = provider.sign({"uri": URI}, topic="invitee.created", timestamp=T + 60, url="https://e/c")
    assert accept(provider, again, now=T + 60).delivery_id == first.delivery_id  # a retry dedupes


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing_signature"),
        (f"v1={DIGEST}", "missing_timestamp"),
        ("t=1700000000", "missing_signature"),
        (f"t=now,v1={DIGEST}", "bad_timestamp"),
        ("t=1700000000,v1=zz", "missing_signature"),
    ],
)
def test_malformed_headers(header: str | None, reason: str) -> None:
    with pytest.raises(SignatureError) as caught:
        Calendly(secret=SECRET).verify(with_headers(REQUEST, calendly_webhook_signature=header), now=T)
    assert caught.value.reason == reason


def test_rejections() -> None:
    refuse(Calendly(secret=SECRET), flipped(REQUEST), now=T)
    refuse(Calendly(secret="wrong"), REQUEST, now=T)
    moved = with_headers(REQUEST, calendly_webhook_signature=f"t=1700000060,v1={DIGEST}")
    assert refuse(Calendly(secret=SECRET), moved, now=T + 60).reason == "bad_signature"
    stripe = Stripe(secret=SECRET).sign({"event": "invitee.created"}, topic="x", timestamp=T, url="https://e")
    assert refuse(Calendly(secret=SECRET), stripe, now=T).reason == "missing_signature"
