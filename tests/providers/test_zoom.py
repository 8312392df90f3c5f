"""Zoom: known-answer vectors checked with Zoom's SDK (samples/zoom), a stdlib one (HMAC-SHA256
over ``v0:{ts}:{body}``, as Zoom documents ``x-zm-signature``), the URL validation answer,
window, rejections."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from hookreceiver.core.delivery import HttpRequest, Reply
from hookreceiver.exceptions import PayloadError, StaleTimestamp
from hookreceiver.providers import PROVIDERS, Slack, Zoom, receive
from tests.providers.cases import accept, flipped, refuse, with_headers
from tests.providers.helpers import load_sample

SECRET = "zoom_secret_token"
T = 1700000000.0
BODY = (
    b'{"event":"meeting.started","payload":{"account_id":"AAAAAABBBB","object":{"id":"95204914252",'
    b'"uuid":"iBHdXn7BQZGw7WZNmvxK+w==","host_id":"30R7kT7bTIKSNUFEuH_Qlg","topic":"Webhook review"}},'
    b'"event_ts":1700000000123}'
)
SIGNATURE = "v0=39b2f3a821869bc7e8f3de9fc220be18c6ae3539c8444cd6d48540e209657c98"
REQUEST = HttpRequest(
    "POST",
    "https://example.com/zoom",
    "/zoom",
    {
        "content-type": "application/json; charset=utf-8",
        "x-zm-request-timestamp": "1700000000",
        "x-zm-signature": SIGNATURE,
    },
    "",
    BODY,
)


def test_known_answer() -> None:
    assert (
        "v0=" + hmac.new(SECRET.encode(), b"v0:1700000000:" + BODY, hashlib.sha256).hexdigest() == SIGNATURE
    )
    delivery = accept(Zoom(secret=SECRET), REQUEST, now=T)
    assert delivery.topic == "meeting.started"
    assert delivery.delivery_id == "meeting.started:1700000000123:iBHdXn7BQZGw7WZNmvxK+w=="
    assert delivery.meta == {
        "account_id": "AAAAAABBBB",
        "object_id": "95204914252",
        "host_id": "30R7kT7bTIKSNUFEuH_Qlg",
    }
    assert PROVIDERS["zoom"] is Zoom


def test_url_validation_is_answered_with_the_matching_secrets_hmac() -> None:
    provider = Zoom(secret=["zoom_new_token", SECRET])
    request = Zoom(secret=SECRET).sign(
        {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"},
        topic="endpoint.url_validation",
        timestamp=T,
        url="https://e/z",
    )
    reply = receive(provider, request, endpoint="/z", now=T)
    assert isinstance(reply, Reply) and reply.secret_index == 1
    assert json.loads(reply.body) == {
        "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
        "encryptedToken": "bd48235863f4a6323ccc4963c594908b7c97f88b4a6a95278f4f093690b12726",
    }
    assert reply.content_type == "application/json"
    # The validation is signed like any event: an unsigned one gets no answer.
    refuse(provider, with_headers(request, x_zm_signature=None), now=T)
    empty = Zoom(secret=SECRET).sign(
        {"plainToken": ""}, topic="endpoint.url_validation", timestamp=T, url="https://e/z"
    )
    assert refuse(provider, empty, now=T, error=PayloadError).reason == "missing_challenge"


@pytest.mark.parametrize(("skew", "ok"), [(300, True), (-300, True), (301, False), (-301, False)])
def test_window(skew: float, ok: bool) -> None:
    if ok:
        assert Zoom(secret=SECRET).verify(REQUEST, now=T + skew) == 0
    else:
        refuse(Zoom(secret=SECRET), REQUEST, now=T + skew, error=StaleTimestamp)


def test_sign_round_trip_and_rejections() -> None:
    provider = Zoom(secret=["new", SECRET])
    request = provider.sign(
        {"id": "1"}, topic="meeting.ended", delivery_id="u-1", timestamp=T, url="https://e/z", secret_index=1
    )
    delivery = accept(provider, request, now=T)
    assert (delivery.topic, delivery.delivery_id, delivery.secret_index) == (
        "meeting.ended",
        "meeting.ended:1700000000000:u-1",
        1,
    )
    refuse(Zoom(secret=SECRET), flipped(REQUEST), now=T)
    refuse(Zoom(secret="wrong"), REQUEST, now=T)
    moved = with_headers(REQUEST, x_zm_request_timestamp="1700000100")
    assert refuse(Zoom(secret=SECRET), moved, now=T + 100).reason == "bad_signature"
    # Slack signs the same "v0:{ts}:{body}" string, but in its own headers.
    slack = Slack(secret=SECRET).sign(
        {"type": "event_callback", "event": {"type": "message"}},
        topic="message",
        timestamp=T,
        url="https://e",
    )
    assert refuse(Zoom(secret=SECRET), slack, now=T).reason == "missing_timestamp"


# -- the vectors checked with @zoom/rivet --------------------------------------------------------

SDK_SECRET = "zoom_secret_token_oracle_3f9a"
SDK_MEETING = {
    "id": "85746065432",
    "host_id": "x1yCzABCDEfg23HiJKl4mN",
    "topic": "Weekly sync",
    "type": 2,
    "start_time": "2023-11-14T22:13:20Z",
    "timezone": "UTC",
    "duration": 30,
}
# what @zoom/rivet's AwsLambdaReceiver answered samples/zoom/url_validation with
SDK_ENCRYPTED_TOKEN = "1feadf5f48af1454fe1cfefff73b3b8110998bbbfeacf8920a7a9e78437dc0a5"


def test_the_vectors_zooms_sdk_accepts() -> None:
    """@zoom/rivet 0.4.0 (Zoom's Node SDK; ``AwsLambdaReceiver`` of ``@zoom/rivet/meetings``,
    whose handler checks ``x-zm-signature``) accepts samples/zoom/meeting_started, refuses it
    with a flipped body byte and under another secret, and answers samples/zoom/url_validation
    with ``SDK_ENCRYPTED_TOKEN``. Re-run: ``npm install --prefix /tmp/oracles @zoom/rivet@0.4.0``
    then ``node tests/providers/oracles/zoom.mjs`` (one ``ok`` per check). Rivet checks the
    signature over ``JSON.stringify`` of the parsed body, so these bodies are in that form."""
    event = load_sample("zoom", "meeting_started")
    delivery = accept(Zoom(secret=SDK_SECRET), event, now=T)
    assert delivery.topic == "meeting.started"
    assert delivery.delivery_id == "meeting.started:1700000000000:4444AAAiAAAAAiAiAiiAii=="
    refuse(Zoom(secret=SDK_SECRET), flipped(event), now=T)
    refuse(Zoom(secret="zoom_other_token"), event, now=T)
    validation = load_sample("zoom", "url_validation")
    reply = receive(Zoom(secret=SDK_SECRET), validation, endpoint="/z", now=T)
    assert isinstance(reply, Reply)
    assert json.loads(reply.body) == {
        "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
        "encryptedToken": SDK_ENCRYPTED_TOKEN,
    }
    refuse(Zoom(secret=SDK_SECRET), flipped(validation), now=T)
    # our sign() makes the same requests from the same inputs
    for name, payload, topic, delivery_id in (
        ("meeting_started", SDK_MEETING, "meeting.started", "4444AAAiAAAAAiAiAiiAii=="),
        ("url_validation", {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"}, "endpoint.url_validation", None),
    ):
        sample = load_sample("zoom", name)
        ours = Zoom(secret=SDK_SECRET).sign(
            dict(payload), topic=topic, delivery_id=delivery_id, timestamp=T, url=sample.url
        )
        assert (ours.body, dict(ours.headers)) == (sample.body, sample.headers), name
