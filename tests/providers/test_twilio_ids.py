"""Twilio: delivery ids from signed content only, replays, repeated parameters, malformed URLs."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlencode, urlsplit

import pytest
from twilio.request_validator import RequestValidator

from hookreceiver import HookReceiver
from hookreceiver.core.delivery import Delivery, HttpRequest
from hookreceiver.exceptions import PayloadError
from hookreceiver.providers import Twilio, receive
from hookreceiver.providers.twilio import canonical_url, content_id, url_variants
from tests.helpers import asgi_client
from tests.providers.helpers import load_sample, memory_receiver

TOKEN = "12345"
OTHER = "67890"
NOW = 1700000000.0
URL = "https://h.example/s"
SMS = {
    "MessageSid": "SM0001",
    "SmsStatus": "received",
    "From": "+15550001111",
    "To": "+15550002222",
    "Body": "hello",
    "AccountSid": "AC0001",
}


def form(params: list[tuple[str, str]], *, url: str = URL, **headers: str) -> HttpRequest:
    """A form POST of ``params`` (repeats kept), signed as Twilio's SDK signs it."""
    grouped: dict[str, list[str]] = {}
    for name, value in params:
        grouped.setdefault(name, []).append(value)

    class MultiDict(dict[str, list[str]]):
        def getlist(self, name: str) -> list[str]:
            return self[name]

    signature = RequestValidator(TOKEN).compute_signature(url, MultiDict(grouped))
    parts = urlsplit(url)
    return HttpRequest(
        "POST",
        url,
        parts.path,
        {"content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature, **headers},
        parts.query,
        urlencode(params).encode(),
    )


def accept(request: HttpRequest, provider: Twilio | None = None) -> Delivery:
    delivery = receive(provider or Twilio(secret=TOKEN), request, endpoint="/s", now=NOW)
    assert isinstance(delivery, Delivery)
    return delivery


@pytest.mark.parametrize(
    ("params", "prefix"),
    [
        (SMS, "SM0001:received:"),
        ({"CallSid": "CA9", "CallStatus": "completed"}, "CA9:completed:"),
        ({"CallSid": "CA9"}, "CA9:"),
        ({"Digits": "1"}, ""),
    ],
)
def test_the_delivery_id_is_sid_status_and_a_hash_of_the_signed_content(
    params: dict[str, str], prefix: str
) -> None:
    delivery = accept(form(list(params.items())))
    assert delivery.delivery_id == prefix + content_id(URL, params.items())
    assert delivery.id_source == "provider"


def test_the_idempotency_token_is_kept_in_meta_only() -> None:
    # The token is not signed: as the id, a captured request with a new token was a new delivery.
    ids = set()
    for token in ("idem-1", "idem-2", "idem-3"):
        delivery = accept(form(list(SMS.items()), **{"i-twilio-idempotency-token": token}))
        assert delivery.meta["idempotency_token"] == token
        ids.add(delivery.delivery_id)
    assert ids == {accept(form(list(SMS.items()))).delivery_id}
    assert "idempotency_token" not in accept(form(list(SMS.items()))).meta


def test_repeated_values_that_keep_the_signature_keep_the_id() -> None:
    # Twilio signs a parameter's values as a set: a repeated value changes neither.
    single = form(list(SMS.items()))
    repeated = form([*SMS.items(), ("Body", "hello"), ("From", "+15550001111")])
    assert repeated.headers["x-twilio-signature"] == single.headers["x-twilio-signature"]
    assert accept(repeated).delivery_id == accept(single).delivery_id


@pytest.mark.parametrize("name", ["MessageSid", "SmsStatus", "AccountSid"])
def test_a_repeated_sid_or_status_is_refused(name: str) -> None:
    with pytest.raises(PayloadError) as info:
        accept(form([*SMS.items(), (name, SMS[name])]))
    assert (info.value.reason, info.value.status_hint) == ("repeated_parameter", 400)


def test_a_repeated_template_parameter_is_refused() -> None:
    provider = Twilio(secret=TOKEN, topic="sms.{SmsStatus}")
    with pytest.raises(PayloadError, match="SmsStatus"):
        accept(form([*SMS.items(), ("SmsStatus", "sent")]), provider)


def test_a_json_body_gets_an_id_from_the_signed_url_which_hashes_the_body() -> None:
    sample = load_sample("twilio", "json_body")
    delivery = accept(sample)
    assert (delivery.delivery_id, delivery.id_source) == (content_id(sample.url, []), "provider")


def test_sign_places_the_delivery_id_in_a_signed_sid() -> None:
    provider = Twilio(secret=TOKEN)
    for topic, field in (("message.received", "MessageSid"), ("call.ringing", "CallSid")):
        request = provider.sign({}, topic=topic, delivery_id="ID1", timestamp=NOW, url=URL)
        delivery = accept(request, provider)
        assert delivery.payload[field] == "ID1" and delivery.delivery_id.startswith("ID1:")
        assert delivery.meta["idempotency_token"] == "ID1"
    other = provider.sign(SMS, topic="message.received", delivery_id="ID2", timestamp=NOW, url=URL)
    assert accept(other, provider).payload["MessageSid"] == "ID2"  # the explicit id wins


def test_peek_names_no_delivery_id() -> None:
    # The token is not the delivery id any more, and the SID is in the unverified body.
    request = Twilio(secret=TOKEN).sign(
        SMS, topic="message.received", delivery_id="idem-7", timestamp=NOW, url=URL
    )
    assert Twilio(secret=OTHER).peek_delivery_id(request) is None


@pytest.mark.parametrize("url", ["http://[::1/sms", "http://::1]/sms", "http://[::1x]/sms"])
def test_an_unparsable_url_is_a_400_not_a_crash(url: str) -> None:
    with pytest.raises(PayloadError) as info:
        url_variants(url)
    assert (info.value.reason, info.value.status_hint) == ("bad_url", 400)
    request = dataclasses.replace(form(list(SMS.items())), url=url)
    with pytest.raises(PayloadError):
        Twilio(secret=TOKEN).verify(request, now=NOW)


# -- through the ASGI app ------------------------------------------------------------------


def app() -> tuple[HookReceiver, list[Delivery]]:
    hooks = memory_receiver(NOW)
    endpoint = hooks.endpoint("/sms", Twilio(secret=TOKEN))
    seen: list[Delivery] = []
    endpoint.on("*")(seen.append)
    return hooks, seen


@pytest.mark.anyio
async def test_asgi_a_signed_get_replayed_with_a_body_is_refused() -> None:
    hooks, _ = app()
    url = "http://internal:8000/sms?MessageSid=SM1&MessageStatus=delivered&AccountSid=AC1"
    signature = RequestValidator(TOKEN).compute_signature(url, {})
    async with asgi_client(hooks, "http://internal:8000") as client:
        target = url.removeprefix("http://internal:8000")
        legit = await client.get(target, headers={"x-twilio-signature": signature})
        forged = await client.request(
            "GET",
            target,
            content=b"MessageSid=SM666&MessageStatus=received&Body=pay+me",
            headers={"x-twilio-signature": signature, "content-type": "application/x-www-form-urlencoded"},
        )
    assert legit.status_code == 200
    assert (forged.status_code, forged.json()["error"]) == (400, "unexpected_body")


@pytest.mark.anyio
async def test_asgi_a_new_idempotency_token_does_not_make_a_new_delivery() -> None:
    hooks, _ = app()
    request = form(list(SMS.items()), url="http://internal:8000/sms")
    key = f"/sms:{accept(request).delivery_id}"
    async with asgi_client(hooks, "http://internal:8000") as client:
        for token in ("idem-1", "idem-2"):
            response = await client.post(
                "/sms", content=request.body, headers={**request.headers, "i-twilio-idempotency-token": token}
            )
            assert response.status_code == 200
    stored = await hooks.store.get(key)
    assert stored is not None and stored.meta["idempotency_token"] == "idem-1"


@pytest.mark.anyio
async def test_asgi_a_malformed_host_is_a_400() -> None:
    hooks, _ = app()
    request = form(list(SMS.items()), url="http://internal:8000/sms")
    async with asgi_client(hooks, "http://internal:8000") as client:
        response = await client.post(
            "/sms", content=request.body, headers={**request.headers, "host": "[::1"}
        )
    assert (response.status_code, response.json()["error"]) == (400, "bad_url")


@pytest.mark.parametrize(
    ("signed_for", "received_as"),
    [
        (
            "https://h.example/s",
            ["https://h.example/s", "https://h.example:443/s", "https://h.example:8443/s"],
        ),
        ("https://h.example:443/s", ["https://h.example:443/s", "https://h.example/s"]),
        ("http://h.example:8080/s?x=1", ["http://h.example:8080/s?x=1"]),
        ("http://[::1]/s", ["http://[::1]/s", "http://[::1]:80/s"]),
    ],
)
def test_every_accepted_url_variant_of_one_signed_request_is_one_delivery(
    signed_for: str, received_as: list[str]
) -> None:
    # Issue 13 item 2: verify accepts the URL with and without its port; the id must not differ.
    signed = form(list(SMS.items()), url=signed_for)
    ids = {accept(dataclasses.replace(signed, url=url)).delivery_id for url in received_as}
    assert len(ids) == 1
    assert ids == {"SM0001:received:" + content_id(canonical_url(signed_for), SMS.items())}


def test_canonical_url_drops_any_port_and_keeps_the_rest() -> None:
    assert canonical_url("https://u:p@h.example:8443/s?a=1") == "https://u:p@h.example/s?a=1"
    assert canonical_url("https://h.example/s") == "https://h.example/s"
    assert canonical_url("http://[::1]:80/s") == "http://[::1]/s"
