"""HubSpot signature v3, checked both ways with HubSpot's SDK (hubspot-api-client,
``hubspot.utils.signature.Signature``); batches, the URI decoding, window, rejections."""

from __future__ import annotations

import json
import time

import pytest
from hubspot.utils.signature import Signature

from hookreceiver.core.delivery import HttpRequest
from hookreceiver.exceptions import MethodNotAllowed, PayloadError, StaleTimestamp
from hookreceiver.providers import PROVIDERS, HubSpot, Shopify, receive_all
from hookreceiver.providers.hubspot import signed_uri
from tests.providers.cases import flipped, refuse, with_headers

SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
T = 1700000000.0
URL = "https://example.com/hubspot?portal=62515&next=https%3A%2F%2Fapp.example.com%2Fx%3Fa%3D1%26b%3D2"
DECODED = "https://example.com/hubspot?portal=62515&next=https://app.example.com/x?a%3D1%26b%3D2"
BODY = (
    b'[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1700000000000,'
    b'"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM",'
    b'"changeFlag":"NEW","appId":54321},{"eventId":2,"subscriptionId":12346,"portalId":62515,'
    b'"occurredAt":1700000000500,"subscriptionType":"deal.propertyChange","attemptNumber":1,"objectId":456,'
    b'"propertyName":"dealstage","propertyValue":"closedwon","changeSource":"CRM","appId":54321}]'
)


def request_at(stamp: str, signature: str, *, url: str = URL, body: bytes = BODY) -> HttpRequest:
    headers = {
        "content-type": "application/json",
        "x-hubspot-request-timestamp": stamp,
        "x-hubspot-signature-v3": signature,
    }
    return HttpRequest("POST", url, "/hubspot", headers, url.partition("?")[2], body)


def sdk_signature(stamp: str, *, uri: str = DECODED, body: bytes = BODY, secret: str = SECRET) -> str:
    return str(
        Signature.get_signature(
            secret, body.decode(), "v3", http_uri=uri, http_method="POST", timestamp=stamp
        )
    )


def test_the_sdks_signature_verifies_and_the_batch_splits() -> None:
    assert signed_uri(URL) == DECODED
    request = request_at("1700000000000", sdk_signature("1700000000000"))
    first, second = receive_all(HubSpot(secret=SECRET), request, endpoint="/h", now=T + 60)  # type: ignore[misc]
    assert (first.topic, first.delivery_id, first.sent_at) == ("contact.creation", "1", T)
    assert (second.topic, second.delivery_id, second.meta["property"]) == (
        "deal.propertyChange",
        "2",
        "dealstage",
    )
    assert second.meta["attempt"] == "1" and first.meta["batch_size"] == "2"
    assert PROVIDERS["hubspot"] is HubSpot


def test_the_sdk_accepts_our_signature() -> None:
    now = time.time()  # the SDK reads the real clock for its 5-minute check
    provider = HubSpot(secret=["new-secret", SECRET])
    ours = provider.sign(
        {"objectId": 9}, topic="company.deletion", delivery_id="77", timestamp=now, url=URL, secret_index=1
    )
    stamp = ours.headers["x-hubspot-request-timestamp"]
    sdk_args = {"http_uri": DECODED, "http_method": "POST", "signature_version": "v3", "timestamp": stamp}
    assert Signature.is_valid(ours.headers["x-hubspot-signature-v3"], SECRET, ours.body.decode(), **sdk_args)
    assert not Signature.is_valid(
        ours.headers["x-hubspot-signature-v3"], "new-secret", ours.body.decode(), **sdk_args
    )
    (delivery,) = receive_all(provider, ours, endpoint="/h", now=now)  # type: ignore[misc]
    assert (delivery.topic, delivery.delivery_id, delivery.secret_index) == ("company.deletion", "77", 1)


@pytest.mark.parametrize(("skew", "ok"), [(300, True), (-300, True), (301, False), (-301, False)])
def test_five_minute_window(skew: float, ok: bool) -> None:
    request = request_at("1700000000000", sdk_signature("1700000000000"))
    if ok:
        assert HubSpot(secret=SECRET).verify(request, now=T + skew) == 0
    else:
        refuse(HubSpot(secret=SECRET), request, now=T + skew, error=StaleTimestamp)


def test_method_uri_body_and_time_are_all_signed() -> None:
    stamp = "1700000000000"
    request = request_at(stamp, sdk_signature(stamp))
    provider = HubSpot(secret=SECRET)
    refuse(provider, flipped(request), now=T)
    refuse(
        provider, request_at(stamp, sdk_signature(stamp), url=URL.replace("portal=62515", "portal=1")), now=T
    )
    refuse(
        provider,
        HttpRequest("PUT", request.url, request.path, request.headers, request.query_string, BODY),
        now=T,
        error=MethodNotAllowed,
    )
    assert (
        refuse(provider, with_headers(request, x_hubspot_request_timestamp="1700000001000"), now=T).reason
        == "bad_signature"
    )
    refuse(HubSpot(secret="wrong"), request, now=T)
    # v2 (SHA-256 of secret + method + URI + body, no timestamp) is not accepted.
    v2 = Signature.get_signature(SECRET, BODY.decode(), "v2", http_uri=DECODED, http_method="POST")
    refuse(provider, request_at(stamp, v2), now=T)
    shopify = Shopify(secret=SECRET).sign({"id": 1}, topic="orders/create", timestamp=T, url=URL)
    assert refuse(provider, shopify, now=T).reason == "missing_timestamp"


def test_a_body_that_is_not_an_array_is_a_400() -> None:
    body = json.dumps({"subscriptionType": "contact.creation"}).encode()
    stamp = "1700000000000"
    request = request_at(stamp, sdk_signature(stamp, body=body), body=body)
    assert refuse(HubSpot(secret=SECRET), request, now=T, error=PayloadError).reason == "bad_payload"
