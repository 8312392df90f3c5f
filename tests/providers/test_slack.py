"""Slack: known-answer vectors, slack_sdk both ways, the three request kinds, failures, ASGI."""

from __future__ import annotations

import json
import logging
from functools import partial
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from slack_sdk.signature import Clock, SignatureVerifier

from hookreceiver.core.delivery import Delivery, HttpRequest, Reply
from hookreceiver.exceptions import (
    DeliveryError,
    PayloadError,
    SignatureError,
    StaleTimestamp,
    UnsupportedContentType,
)
from hookreceiver.providers import PROVIDERS, Slack, receive
from tests.helpers import asgi_client
from tests.providers.helpers import load_sample, memory_receiver, with_body

SECRET = "slack_signing_secret_test"
DOCS_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
T = 1700000000.0
CHALLENGE = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"


class PinnedClock(Clock):
    def __init__(self, now: float) -> None:
        self.pinned = now

    def now(self) -> float:
        return self.pinned


load = partial(load_sample, "slack", path="/slack")


def sdk_signed(body: bytes, content_type: str, *, secret: str = SECRET, ts: int = int(T)) -> HttpRequest:
    signature = SignatureVerifier(secret).generate_signature(timestamp=str(ts), body=body)
    assert signature is not None
    headers = {
        "content-type": content_type,
        "x-slack-request-timestamp": str(ts),
        "x-slack-signature": signature,
    }
    return HttpRequest("POST", "https://example.com/slack", "/slack", headers, "", body)


# -- known answers -------------------------------------------------------------------------


def test_slacks_own_example_is_a_slash_command() -> None:
    request = load("slash_command_docs_example")
    delivery = receive(Slack(secret=DOCS_SECRET), request, endpoint="/s", now=1531420618)
    assert isinstance(delivery, Delivery)
    assert delivery.topic == "command./webhook-collect"
    assert delivery.topics == ("command./webhook-collect", "command")
    assert delivery.id_source == "body_hash"
    assert delivery.meta == {"team_id": "T1DC2JH3J", "user_id": "U2CERLKJA", "channel_id": "G8PSS9T3V"}


def test_url_verification_is_answered_after_verifying() -> None:
    reply = receive(Slack(secret=SECRET), load("url_verification"), endpoint="/s", now=T)
    assert isinstance(reply, Reply) and reply.secret_index == 0
    rotated = receive(Slack(secret=["newer", SECRET]), load("url_verification"), endpoint="/s", now=T)
    assert isinstance(rotated, Reply) and rotated.secret_index == 1
    assert isinstance(reply, Reply)
    assert reply.status == 200 and json.loads(reply.body) == {"challenge": CHALLENGE}
    with pytest.raises(SignatureError):
        receive(Slack(secret="wrong"), load("url_verification"), endpoint="/s", now=T)


def test_interactivity_payload() -> None:
    delivery = receive(Slack(secret=SECRET), load("block_actions"), endpoint="/s", now=T)
    assert isinstance(delivery, Delivery)
    assert delivery.topics == ("block_actions.approve", "block_actions")
    assert delivery.payload["trigger_id"] == "12466734323.1395872398"
    assert delivery.id_source == "body_hash"
    assert delivery.meta == {"team_id": "T9TK3CUKW", "user_id": "UA8RXUSPL"}


def test_rotation_reports_the_matching_index() -> None:
    assert Slack(secret=["new", "newer", SECRET]).verify(load("block_actions"), now=T) == 2


# -- Events API ----------------------------------------------------------------------------


def envelope(event: dict[str, Any], **extra: Any) -> bytes:
    body = {
        "token": "x",
        "team_id": "T1",
        "api_app_id": "A1",
        "type": "event_callback",
        "event_id": "Ev123",
        "event_time": int(T),
        "event": event,
        **extra,
    }
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    ("event", "topics"),
    [
        ({"type": "app_mention", "text": "hi"}, ("app_mention",)),
        ({"type": "message", "subtype": "channel_join"}, ("message.channel_join", "message")),
        ({"type": "message", "subtype": None}, ("message",)),
    ],
)
def test_event_callback_topics(event: dict[str, Any], topics: tuple[str, ...]) -> None:
    request = sdk_signed(envelope(event), "application/json")
    delivery = receive(Slack(secret=SECRET), request, endpoint="/s", now=T)
    assert isinstance(delivery, Delivery)
    assert delivery.topics == topics
    assert (delivery.delivery_id, delivery.sent_at) == ("Ev123", T)
    assert delivery.meta == {"team_id": "T1", "api_app_id": "A1"}


def test_retry_headers_land_in_meta() -> None:
    request = sdk_signed(envelope({"type": "app_mention"}), "application/json")
    headers = {**request.headers, "x-slack-retry-num": "2", "x-slack-retry-reason": "http_timeout"}
    retried = HttpRequest("POST", request.url, request.path, headers, "", request.body)
    delivery = receive(Slack(secret=SECRET), retried, endpoint="/s", now=T)
    assert isinstance(delivery, Delivery)
    assert delivery.meta["retry_num"] == "2" and delivery.meta["retry_reason"] == "http_timeout"
    assert delivery.delivery_id == "Ev123"  # a retry dedupes against the first attempt


def test_event_callback_without_event_type() -> None:
    request = sdk_signed(envelope({"text": "no type"}), "application/json")
    with pytest.raises(PayloadError) as caught:
        receive(Slack(secret=SECRET), request, endpoint="/s", now=T)
    assert caught.value.reason == "missing_topic"


def test_app_rate_limited_is_a_topic_of_its_own() -> None:
    body = json.dumps(
        {
            "token": "x",
            "type": "app_rate_limited",
            "team_id": "T1",
            "minute_rate_limited": 1518467820,
            "api_app_id": "A1",
        }
    ).encode()
    delivery = receive(Slack(secret=SECRET), sdk_signed(body, "application/json"), endpoint="/s", now=T)
    assert isinstance(delivery, Delivery) and delivery.topic == "app_rate_limited"


# -- interactivity and commands ------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "topics"),
    [
        (
            {"type": "view_submission", "view": {"callback_id": "deploy_form"}},
            ("view_submission.deploy_form", "view_submission"),
        ),
        ({"type": "shortcut", "callback_id": "open_ticket"}, ("shortcut.open_ticket", "shortcut")),
        ({"type": "block_suggestion", "action_id": "pick"}, ("block_suggestion.pick", "block_suggestion")),
        ({"type": "view_closed", "view": {}}, ("view_closed",)),
    ],
)
def test_interaction_topics(payload: dict[str, Any], topics: tuple[str, ...]) -> None:
    body = urlencode({"payload": json.dumps(payload)}).encode()
    request = sdk_signed(body, "application/x-www-form-urlencoded")
    delivery = receive(Slack(secret=SECRET), request, endpoint="/s", now=T)
    assert isinstance(delivery, Delivery) and delivery.topics == topics


def test_ssl_check_is_answered_empty() -> None:
    body = b"ssl_check=1&token=xyz"
    reply = receive(
        Slack(secret=SECRET), sdk_signed(body, "application/x-www-form-urlencoded"), endpoint="/s", now=T
    )
    assert isinstance(reply, Reply) and (reply.status, reply.body) == (200, b"")


def test_url_verification_without_challenge_is_refused() -> None:
    body = json.dumps({"type": "url_verification", "token": "x"}).encode()
    with pytest.raises(PayloadError):
        receive(Slack(secret=SECRET), sdk_signed(body, "application/json"), endpoint="/s", now=T)


# -- slack_sdk both ways -------------------------------------------------------------------


@pytest.mark.parametrize(
    "topic",
    [
        "app_mention",
        "message.bot_message",
        "block_actions.approve",
        "view_submission.form",
        "command./deploy",
        "url_verification",
    ],
)
def test_our_signer_verifies_with_slack_sdk_and_round_trips(topic: str) -> None:
    provider = Slack(secret=["slack_new", SECRET])
    request = provider.sign(
        {"text": "hello"}, topic=topic, delivery_id="EvX", timestamp=T, url="https://e/slack", secret_index=1
    )
    verifier = SignatureVerifier(SECRET, clock=PinnedClock(T))
    assert verifier.is_valid_request(request.body, dict(request.headers))
    assert not SignatureVerifier("slack_new", clock=PinnedClock(T)).is_valid_request(
        request.body, dict(request.headers)
    )
    outcome = receive(provider, request, endpoint="/s", now=T)
    if topic == "url_verification":
        assert isinstance(outcome, Reply)
    else:
        assert isinstance(outcome, Delivery)
        assert (outcome.topic, outcome.secret_index) == (topic, 1)


@given(text=st.text(max_size=40), flip=st.integers(min_value=0))
def test_sdk_signature_verifies_with_ours_and_a_flipped_byte_fails(text: str, flip: int) -> None:
    request = sdk_signed(envelope({"type": "message", "text": text}), "application/json")
    assert Slack(secret=SECRET).verify(request, now=T) == 0
    body = bytearray(request.body)
    body[flip % len(body)] ^= 0x04
    with pytest.raises(SignatureError):
        Slack(secret=SECRET).verify(with_body(request, bytes(body)), now=T)


# -- failures ------------------------------------------------------------------------------


@pytest.mark.parametrize(("now", "skew"), [(T + 301, 301.0), (T - 301, -301.0)])
def test_stale_and_future_timestamps(now: float, skew: float) -> None:
    with pytest.raises(StaleTimestamp) as caught:
        Slack(secret=SECRET).verify(load("block_actions"), now=now)
    assert caught.value.skew == skew
    # slack_sdk agrees
    request = load("block_actions")
    assert not SignatureVerifier(SECRET, clock=PinnedClock(now)).is_valid_request(
        request.body, dict(request.headers)
    )


@pytest.mark.parametrize("now", [T + 300, T - 300])
def test_window_edges_pass(now: float) -> None:
    assert Slack(secret=SECRET).verify(load("block_actions"), now=now) == 0


def test_window_is_configurable() -> None:
    with pytest.raises(StaleTimestamp):
        Slack(secret=SECRET, tolerance=30).verify(load("block_actions"), now=T + 31)
    assert Slack(secret=SECRET, tolerance=0).verify(load("block_actions"), now=T + 10**6) == 0


def test_signed_timestamp_cannot_be_swapped() -> None:
    request = load("block_actions", x_slack_request_timestamp=str(int(T) + 10))
    with pytest.raises(SignatureError) as caught:
        Slack(secret=SECRET).verify(request, now=T + 10)
    assert caught.value.reason == "bad_signature"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"x_slack_signature": None}, "missing_signature"),
        ({"x_slack_request_timestamp": None}, "missing_timestamp"),
        ({"x_slack_request_timestamp": "soon"}, "bad_timestamp"),
        ({"x_slack_signature": "v1=" + "0" * 64}, "bad_signature"),
        ({"x_slack_signature": "v0=xyz"}, "bad_signature"),
    ],
)
def test_missing_or_malformed_headers(changes: dict[str, str | None], reason: str) -> None:
    with pytest.raises(SignatureError) as caught:
        Slack(secret=SECRET).verify(load("block_actions", **changes), now=T)
    assert caught.value.reason == reason


def test_tampered_body_and_wrong_secret() -> None:
    request = load("block_actions")
    with pytest.raises(SignatureError):
        Slack(secret=SECRET).verify(with_body(request, request.body + b"&x=1"), now=T)
    with pytest.raises(SignatureError) as caught:
        Slack(secret="slack_wrong").verify(request, now=T)
    assert "slack_wrong" not in str(caught.value)


def test_xml_is_refused() -> None:
    request = sdk_signed(b"<xml/>", "text/xml")
    with pytest.raises(UnsupportedContentType):
        receive(Slack(secret=SECRET), request, endpoint="/s", now=T)


def test_repr_and_registry() -> None:
    assert SECRET not in repr(Slack(secret=SECRET))
    assert PROVIDERS["slack"] is Slack


# -- through the ASGI app ------------------------------------------------------------------


@pytest.mark.anyio
async def test_asgi_handshake_events_and_rejections(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hookreceiver")
    ran: list[str] = []
    hooks = memory_receiver(T)
    endpoint = hooks.endpoint("/slack", Slack(secret=SECRET))
    endpoint.on("message")(lambda d: ran.append(d.topic))
    endpoint.on("block_actions.*")(lambda d: ran.append(d.topic))
    join = sdk_signed(envelope({"type": "message", "subtype": "channel_join"}), "application/json")
    stale = sdk_signed(envelope({"type": "message"}), "application/json", ts=int(T) - 400)
    async with asgi_client(hooks, "http://test") as client:

        async def post(request: HttpRequest) -> httpx.Response:
            return await client.post("/slack", content=request.body, headers=dict(request.headers))

        handshake = await post(load("url_verification"))
        assert handshake.status_code == 200 and handshake.json() == {"challenge": CHALLENGE}
        assert "handshake answered endpoint=/slack status=200 secret_index=0" in caplog.text
        forged = load("url_verification", x_slack_signature="v0=" + "1" * 64)
        rejected = await post(forged)
        assert rejected.status_code == 401 and CHALLENGE not in rejected.text
        assert (await post(join)).json()["status"] == "accepted"
        assert (await post(join)).json()["status"] == "duplicate"
        assert (await post(load("block_actions"))).json()["topic"] == "block_actions.approve"
        too_old = await post(stale)
        assert too_old.status_code == 401 and too_old.json()["error"] == "stale_timestamp"
    await hooks.worker.run_once()
    assert sorted(ran) == ["block_actions.approve", "message.channel_join"]


# -- odd values in signed fields -----------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.builds(lambda n: 10**n, st.integers(0, 400))
    | st.floats()
    | st.text()
    | st.sampled_from(["\u00b2", "9" * 400, "1e999", "nan"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)


@pytest.mark.parametrize(
    ("event_time", "sent_at"),
    [
        (10**400, None),  # (an infinite float is refused earlier, as non-standard JSON)
        (True, None),
        ("1700000000", None),
        (1700000000, T),
        (1700000000.5, T + 0.5),
    ],
)
def test_event_time_is_a_finite_number_or_nothing(event_time: Any, sent_at: float | None) -> None:
    request = sdk_signed(envelope({"type": "app_mention"}, event_time=event_time), "application/json")
    delivery = receive(Slack(secret=SECRET), request, endpoint="/s", now=T)
    assert isinstance(delivery, Delivery) and delivery.sent_at == sent_at


def test_an_out_of_range_timestamp_header_is_a_401() -> None:
    request = sdk_signed(envelope({"type": "app_mention"}), "application/json", ts=10**400)
    with pytest.raises(SignatureError) as info:
        receive(Slack(secret=SECRET), request, endpoint="/s", now=T)
    assert info.value.reason == "bad_timestamp"


@given(value=JSON_VALUES, field=st.sampled_from(["event_time", "event_id", "type", "event", "command"]))
@example(value=10**400, field="event_time")
@example(value=-(10**309), field="event_time")
@example(value=float("nan"), field="event_time")
def test_any_json_value_in_signed_fields_is_only_ever_a_delivery_error(value: Any, field: str) -> None:
    body = json.loads(envelope({"type": "app_mention"}))
    body[field] = value
    request = sdk_signed(json.dumps(body).encode(), "application/json")
    try:  # anything but a DeliveryError fails the test
        receive(Slack(secret=SECRET), request, endpoint="/s", now=T)
    except DeliveryError:
        pass
