"""build_request: every provider, every shipped sample, signed so that our receiving side accepts it."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hookreceiver import Delivery, PayloadError, SignatureError
from hookreceiver.core.delivery import HttpRequest
from hookreceiver.providers import PROVIDERS, Stripe, receive
from hookreceiver.providers.base import Provider
from hookreceiver.testing import (
    DEFAULT_TOPICS,
    build_request,
    new_delivery_id,
    provider_named,
    sample,
    sample_topics,
)
from hookreceiver.testing.keys import key_pair

NOW = 1_700_000_000.0
URL = "https://hooks.example.com/in?tenant=7"
SECRETS = {
    "adyen": "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056",
    "standard-webhooks": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "svix": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    # Key-signed providers sign with a test private key (they verify with its public half).
    "discord": key_pair("discord", "one").private,
    "sendgrid": key_pair("sendgrid", "one").private,
    "postmark": "hooks:postmark-test-secret",
}  # basic auth: user:password
# Another secret of the same form, which must be refused.
OTHER_SECRETS = {
    "adyen": "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
    "standard-webhooks": "whsec_dGhpcyBpcyBhbm90aGVyIHNlY3JldCE=",
    "svix": "whsec_dGhpcyBpcyBhbm90aGVyIHNlY3JldCE=",
    "discord": key_pair("discord", "two").private,
    "sendgrid": key_pair("sendgrid", "two").private,
    "postmark": "hooks:another-secret",
}
# Token schemes whose check covers no body bytes (Mailgun signs only a timestamp and token;
# Feishu without an Encrypt Key checks only the token in the body; Adyen signs eight fields of each
# item, so a flipped byte elsewhere, in eventDate say, is not detected).
BODY_UNSIGNED = {"adyen", "feishu", "gitlab", "lark", "mailgun", "postmark", "telegram"}
# Fields the providers' sign() writes themselves (topic, id, envelope fields).
RESERVED = {
    "type",
    "id",
    "object",
    "created",
    "livemode",
    "action",
    "object_kind",
    "object_attributes",
    "data",
}
CASES = [(name, topic) for name in sorted(PROVIDERS) for topic in sample_topics(name)]


def secret_for(name: str) -> str:
    return SECRETS.get(name, f"{name}-test-secret")


def receiving(name: str, secret: str | None = None) -> Provider:
    provider: Any = PROVIDERS[name](secret=secret or secret_for(name))
    assert isinstance(provider, Provider)
    return provider


def accept(name: str, request: HttpRequest, *, secret: str | None = None) -> Delivery:
    result = receive(receiving(name, secret), request, endpoint="/in", now=NOW)
    assert isinstance(result, Delivery), result
    return result


def test_every_provider_ships_samples_and_a_default_topic() -> None:
    assert set(DEFAULT_TOPICS) == set(PROVIDERS)
    for name, topic in DEFAULT_TOPICS.items():
        assert topic in sample_topics(name), name


@pytest.mark.parametrize(("name", "topic"), CASES, ids=[f"{n}:{t}" for n, t in CASES])
def test_sample_requests_are_accepted_with_their_topic(name: str, topic: str) -> None:
    request = build_request(name, secret=secret_for(name), topic=topic, timestamp=NOW, url=URL)
    delivery = accept(name, request)
    assert topic in delivery.topics
    assert delivery.topic.startswith(topic.split(".")[0])
    assert request.url.startswith(URL)  # the URL (and its query) is the one given


@pytest.mark.parametrize("name", sorted(set(PROVIDERS) - BODY_UNSIGNED))
def test_a_flipped_body_byte_fails_verification(name: str) -> None:
    request = build_request(name, secret=secret_for(name), timestamp=NOW, url=URL)
    body = bytearray(request.body)
    body[len(body) // 2] ^= 0x01
    tampered = HttpRequest(
        request.method, request.url, request.path, request.headers, request.query_string, bytes(body)
    )
    with pytest.raises((SignatureError, PayloadError)):
        accept(name, tampered)


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_another_secret_is_refused(name: str) -> None:
    request = build_request(name, secret=secret_for(name), timestamp=NOW, url=URL)
    other = OTHER_SECRETS.get(name, "another-secret")
    with pytest.raises(SignatureError):
        accept(name, request, secret=other)


def test_delivery_id_and_payload_pass_through() -> None:
    payload = {"data": {"object": {"id": "in_42", "amount_paid": 5}}}
    request = build_request(
        "stripe", payload, secret="whsec_x", topic="invoice.paid", delivery_id="evt_given", timestamp=NOW
    )
    delivery = accept("stripe", request, secret="whsec_x")
    assert (delivery.delivery_id, delivery.topic) == ("evt_given", "invoice.paid")
    assert delivery.payload["data"]["object"] == {"id": "in_42", "amount_paid": 5}
    assert delivery.sent_at == NOW


def test_topic_defaults_to_the_payloads_type_then_to_the_providers_usual_one() -> None:
    typed = build_request(
        "stripe", {"type": "customer.created", "data": {"object": {}}}, secret="whsec_x", timestamp=NOW
    )
    assert accept("stripe", typed, secret="whsec_x").topic == "customer.created"
    default = build_request("github", secret="github-test-secret", timestamp=NOW)
    assert accept("github", default).topic == "push"
    with pytest.raises(ValueError, match="pass topic="):
        build_request("github", {"zen": "no type here"}, secret="s", timestamp=NOW)


def test_a_configured_provider_signs_with_its_own_secret_and_index() -> None:
    provider = Stripe(secret=["whsec_new", "whsec_old"])
    request = build_request(provider, topic="invoice.paid", timestamp=NOW, secret_index=1)
    assert accept("stripe", request, secret="whsec_old").secret_index == 0
    rotated = receive(provider, request, endpoint="/in", now=NOW)
    assert isinstance(rotated, Delivery) and rotated.secret_index == 1
    with pytest.raises(ValueError, match="only for a provider given by name"):
        build_request(provider, secret="whsec_new", timestamp=NOW)


def test_the_same_inputs_give_the_same_bytes_for_deterministic_providers() -> None:
    first = build_request("stripe", secret="whsec_x", timestamp=NOW)
    again = build_request(Stripe(secret="whsec_x"), timestamp=NOW)
    assert (first.body, dict(first.headers)) == (again.body, dict(again.headers))


def test_timestamp_defaults_to_now() -> None:
    request = build_request("slack", secret="slack-test-secret")
    delivery = receive(receiving("slack"), request, endpoint="/in", now=time.time())
    assert isinstance(delivery, Delivery)


def test_misuse_is_reported_clearly() -> None:
    with pytest.raises(ValueError, match="pass secret="):
        build_request("stripe", timestamp=NOW)
    with pytest.raises(LookupError, match="unknown provider 'nope'"):
        provider_named("nope", "s")
    with pytest.raises(LookupError, match="no stripe sample for topic 'invoice.payed'"):
        build_request("stripe", secret="whsec_x", topic="invoice.payed", timestamp=NOW)


def test_samples_are_fresh_copies() -> None:
    first = sample("stripe", "invoice.paid")
    first["data"]["object"]["amount_paid"] = -1
    assert sample("stripe", "invoice.paid")["data"]["object"]["amount_paid"] == 2000


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(["github", "shopify", "standard-webhooks", "stripe", "gitlab"]),
    extra=st.dictionaries(
        st.text(min_size=1, max_size=12).filter(lambda k: k not in RESERVED), JSON_VALUES, max_size=5
    ),
)
def test_any_json_payload_round_trips(name: str, extra: dict[str, Any]) -> None:
    request = build_request(
        name,
        {"data": {"object": {}}, **extra},
        secret=secret_for(name),
        topic="thing.happened",
        timestamp=NOW,
        url=URL,
    )
    delivery = accept(name, request)
    assert delivery.topic == "thing.happened"
    for key, value in extra.items():
        assert delivery.payload[key] == value


# Samples whose provider carries no delivery id the sender sets: deduplicated by content.
CONTENT_DEDUPED = {
    ("asana", "story.added"),
    ("asana", "task.changed"),
    ("generic", "order.created"),
    ("slack", "block_actions"),
    ("wechat", "event.subscribe"),
}
# Senders that make a new id for every request anyway, as the real ones do.
# Dropbox: the receiver gives every notification a new id (its bodies repeat; see dropbox.py).
RANDOM_IDS = {"dropbox", "gitlab", "standard-webhooks", "svix"}
ID_STYLES = [
    ("stripe", r"evt_[A-Za-z0-9]{24}"),
    ("slack", r"Ev[A-Z0-9]{10}"),
    ("standard-webhooks", r"msg_[A-Za-z0-9]{27}"),
    ("svix", r"msg_[A-Za-z0-9]{27}"),
    ("wechat", r"[1-9][0-9]{18}"),
    ("github", r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"),
    ("twilio", r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"),
]


@pytest.mark.parametrize(("name", "pattern"), ID_STYLES)
def test_new_delivery_ids_look_like_the_providers_own(name: str, pattern: str) -> None:
    ids = {new_delivery_id(name) for _ in range(20)}
    assert len(ids) == 20
    assert all(re.fullmatch(pattern, i) for i in ids), ids


@pytest.mark.parametrize(("name", "topic"), CASES, ids=[f"{n}:{t}" for n, t in CASES])
def test_fresh_id_makes_each_request_a_new_delivery(name: str, topic: str) -> None:
    def delivery_id(fresh: bool) -> str:
        request = build_request(
            name, secret=secret_for(name), topic=topic, timestamp=NOW, url=URL, fresh_id=fresh
        )
        return accept(name, request).delivery_id

    if name not in RANDOM_IDS:
        assert delivery_id(False) == delivery_id(False)  # by default: same inputs, same delivery
    if (name, topic) in CONTENT_DEDUPED:
        assert delivery_id(True) == delivery_id(False)  # no id to renew: documented
    else:
        first, second = delivery_id(True), delivery_id(True)
        assert first != second and delivery_id(False) not in (first, second)


def test_fresh_id_and_delivery_id_together_are_refused() -> None:
    with pytest.raises(ValueError, match="not both"):
        build_request("stripe", secret="whsec_x", delivery_id="evt_1", fresh_id=True)
