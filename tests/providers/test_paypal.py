"""PayPal: the signed-string vector (PROVIDERS.md, paypalrestsdk), RSA under a served test
certificate, the certificate URL allow-list, rejections, and the ASGI endpoint."""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from hookreceiver.core.delivery import Delivery, HttpRequest
from hookreceiver.exceptions import SignatureError, StaleTimestamp
from hookreceiver.providers import GitHub, PayPal, receive
from hookreceiver.providers.paypal import allowed_paypal_url, signed_string
from hookreceiver.testing.certs import certificate_pair
from tests.helpers import asgi_client
from tests.providers.helpers import memory_receiver, with_body

WEBHOOK_ID = "1JE4291016473214C"
CERT_URL = "https://api.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-1d93a270"
CERT = certificate_pair("paypal", "messageverificationcerts.paypal.com")
OTHER = certificate_pair("paypal-other", "messageverificationcerts.paypal.com")
NOT_PAYPAL = certificate_pair("paypal-impostor", "example.com")
BODY = (
    b'{"id":"WH-0G2756385H040842W-5Y612302CV158622M","event_type":"PAYMENT.CAPTURE.COMPLETED",'
    b'"resource":{"id":"42311647XV020574X"}}'
)
TIME = "2023-11-14T22:13:20Z"
T = 1700000000.0


def test_signed_string_vector() -> None:
    assert signed_string("69cd13f0-d67a-11e5-baa3-778b53f4ae55", TIME, WEBHOOK_ID, BODY) == (
        b"69cd13f0-d67a-11e5-baa3-778b53f4ae55|2023-11-14T22:13:20Z|1JE4291016473214C|1125527156"
    )


def request_for(
    body: bytes = BODY, cert: Any = CERT, webhook_id: str = WEBHOOK_ID, **headers: str
) -> HttpRequest:
    key = serialization.load_pem_private_key(cert.private_pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    tid = "69cd13f0-d67a-11e5-baa3-778b53f4ae55"
    signature = key.sign(signed_string(tid, TIME, webhook_id, body), padding.PKCS1v15(), hashes.SHA256())
    sent = {
        "content-type": "application/json",
        "paypal-transmission-id": tid,
        "paypal-transmission-time": TIME,
        "paypal-transmission-sig": base64.b64encode(signature).decode(),
        "paypal-cert-url": CERT_URL,
        "paypal-auth-algo": "SHA256withRSA",
        **headers,
    }
    return HttpRequest("POST", "https://e/pp", "/pp", sent, "", body)


class Served:
    def __init__(self, pem: bytes = CERT.certificate_pem) -> None:
        self.pem, self.calls = pem, 0

    def __call__(self, url: str) -> bytes:
        self.calls += 1
        return self.pem


def test_verifies_identifies_and_caches_the_certificate() -> None:
    fetcher = Served()
    provider = PayPal(webhook_id=WEBHOOK_ID, fetch=fetcher)
    first = receive(provider, request_for(), endpoint="/pp", now=T)
    delivery = receive(provider, request_for(), endpoint="/pp", now=T)
    assert isinstance(first, Delivery) and isinstance(delivery, Delivery)
    assert (delivery.topic, delivery.delivery_id) == (
        "PAYMENT.CAPTURE.COMPLETED",
        "WH-0G2756385H040842W-5Y612302CV158622M",
    )
    assert fetcher.calls == 1


def test_rejections() -> None:
    provider = PayPal(webhook_id=WEBHOOK_ID, fetch=Served())
    cases = [
        (with_body(request_for(), BODY.replace(b"X", b"Y")), "bad_signature"),
        (request_for(cert=OTHER), "bad_signature"),
        (request_for(webhook_id="OTHERWEBHOOK"), "bad_signature"),
        (request_for(paypal_auth_algo="SHA1withRSA"), "bad_signature"),
        (request_for(paypal_transmission_time="yesterday"), "bad_timestamp"),
    ]
    for request, reason in cases:
        fixed = replace(request, headers={k.replace("_", "-"): v for k, v in request.headers.items()})
        with pytest.raises(SignatureError) as caught:
            provider.verify(fixed, now=T)
        assert caught.value.reason == reason, request.headers
    github = GitHub(secret="s").sign({"a": 1}, topic="push", timestamp=T, url="https://e/pp")
    with pytest.raises(SignatureError) as missing:
        provider.verify(github, now=T)
    assert missing.value.reason == "missing_signature"
    impostor = PayPal(webhook_id=WEBHOOK_ID, fetch=Served(NOT_PAYPAL.certificate_pem))
    with pytest.raises(SignatureError) as caught:
        impostor.verify(request_for(cert=NOT_PAYPAL), now=T)
    assert caught.value.reason == "bad_certificate"
    with pytest.raises(StaleTimestamp):
        PayPal(webhook_id=WEBHOOK_ID, fetch=Served(), tolerance=300).verify(request_for(), now=T + 301)


@pytest.mark.parametrize(
    "url",
    [
        "http://api.paypal.com/c",
        "https://api.paypal.com.evil.com/c",
        "https://evilpaypal.com/c",
        "https://u@api.paypal.com/c",
        "https://api.paypal.com:444/c",
    ],
)
def test_certificate_urls_off_the_allow_list_are_never_fetched(url: str) -> None:
    fetcher = Served()
    with pytest.raises(SignatureError) as caught:
        PayPal(webhook_id=WEBHOOK_ID, fetch=fetcher).verify(
            replace(request_for(), headers={**request_for().headers, "paypal-cert-url": url}), now=T
        )
    assert caught.value.reason == "untrusted_certificate_url" and fetcher.calls == 0
    assert allowed_paypal_url("https://api-m.sandbox.paypal.com/v1/notifications/certs/CERT-1")


def test_sign_round_trip() -> None:
    provider = PayPal(webhook_id=WEBHOOK_ID, fetch=Served(), signing_key=CERT.private_pem)
    request = provider.sign(
        {"resource": {"id": "CAP-1"}}, topic="PAYMENT.CAPTURE.REFUNDED", timestamp=T, url="https://e/pp"
    )
    delivery = receive(provider, request, endpoint="/pp", now=T)
    assert isinstance(delivery, Delivery) and delivery.topic == "PAYMENT.CAPTURE.REFUNDED"
    assert delivery.delivery_id.startswith("WH-")
    with pytest.raises(SignatureError):
        PayPal(webhook_id="ANOTHER", fetch=Served()).verify(request, now=T)


@pytest.mark.anyio
async def test_asgi_accepts_and_dedupes() -> None:
    hooks = memory_receiver(T)
    hooks.endpoint("/pp", PayPal(webhook_id=WEBHOOK_ID, fetch=Served())).on("PAYMENT.*")(lambda d: None)
    request = request_for()
    async with asgi_client(hooks, "http://test") as client:
        first = await client.post("/pp", content=request.body, headers=dict(request.headers))
        again = await client.post("/pp", content=request.body, headers=dict(request.headers))
        bad = await client.post("/pp", content=request.body + b" ", headers=dict(request.headers))
    assert first.status_code == 200 and first.json()["status"] == "accepted", first.text
    assert again.json()["status"] == "duplicate"
    assert bad.status_code == 401
