"""Standard Webhooks / Svix: known answers, both SDKs as references, failures, ASGI."""

from __future__ import annotations

import base64
import time
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

import httpx
import nacl.signing
import pytest
import standardwebhooks
import svix.webhooks
from hypothesis import given, settings
from hypothesis import strategies as st

from hookreceiver import HookReceiver
from hookreceiver.core.delivery import Delivery, HttpRequest
from hookreceiver.exceptions import (
    ConfigurationError,
    PayloadError,
    SignatureError,
    StaleTimestamp,
    UnsupportedContentType,
)
from hookreceiver.providers import PROVIDERS, StandardWebhooks, Svix, receive
from hookreceiver.testing.keys import key_pair
from tests.helpers import asgi_client
from tests.providers.helpers import load_sample, memory_receiver, with_body

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
OLD_SECRET = "whsec_" + base64.b64encode(b"an older key of 24 bytes").decode()
NOW = 1700000000.0
URL = "https://example.com/webhooks/std"


load = partial(load_sample, "standard")


def sdk_headers(
    secret: str, msg_id: str, timestamp: float, body: bytes, prefix: str = "webhook-"
) -> dict[str, str]:
    stamp = datetime.fromtimestamp(timestamp, tz=UTC)
    signature = standardwebhooks.Webhook(secret).sign(msg_id, stamp, body.decode())
    return {
        "content-type": "application/json",
        f"{prefix}id": msg_id,
        f"{prefix}timestamp": str(int(timestamp)),
        f"{prefix}signature": signature,
    }


# -- known answers -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["invoice_paid", "invoice_paid_svix", "invoice_paid_rotation"])
def test_vectors_verify_and_identify(name: str) -> None:
    delivery = receive(StandardWebhooks(secret=SECRET), load(name), endpoint="/std", now=NOW)
    assert isinstance(delivery, Delivery)
    assert (delivery.topic, delivery.delivery_id) == ("invoice.paid", "msg_2Ye6kZ9wQ0yQ3n6rJbJ8sN2xYzA")
    assert delivery.sent_at == NOW and delivery.secret_index == 0
    assert delivery.payload["data"] == {"id": "inv_1"}


def test_spec_docs_example_verifies_at_its_own_time() -> None:
    provider = StandardWebhooks(secret=SECRET)
    assert provider.verify(load("docs_example"), now=1614265330) == 0
    with pytest.raises(StaleTimestamp):
        provider.verify(load("docs_example"), now=NOW)


def test_secret_is_base64_decoded_not_used_verbatim() -> None:
    # The docs example names the HMAC key; a verbatim whsec_ string (Stripe's way) must fail.
    key = bytes.fromhex("31f290f6bf06298aab4f08d43c3f082cf648a362da2da4b0")
    assert StandardWebhooks(secret=key).verify(load("docs_example"), now=1614265330) == 0
    with pytest.raises(SignatureError):
        StandardWebhooks(secret=SECRET.encode()).verify(load("docs_example"), now=1614265330)


# -- the SDKs as references ----------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["webhook-", "svix-"])
def test_sdk_signs_we_verify(prefix: str) -> None:
    body = b'{"type":"user.created","data":{"id":7,"name":"\\u00e9t\\u00e9"}}'
    headers = sdk_headers(SECRET, "msg_sdk_1", NOW, body, prefix)
    request = HttpRequest("POST", URL, "/webhooks/std", headers, "", body)
    delivery = receive(StandardWebhooks(secret=SECRET), request, endpoint="/std", now=NOW + 299)
    assert isinstance(delivery, Delivery)
    assert (delivery.topic, delivery.delivery_id) == ("user.created", "msg_sdk_1")


def test_svix_sdk_signs_we_verify() -> None:
    body = b'{"type":"invoice.paid"}'
    signature = svix.webhooks.Webhook(SECRET).sign(
        "msg_svix", datetime.fromtimestamp(NOW, tz=UTC), body.decode()
    )
    headers = {
        "content-type": "application/json",
        "svix-id": "msg_svix",
        "svix-timestamp": str(int(NOW)),
        "svix-signature": signature,
    }
    request = HttpRequest("POST", URL, "/webhooks/std", headers, "", body)
    assert Svix(secret=SECRET).verify(request, now=NOW) == 0


@pytest.mark.parametrize("cls", [StandardWebhooks, Svix])
def test_we_sign_sdks_verify(cls: type[StandardWebhooks]) -> None:
    # The SDKs read the real clock, so sign at the real time.
    request = cls(secret=SECRET).sign(
        {"data": {"n": 1}}, topic="invoice.paid", delivery_id="msg_1", timestamp=time.time(), url=URL
    )
    headers = dict(request.headers)
    if cls is Svix:
        assert "svix-signature" in headers and "webhook-signature" not in headers
        svix.webhooks.Webhook(SECRET).verify(request.body, headers)
    else:
        payload = standardwebhooks.Webhook(SECRET).verify(request.body, headers)
        assert payload == {"data": {"n": 1}, "type": "invoice.paid"}


def test_sdk_rejects_our_signature_with_the_wrong_secret() -> None:
    request = StandardWebhooks(secret=OLD_SECRET).sign({}, topic="t", timestamp=time.time(), url=URL)
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        standardwebhooks.Webhook(SECRET).verify(request.body, dict(request.headers))


# -- rotation ------------------------------------------------------------------------------


def test_rotated_secrets_report_which_one_matched() -> None:
    provider = StandardWebhooks(secret=[SECRET, OLD_SECRET])
    for index in (0, 1):
        request = provider.sign({"x": 1}, topic="t", timestamp=NOW, url=URL, secret_index=index)
        assert provider.verify(request, now=NOW) == index


def test_a_header_with_both_signatures_passes_for_either_secret() -> None:
    body = b'{"type":"t"}'
    new = sdk_headers(SECRET, "m", NOW, body)["webhook-signature"]
    old = sdk_headers(OLD_SECRET, "m", NOW, body)["webhook-signature"]
    headers = {
        "webhook-id": "m",
        "webhook-timestamp": str(int(NOW)),
        "webhook-signature": f"{old} {new}",
        "content-type": "application/json",
    }
    request = HttpRequest("POST", URL, "/std", headers, "", body)
    assert StandardWebhooks(secret=SECRET).verify(request, now=NOW) == 0
    assert StandardWebhooks(secret=OLD_SECRET).verify(request, now=NOW) == 0


def test_other_versions_and_garbage_entries_are_ignored() -> None:
    good = load("invoice_paid").headers["webhook-signature"]
    mixed = f"v1a,AAAA v2,{good[3:]} v1,!!notbase64!! {good}"
    assert StandardWebhooks(secret=SECRET).verify(load("invoice_paid", webhook_signature=mixed), now=NOW) == 0
    only_v1a = "v1a," + good[3:]
    with pytest.raises(SignatureError, match="no v1"):
        StandardWebhooks(secret=SECRET).verify(load("invoice_paid", webhook_signature=only_v1a), now=NOW)


# -- failures ------------------------------------------------------------------------------


def test_tampered_body_fails() -> None:
    request = load("invoice_paid")
    with pytest.raises(SignatureError) as info:
        StandardWebhooks(secret=SECRET).verify(with_body(request, request.body + b" "), now=NOW)
    assert info.value.reason == "bad_signature"


def test_wrong_secret_fails() -> None:
    with pytest.raises(SignatureError):
        StandardWebhooks(secret=OLD_SECRET).verify(load("invoice_paid"), now=NOW)


def test_the_signed_id_and_timestamp_cannot_be_swapped() -> None:
    provider = StandardWebhooks(secret=SECRET)
    with pytest.raises(SignatureError):
        provider.verify(load("invoice_paid", webhook_id="msg_other"), now=NOW)
    with pytest.raises(SignatureError):
        provider.verify(load("invoice_paid", webhook_timestamp=str(int(NOW) + 1)), now=NOW)


@pytest.mark.parametrize(
    ("offset", "ok"), [(-300, True), (300, True), (-301, False), (301, False), (400, False)]
)
def test_window_is_300_seconds_both_ways(offset: float, ok: bool) -> None:
    # offset = timestamp - now: negative means the delivery is old, positive from the future.
    provider = StandardWebhooks(secret=SECRET)
    if ok:
        assert provider.verify(load("invoice_paid"), now=NOW - offset) == 0
        return
    with pytest.raises(StaleTimestamp) as info:
        provider.verify(load("invoice_paid"), now=NOW - offset)
    assert info.value.reason == "stale_timestamp"
    assert info.value.skew == -offset


def test_tolerance_is_configurable_and_zero_turns_it_off() -> None:
    with pytest.raises(StaleTimestamp):
        StandardWebhooks(secret=SECRET, tolerance=10).verify(load("invoice_paid"), now=NOW + 11)
    assert StandardWebhooks(secret=SECRET, tolerance=0).verify(load("invoice_paid"), now=NOW + 10**6) == 0


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"webhook_signature": None}, "missing_signature"),
        ({"webhook_id": None}, "missing_id"),
        ({"webhook_timestamp": None}, "missing_timestamp"),
        ({"webhook_timestamp": "yesterday"}, "bad_timestamp"),
        ({"webhook_signature": ""}, "missing_signature"),
    ],
)
def test_missing_or_malformed_headers(changes: dict[str, str | None], reason: str) -> None:
    with pytest.raises(SignatureError) as info:
        StandardWebhooks(secret=SECRET).verify(load("invoice_paid", **changes), now=NOW)
    assert info.value.reason == reason


def test_wrong_content_type_is_415_after_verifying() -> None:
    request = load("invoice_paid", content_type="text/plain")
    with pytest.raises(UnsupportedContentType):
        receive(StandardWebhooks(secret=SECRET), request, endpoint="/std", now=NOW)


def test_topic_field_is_configurable_and_required() -> None:
    provider = StandardWebhooks(secret=SECRET, topic="data.id")
    delivery = receive(provider, load("invoice_paid"), endpoint="/std", now=NOW)
    assert isinstance(delivery, Delivery) and delivery.topic == "inv_1"
    with pytest.raises(PayloadError) as info:
        receive(StandardWebhooks(secret=SECRET, topic="kind"), load("invoice_paid"), endpoint="/std", now=NOW)
    assert info.value.reason == "missing_topic"


def test_secrets_never_show() -> None:
    provider = StandardWebhooks(secret=[SECRET, OLD_SECRET])
    assert "MfKQ9r8" not in repr(provider) and "2 hidden" in repr(provider)
    with pytest.raises(ConfigurationError) as info:
        StandardWebhooks(secret="whsec_not*base64*at*all")
    assert "not*base64" not in str(info.value)
    with pytest.raises(SignatureError) as failure:
        provider.verify(load("invoice_paid", webhook_id="x"), now=NOW)
    assert "MfKQ9r8" not in failure.value.detail


# -- properties ----------------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=60)
@given(
    payload=st.dictionaries(st.text(max_size=8), _json, max_size=5),
    topic=st.text(min_size=1),
    flip=st.integers(min_value=0),
)
def test_sign_verify_round_trip_and_any_flipped_byte_fails(
    payload: dict[str, Any], topic: str, flip: int
) -> None:
    provider = StandardWebhooks(secret=SECRET)
    request = provider.sign(payload, topic=topic, delivery_id="msg_h", timestamp=NOW, url=URL)
    delivery = receive(provider, request, endpoint="/std", now=NOW)
    assert isinstance(delivery, Delivery) and delivery.topic == topic
    body = bytearray(request.body)
    body[flip % len(body)] ^= 0x01
    with pytest.raises(SignatureError):
        provider.verify(with_body(request, bytes(body)), now=NOW)


# -- through the ASGI app ------------------------------------------------------------------


def app(provider: StandardWebhooks) -> tuple[HookReceiver, list[Delivery]]:
    hooks = memory_receiver(NOW)
    seen: list[Delivery] = []
    hooks.endpoint("/webhooks/std", provider).on("invoice.*")(seen.append)
    return hooks, seen


async def send(hooks: HookReceiver, request: HttpRequest) -> httpx.Response:
    async with asgi_client(hooks, "https://example.com") as client:
        return await client.request(
            request.method, request.url, content=request.body, headers=dict(request.headers)
        )


@pytest.mark.anyio
async def test_asgi_accepts_then_dedupes_the_vector() -> None:
    hooks, _ = app(StandardWebhooks(secret=SECRET))
    first = await send(hooks, load("invoice_paid"))
    assert first.status_code == 200 and first.json()["status"] == "accepted"
    again = await send(hooks, load("invoice_paid_svix"))
    assert again.status_code == 200 and again.json()["status"] == "duplicate"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("request_", "status", "reason"),
    [
        (with_body(load("invoice_paid"), b'{"type":"invoice.paid"}'), 401, "bad_signature"),
        (load("invoice_paid_svix", svix_signature=None), 401, "missing_signature"),
        (load("invoice_paid", webhook_timestamp=str(int(NOW) - 1000)), 401, "bad_signature"),
    ],
)
async def test_asgi_rejections(request_: HttpRequest, status: int, reason: str) -> None:
    hooks, _ = app(StandardWebhooks(secret=SECRET))
    response = await send(hooks, request_)
    assert (response.status_code, response.json()["error"]) == (status, reason)


@pytest.mark.anyio
async def test_asgi_stale_delivery_is_401_with_the_reason() -> None:
    hooks, _ = app(Svix(secret=SECRET))
    request = Svix(secret=SECRET).sign({}, topic="invoice.paid", timestamp=NOW - 301, url=URL)
    response = await send(hooks, request)
    assert response.status_code == 401 and response.json()["error"] == "stale_timestamp"


def test_registered_by_name() -> None:
    assert PROVIDERS["standard-webhooks"] is StandardWebhooks and PROVIDERS["svix"] is Svix


@pytest.mark.parametrize("cls", [StandardWebhooks, Svix])
def test_peek_delivery_id_reads_webhook_id_or_svix_id(cls: type[StandardWebhooks]) -> None:
    provider = cls(secret=OLD_SECRET)  # not the signing secret: peeking checks nothing
    assert provider.peek_delivery_id(load("invoice_paid")) == "msg_2Ye6kZ9wQ0yQ3n6rJbJ8sN2xYzA"
    assert provider.peek_delivery_id(load("invoice_paid_svix")) == "msg_2Ye6kZ9wQ0yQ3n6rJbJ8sN2xYzA"
    assert provider.peek_delivery_id(load("invoice_paid", webhook_id=None)) is None


# -- v1a (Ed25519) -------------------------------------------------------------------------
# No Standard Webhooks library verifies v1a (they skip it); libsodium, through PyNaCl, is the
# independent check here, on the same key pair the testing kit makes.

V1A = key_pair("standard-webhooks", "v1a test")


def test_v1a_signatures_verify_with_libsodium_and_here() -> None:
    signer = StandardWebhooks(secret=V1A.private)
    request = signer.sign(
        {"data": {"id": 1}}, topic="invoice.paid", delivery_id="msg_1", timestamp=NOW, url=URL
    )
    version, _, signature = request.headers["webhook-signature"].partition(",")
    assert version == "v1a"
    public = base64.b64decode(V1A.public.removeprefix("whpk_"))
    signed = b"msg_1." + str(int(NOW)).encode() + b"." + request.body
    nacl.signing.VerifyKey(public).verify(signed, base64.b64decode(signature))
    delivery = receive(StandardWebhooks(secret=[SECRET, V1A.public]), request, endpoint="/s", now=NOW)
    assert isinstance(delivery, Delivery)
    assert (delivery.delivery_id, delivery.secret_index) == ("msg_1", 1)


def test_v1a_signed_by_libsodium_is_accepted() -> None:
    seed = base64.b64decode(V1A.private.removeprefix("whsk_"))
    sodium = nacl.signing.SigningKey(seed)
    body = b'{"type":"user.created"}'
    signature = base64.b64encode(sodium.sign(b"msg_2.1700000000." + body).signature).decode()
    headers = {
        "content-type": "application/json",
        "webhook-id": "msg_2",
        "webhook-timestamp": "1700000000",
        "webhook-signature": f"v1,AAAA v1a,{signature}",
    }
    request = HttpRequest("POST", URL, "/std", headers, "", body)
    assert StandardWebhooks(secret=V1A.public).verify(request, now=NOW) == 0
    # libsodium's 64-byte secret key (seed + public key) is a whsk_ too.
    long_form = "whsk_" + base64.b64encode(bytes(sodium) + bytes(sodium.verify_key)).decode()
    assert StandardWebhooks(secret=long_form).verify(request, now=NOW) == 0


def test_v1a_rejections() -> None:
    signer = StandardWebhooks(secret=V1A.private)
    request = signer.sign({"x": 1}, topic="t", delivery_id="m", timestamp=NOW, url=URL)
    receiver = StandardWebhooks(secret=V1A.public)
    with pytest.raises(SignatureError, match="does not match"):
        receiver.verify(with_body(request, request.body + b" "), now=NOW)
    with pytest.raises(SignatureError, match="does not match"):  # the id is signed
        receiver.verify(replace(request, headers={**request.headers, "webhook-id": "n"}), now=NOW)
    with pytest.raises(SignatureError, match="does not match"):  # wrong key
        StandardWebhooks(secret=key_pair("standard-webhooks", "other").public).verify(request, now=NOW)
    with pytest.raises(StaleTimestamp):
        receiver.verify(request, now=NOW + 301)
    # A v1 (HMAC) signature does not satisfy an endpoint holding only a public key, nor the reverse.
    hmac_signed = StandardWebhooks(secret=SECRET).sign({"x": 1}, topic="t", timestamp=NOW, url=URL)
    with pytest.raises(SignatureError, match="no v1a"):
        receiver.verify(hmac_signed, now=NOW)
    with pytest.raises(SignatureError, match="no v1 signature"):
        StandardWebhooks(secret=SECRET).verify(request, now=NOW)


@pytest.mark.parametrize("bad", ["whpk_AAAA", "whsk_AAAA", "whpk_***", "whsk_" + "A" * 86 + "=="])
def test_v1a_bad_keys_are_configuration_errors(bad: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        StandardWebhooks(secret=bad)
    assert bad[5:] not in str(caught.value)


def test_a_public_key_cannot_sign_and_keys_stay_hidden() -> None:
    with pytest.raises(ConfigurationError, match="private key"):
        StandardWebhooks(secret=V1A.public).sign({}, topic="t", timestamp=NOW, url=URL)
    text = repr(Svix(secret=[V1A.private, V1A.public, SECRET]))
    assert "3 hidden" in text and V1A.public[5:] not in text and V1A.private[5:] not in text
