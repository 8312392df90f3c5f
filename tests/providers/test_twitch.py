"""Twitch EventSub: known-answer vectors checked with @twurple/eventsub-http (samples/twitch), a
stdlib one (HMAC-SHA256 over message id + timestamp + body, the algorithm of Twitch's "Verifying
the event message" docs), challenge, revocation, rejections."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from hookreceiver.core.delivery import HttpRequest, Reply
from hookreceiver.exceptions import PayloadError, SignatureError, StaleTimestamp
from hookreceiver.providers import PROVIDERS, GitHub, Twitch, receive
from tests.providers.cases import accept, flipped, refuse, with_headers
from tests.providers.helpers import load_sample

SECRET = "twitch_eventsub_secret"
T = 1700000000.634234
BODY = (
    b'{"subscription":{"id":"f1c2a387-161a-49f9-a165-0f21d7a4e1c4","status":"enabled","type":"channel.follow",'
    b'"version":"2","cost":0,"condition":{"broadcaster_user_id":"1337","moderator_user_id":"1337"},'
    b'"transport":{"method":"webhook","callback":"https://example.com/webhooks/callback"},'
    b'"created_at":"2019-11-16T10:11:12.634234626Z"},"event":{"user_id":"1234","user_login":"cool_user",'
    b'"user_name":"Cool_User","broadcaster_user_id":"1337","broadcaster_user_login":"cooler_user",'
    b'"broadcaster_user_name":"Cooler_User","followed_at":"2020-07-15T18:16:11.17106713Z"}}'
)
MESSAGE_ID = "befa7b53-d79d-478f-86b9-120f112b044e"
STAMP = "2023-11-14T22:13:20.634234626Z"
SIGNATURE = "sha256=cc82b26f2d8453c28b0803c357154dc3dd393d3ab0138805c7f86adde896b34f"
REQUEST = HttpRequest(
    "POST",
    "https://example.com/webhooks/callback",
    "/webhooks/callback",
    {
        "content-type": "application/json",
        "twitch-eventsub-message-id": MESSAGE_ID,
        "twitch-eventsub-message-retry": "0",
        "twitch-eventsub-message-type": "notification",
        "twitch-eventsub-message-signature": SIGNATURE,
        "twitch-eventsub-message-timestamp": STAMP,
        "twitch-eventsub-subscription-type": "channel.follow",
        "twitch-eventsub-subscription-version": "2",
    },
    "",
    BODY,
)


def test_known_answer() -> None:
    message = (MESSAGE_ID + STAMP).encode() + BODY
    assert "sha256=" + hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest() == SIGNATURE
    delivery = accept(Twitch(secret=SECRET), REQUEST, now=T + 5)
    assert (delivery.topic, delivery.delivery_id) == ("channel.follow", MESSAGE_ID)
    assert delivery.sent_at == pytest.approx(T)
    assert delivery.meta["subscription_version"] == "2" and delivery.meta["retry"] == "0"
    assert delivery.meta["broadcaster_user_id"] == "1337"
    assert PROVIDERS["twitch"] is Twitch


def test_the_challenge_is_echoed_as_plain_text_after_verifying() -> None:
    provider = Twitch(secret=["new-secret", SECRET])
    request = Twitch(secret=SECRET).sign(
        {}, topic="webhook_callback_verification.stream.online", timestamp=T, url="https://e/t"
    )
    reply = receive(provider, request, endpoint="/t", now=T)
    challenge = json.loads(request.body)["challenge"]
    assert isinstance(reply, Reply) and reply.body == challenge.encode()
    assert reply.content_type == "text/plain" and reply.secret_index == 1
    refuse(provider, flipped(request), now=T)
    body = json.dumps({"subscription": {"type": "x"}}).encode()
    no_challenge = Twitch(secret=SECRET).sign(
        {}, topic="webhook_callback_verification.x", timestamp=T, url="https://e/t"
    )
    digest = hmac.new(
        SECRET.encode(),
        no_challenge.headers["twitch-eventsub-message-id"].encode()
        + no_challenge.headers["twitch-eventsub-message-timestamp"].encode()
        + body,
        hashlib.sha256,
    ).hexdigest()
    bare = with_headers(
        HttpRequest("POST", no_challenge.url, no_challenge.path, no_challenge.headers, "", body),
        twitch_eventsub_message_signature="sha256=" + digest,
    )
    assert refuse(provider, bare, now=T, error=PayloadError).reason == "missing_challenge"


def test_revocations_are_deliveries() -> None:
    request = Twitch(secret=SECRET).sign(
        {}, topic="revocation.channel.follow", delivery_id="m-9", timestamp=T, url="https://e/t"
    )
    delivery = accept(Twitch(secret=SECRET), request, now=T)
    assert delivery.topics == ("revocation.channel.follow", "revocation")
    assert delivery.meta["status"] == "authorization_revoked" and delivery.delivery_id == "m-9"


@pytest.mark.parametrize(("skew", "ok"), [(600, True), (-600, True), (601, False), (-601, False)])
def test_ten_minute_window(skew: float, ok: bool) -> None:
    if ok:
        assert Twitch(secret=SECRET).verify(REQUEST, now=T + skew) == 0
    else:
        refuse(Twitch(secret=SECRET), REQUEST, now=T + skew, error=StaleTimestamp)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"twitch_eventsub_message_id": None}, "missing_timestamp"),
        ({"twitch_eventsub_message_timestamp": "yesterday"}, "bad_timestamp"),
        ({"twitch_eventsub_message_signature": None}, "missing_signature"),
        ({"twitch_eventsub_message_id": "another-id"}, "bad_signature"),
    ],
)
def test_each_signed_header_matters(changes: dict[str, str | None], reason: str) -> None:
    with pytest.raises(SignatureError) as caught:
        Twitch(secret=SECRET).verify(with_headers(REQUEST, **changes), now=T)
    assert caught.value.reason == reason


def test_rejections() -> None:
    refuse(Twitch(secret=SECRET), flipped(REQUEST), now=T)
    refuse(Twitch(secret="wrong"), REQUEST, now=T)
    unknown = with_headers(REQUEST, twitch_eventsub_message_type="surprise")
    assert refuse(Twitch(secret=SECRET), unknown, now=T, error=PayloadError).reason == "missing_topic"
    github = GitHub(secret=SECRET).sign({}, topic="push", timestamp=T, url="https://e")
    assert refuse(Twitch(secret=SECRET), github, now=T).reason == "missing_timestamp"


# -- the vectors checked with @twurple/eventsub-http ---------------------------------------------

SDK_SECRET = "twitch_eventsub_oracle_secret_91b3"
SDK_T = 1700000000  # an int: the challenge sign() makes is derived from it as given
SDK_FOLLOW = {
    "user_id": "1337",
    "user_login": "awesome_user",
    "user_name": "Awesome_User",
    "broadcaster_user_id": "12826",
    "broadcaster_user_login": "twitch",
    "broadcaster_user_name": "Twitch",
    "followed_at": "2023-11-14T22:13:19.123456789Z",
}
SDK_SAMPLES = {  # sample -> (payload, topic, message id)
    "channel_follow": (SDK_FOLLOW, "channel.follow", "befa7b53-d79d-478f-86b9-120f112b044e"),
    "callback_verification": (
        {},
        "webhook_callback_verification.channel.follow",
        "e76c6bd4-55c9-4987-8304-da1588d8988b",
    ),
}


def test_the_vectors_twurple_accepts() -> None:
    """@twurple/eventsub-http 8.1.4's ``EventSubMiddleware`` (its own request handler, served on
    127.0.0.1 for a channel.follow subscription, clock at the message timestamp) answers
    samples/twitch/channel_follow 202 and runs the handler, drops it 601 s later, answers
    samples/twitch/callback_verification with the challenge, and refuses either with a flipped
    byte (410) or under another secret. Re-run: ``npm install --prefix /tmp/oracles
    @twurple/eventsub-http@8.1.4 @twurple/api@8.1.4`` then ``node
    tests/providers/oracles/twitch.mjs`` (one ``ok`` per check)."""
    follow = load_sample("twitch", "channel_follow")
    delivery = accept(Twitch(secret=SDK_SECRET), follow, now=SDK_T)
    assert (delivery.topic, delivery.delivery_id) == (
        "channel.follow",
        "befa7b53-d79d-478f-86b9-120f112b044e",
    )
    refuse(Twitch(secret=SDK_SECRET), follow, now=SDK_T + 601, error=StaleTimestamp)
    refuse(Twitch(secret=SDK_SECRET), flipped(follow), now=SDK_T)
    refuse(Twitch(secret="twitch_other_secret_0000"), follow, now=SDK_T)
    verification = load_sample("twitch", "callback_verification")
    reply = receive(Twitch(secret=SDK_SECRET), verification, endpoint="/t", now=SDK_T)
    assert reply == Reply(b"01dcddc9-8910-466f-be1c-d1e8c39af124", content_type="text/plain")
    refuse(Twitch(secret=SDK_SECRET), flipped(verification), now=SDK_T)
    # our sign() makes the same requests from the same inputs
    for name, (payload, topic, message_id) in SDK_SAMPLES.items():
        sample = load_sample("twitch", name)
        ours = Twitch(secret=SDK_SECRET).sign(
            payload, topic=topic, delivery_id=message_id, timestamp=SDK_T, url=sample.url
        )
        assert (ours.body, dict(ours.headers)) == (sample.body, sample.headers), name
