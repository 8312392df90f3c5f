"""Meta (WhatsApp Cloud, Messenger): the documented vector, gidgethub cross-check, GET check, failures."""

from __future__ import annotations

import hmac
import json
from dataclasses import replace
from functools import partial

import httpx
import pytest
from gidgethub import sansio

from hookreceiver.core.delivery import Delivery, HttpRequest, Reply
from hookreceiver.exceptions import PayloadError, SignatureError
from hookreceiver.providers import PROVIDERS, GitHub, Meta, Slack, receive
from tests.helpers import asgi_client
from tests.providers.helpers import load_sample, memory_receiver, with_body

SECRET = "meta_app_secret"
NOW = 1700000000.0
load = partial(load_sample, "meta")
CHECK = "hub.mode=subscribe&hub.verify_token=my_verify_token&hub.challenge=1158201444"


def check(query: str = CHECK) -> HttpRequest:
    return HttpRequest("GET", f"https://example.com/meta?{query}", "/meta", {}, query, b"")


def test_the_known_answer_vector_verifies_and_identifies() -> None:
    delivery = receive(Meta(secret=SECRET), load("whatsapp_message"), endpoint="/m", now=NOW)
    assert isinstance(delivery, Delivery)
    assert delivery.topics == ("whatsapp_business_account.messages", "whatsapp_business_account")
    assert delivery.id_source == "body_hash"  # the vector's change holds no message
    assert delivery.meta["entry_id"] == "102290129340398"


def test_the_vector_has_githubs_format_as_gidgethub_checks_it() -> None:
    request = load("whatsapp_message")
    sansio.validate_event(request.body, signature=request.headers["x-hub-signature-256"], secret=SECRET)


def test_sign_round_trips_and_one_message_gives_its_wamid() -> None:
    meta = Meta(secret=["new", SECRET])
    request = meta.sign(
        {
            "entry": [
                {
                    "id": "1",
                    "changes": [
                        {
                            "value": {
                                "messages": [{"id": "wamid.X", "type": "text", "text": {"body": "h\u00e4"}}]
                            }
                        }
                    ],
                }
            ]
        },
        topic="whatsapp_business_account.messages",
        timestamp=NOW,
        url="https://e/m",
        secret_index=1,
    )
    assert b"\\u00e4" in request.body  # escaped as Meta sends it
    sansio.validate_event(request.body, signature=request.headers["x-hub-signature-256"], secret=SECRET)
    delivery = receive(meta, request, endpoint="/m", now=NOW)
    assert isinstance(delivery, Delivery)
    assert (delivery.delivery_id, delivery.secret_index) == ("wamid.X", 1)


def test_statuses_and_batches() -> None:
    meta = Meta(secret=SECRET)
    value = {"statuses": [{"id": "wamid.S", "status": "read"}]}
    one = meta.sign(
        {"entry": [{"changes": [{"value": value}]}]},
        topic="whatsapp_business_account.messages",
        timestamp=NOW,
        url="https://e/m",
    )
    delivery = receive(meta, one, endpoint="/m", now=NOW)
    assert isinstance(delivery, Delivery) and delivery.delivery_id == "wamid.S:read"
    value = {"messages": [{"id": "wamid.1"}, {"id": "wamid.2"}]}
    two = meta.sign(
        {"entry": [{"changes": [{"value": value}]}]},
        topic="whatsapp_business_account.messages",
        timestamp=NOW,
        url="https://e/m",
    )
    delivery = receive(meta, two, endpoint="/m", now=NOW)
    assert isinstance(delivery, Delivery) and delivery.id_source == "body_hash"


def test_messenger_messaging_entries() -> None:
    body = json.dumps(
        {
            "object": "page",
            "entry": [
                {
                    "id": "p1",
                    "time": 1,
                    "messaging": [{"sender": {"id": "u"}, "message": {"mid": "m_1", "text": "hi"}}],
                }
            ],
        }
    ).encode()
    request = Meta(secret=SECRET).sign(
        json.loads(body), topic="page.messaging", timestamp=NOW, url="https://e/m"
    )
    delivery = receive(Meta(secret=SECRET), request, endpoint="/m", now=NOW)
    assert isinstance(delivery, Delivery)
    assert delivery.topics == ("page.messaging", "page") and delivery.delivery_id == "m_1"


def test_subscription_check_echoes_the_challenge() -> None:
    meta = Meta(secret=SECRET, verify_token=["other", "my_verify_token"])
    reply = receive(meta, check(), endpoint="/m", now=NOW)
    assert reply == Reply.text("1158201444") and isinstance(reply, Reply) and reply.secret_index == 1


@pytest.mark.parametrize(
    ("provider", "query", "reason"),
    [
        (Meta(secret=SECRET), CHECK, "bad_token"),  # no verify_token configured
        (Meta(secret=SECRET, verify_token="nope"), CHECK, "bad_token"),
        (
            Meta(secret=SECRET, verify_token="my_verify_token"),
            CHECK.replace("subscribe", "other"),
            "bad_token",
        ),
        (
            Meta(secret=SECRET, verify_token="my_verify_token"),
            "hub.mode=subscribe&hub.challenge=1",
            "missing_signature",
        ),
    ],
)
def test_subscription_check_refusals(provider: Meta, query: str, reason: str) -> None:
    with pytest.raises(SignatureError) as caught:
        receive(provider, check(query), endpoint="/m", now=NOW)
    assert caught.value.reason == reason


def test_check_without_challenge_and_get_with_body() -> None:
    meta = Meta(secret=SECRET, verify_token="t")
    with pytest.raises(PayloadError, match="hub.challenge"):
        receive(meta, check("hub.mode=subscribe&hub.verify_token=t"), endpoint="/m", now=NOW)
    with pytest.raises(PayloadError):
        receive(
            meta,
            replace(check("hub.mode=subscribe&hub.verify_token=t&hub.challenge=1"), body=b"x"),
            endpoint="/m",
            now=NOW,
        )


def test_rejections() -> None:
    request = load("whatsapp_message")
    meta = Meta(secret=SECRET)
    with pytest.raises(SignatureError, match="does not match"):
        receive(
            meta, with_body(request, request.body.replace(b"messages", b"massages")), endpoint="/m", now=NOW
        )
    with pytest.raises(SignatureError, match="does not match"):
        receive(Meta(secret="wrong"), request, endpoint="/m", now=NOW)
    with pytest.raises(SignatureError) as missing:
        receive(meta, load("whatsapp_message", x_hub_signature_256=None), endpoint="/m", now=NOW)
    assert missing.value.reason == "missing_signature"
    # Another provider's signature: Slack's headers carry nothing Meta reads; GitHub's format is
    # the same, so only the App Secret tells them apart.
    slack = Slack(secret=SECRET).sign(
        {"type": "app_mention"}, topic="app_mention", timestamp=NOW, url="https://e/m"
    )
    with pytest.raises(SignatureError):
        receive(meta, slack, endpoint="/m", now=NOW)
    github = GitHub(secret="github-secret").sign(
        json.loads(request.body), topic="push", timestamp=NOW, url="https://e/m"
    )
    with pytest.raises(SignatureError):
        receive(meta, github, endpoint="/m", now=NOW)


def test_a_body_without_object_is_a_400() -> None:
    body = b'{"entry":[]}'
    signature = "sha256=" + hmac.new(SECRET.encode(), body, "sha256").hexdigest()
    request = HttpRequest(
        "POST",
        "https://e/m",
        "/m",
        {"content-type": "application/json", "x-hub-signature-256": signature},
        "",
        body,
    )
    with pytest.raises(PayloadError) as caught:
        receive(Meta(secret=SECRET), request, endpoint="/m", now=NOW)
    assert caught.value.reason == "missing_topic"


def test_repr_hides_secrets_and_the_name_table() -> None:
    text = repr(Meta(secret=SECRET, verify_token="my_verify_token"))
    assert SECRET not in text and "my_verify_token" not in text
    assert PROVIDERS["meta"] is Meta


@pytest.mark.anyio
async def test_through_asgi() -> None:
    hooks = memory_receiver(NOW)
    hooks.endpoint("/meta", Meta(secret=SECRET, verify_token="my_verify_token")).on("*")(lambda d: None)
    async with asgi_client(hooks, "https://example.com") as client:
        got = await client.get(f"/meta?{CHECK}")
        assert (got.status_code, got.text) == (200, "1158201444")
        request = load("whatsapp_message")
        posted = await client.post("/meta", content=request.body, headers=dict(request.headers))
        assert posted.status_code == 200
        forged = await client.post("/meta", content=request.body + b" ", headers=dict(request.headers))
        assert forged.status_code == 401
        assert isinstance(forged, httpx.Response) and forged.json()["error"] == "bad_signature"
