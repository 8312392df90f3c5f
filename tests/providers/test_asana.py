"""Asana: the X-Hook-Secret handshake (through the ASGI app), learned secrets and the handshake
policy, a known-answer vector (stdlib hex HMAC-SHA256 of the body under the handshake secret
from Asana's "Establish a webhook" example; Asana's Python SDK has no verifier), batches."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from hookreceiver.core.delivery import Delivery, HttpRequest, Reply
from hookreceiver.exceptions import ConfigurationError, PayloadError, SignatureError
from hookreceiver.providers import PROVIDERS, Asana, GitHub, receive, receive_all
from hookreceiver.providers.secretstore import MemorySecretStore, SecretStore
from tests.helpers import asgi_client
from tests.providers.cases import flipped, refuse, with_headers
from tests.providers.helpers import memory_receiver

T = 1700000000.0
SECRET = "b537207f20cbfa02357cf448134da559e8bd39d61597dcd5631b8012eae53e81"
URL = "https://example.com/receive-webhook/7654"
BODY = (
    b'{"events":[{"user":{"gid":"4321","resource_type":"user"},"created_at":"2023-11-14T22:13:20.000Z",'
    b'"action":"changed","resource":{"gid":"1337","resource_type":"task","resource_subtype":"default_task"},'
    b'"parent":null,"change":{"field":"assignee","action":"changed"}}]}'
)
SIGNATURE = "17b2ab65b2fa65376a928ebd252aa9447d8143ea2ff13b1b49f07a8f1bb1d8eb"


def event_request(body: bytes = BODY, signature: str = SIGNATURE, url: str = URL) -> HttpRequest:
    headers = {"content-type": "application/json; charset=utf-8", "x-hook-signature": signature}
    return HttpRequest.outgoing("POST", url, headers, body)


def test_known_answer_with_a_configured_secret() -> None:
    assert hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest() == SIGNATURE
    (delivery,) = receive_all(Asana(secret=SECRET), event_request(), endpoint="/a", now=T)  # type: ignore[misc]
    assert delivery.topics == ("task.changed", "task")
    assert delivery.id_source == "body_hash"  # Asana sends no event id
    assert delivery.meta["resource_gid"] == "1337" and delivery.meta["field"] == "assignee"
    assert PROVIDERS["asana"] is Asana


def test_a_handshake_teaches_the_secret_for_its_target_only() -> None:
    store = MemorySecretStore()
    asana = Asana(store=store)
    refuse(asana, event_request(), now=T)  # nothing known yet: 401 unknown_webhook
    reply = receive(asana, asana.handshake_request(URL, SECRET), endpoint="/a", now=T)
    assert isinstance(reply, Reply) and reply.status == 200 and reply.headers == (("x-hook-secret", SECRET),)
    assert store.get("/receive-webhook/7654") == SECRET.encode() and "hidden" in repr(store)
    assert SECRET not in repr(asana)
    (delivery,) = receive_all(asana, event_request(), endpoint="/a", now=T)  # type: ignore[misc]
    assert delivery.topic == "task.changed" and delivery.secret_index == 0
    other_target = event_request(url="https://example.com/receive-webhook/9999")
    assert refuse(asana, other_target, now=T).reason == "unknown_webhook"


def test_the_first_secret_cannot_be_replaced_by_default() -> None:
    asana = Asana()
    receive(asana, asana.handshake_request(URL, SECRET), endpoint="/a", now=T)
    assert refuse(asana, asana.handshake_request(URL, "attacker-secret"), now=T).reason == "handshake_refused"
    assert receive_all(asana, event_request(), endpoint="/a", now=T)
    replacing = Asana(store=asana.store, handshakes="replace")
    assert isinstance(
        receive(replacing, replacing.handshake_request(URL, "new-secret"), endpoint="/a", now=T), Reply
    )
    refuse(replacing, event_request(), now=T)  # signed with the old secret
    off = Asana(secret=SECRET, handshakes="off")
    assert refuse(off, off.handshake_request(URL, "x"), now=T).reason == "handshake_refused"
    with pytest.raises(ConfigurationError):
        Asana(handshakes="off")
    with pytest.raises(ConfigurationError):
        Asana(handshakes="always")  # type: ignore[arg-type]


@pytest.mark.parametrize("offered", ["", "a\tb", "x" * 257, "s\u00e9cret"])
def test_an_unusable_handshake_secret_is_refused(offered: str) -> None:
    asana = Asana()
    request = with_headers(asana.handshake_request(URL, "placeholder"), x_hook_secret=offered)
    assert refuse(asana, request, now=T).reason == "bad_handshake"
    assert asana.store.get("/receive-webhook/7654") is None


def test_batches_heartbeats_and_rejections() -> None:
    provider = Asana(secret=["new-secret", SECRET])
    events = [
        {"action": "added", "resource": {"gid": "1", "resource_type": "story"}},
        {"action": "removed", "resource": {"gid": "2", "resource_type": "tag"}},
    ]
    batch = provider.sign(events, topic="task.changed", timestamp=T, url=URL, secret_index=1)
    first, second = receive_all(provider, batch, endpoint="/a", now=T)  # type: ignore[misc]
    assert (first.topic, second.topic, first.secret_index) == ("story.added", "tag.removed", 1)
    assert first.delivery_id != second.delivery_id
    heartbeat = provider.sign(None, topic="heartbeat", timestamp=T, url=URL)
    (beat,) = receive_all(provider, heartbeat, endpoint="/a", now=T)  # type: ignore[misc]
    assert beat.topic == "heartbeat" and json.loads(beat.body) == {"events": []}
    refuse(Asana(secret=SECRET), flipped(event_request()), now=T)
    refuse(Asana(secret="wrong"), event_request(), now=T)
    assert refuse(
        Asana(secret=SECRET), with_headers(event_request(), x_hook_signature=None), now=T
    ).reason == ("missing_signature")
    github = GitHub(secret=SECRET).sign({"events": []}, topic="push", timestamp=T, url=URL)
    assert refuse(Asana(secret=SECRET), github, now=T).reason == "missing_signature"
    no_list = json.dumps({"events": {}}).encode()
    signed = event_request(no_list, hmac.new(SECRET.encode(), no_list, hashlib.sha256).hexdigest())
    assert refuse(Asana(secret=SECRET), signed, now=T, error=PayloadError).reason == "bad_payload"
    with pytest.raises(ConfigurationError):
        Asana().sign({}, topic="task.changed", timestamp=T, url=URL)


class DictStore:
    """A store of one's own: the Protocol is two methods."""

    def __init__(self) -> None:
        self.kept: dict[str, bytes] = {}

    def get(self, key: str) -> bytes | None:
        return self.kept.get(key)

    def put(self, key: str, secret: bytes, *, replace: bool = False) -> bool:
        if key in self.kept and not replace:
            return False
        self.kept[key] = secret
        return True


@pytest.mark.anyio
async def test_through_the_asgi_app_with_a_store_of_ones_own() -> None:
    store = DictStore()
    assert isinstance(store, SecretStore)
    hooks = memory_receiver(T)
    seen: list[Delivery] = []
    hooks.endpoint("/receive-webhook/7654", Asana(store=store)).on("task.*")(seen.append)
    async with asgi_client(hooks, "https://example.com") as client:
        handshake = await client.post("/receive-webhook/7654", headers={"X-Hook-Secret": SECRET})
        again = await client.post("/receive-webhook/7654", headers={"X-Hook-Secret": "attacker"})
        event = await client.post(
            "/receive-webhook/7654", content=BODY, headers=dict(event_request().headers)
        )
        bad = await client.post(
            "/receive-webhook/7654", content=BODY + b" ", headers=dict(event_request().headers)
        )
    assert handshake.status_code == 200 and handshake.headers["x-hook-secret"] == SECRET
    assert again.status_code == 401 and again.json()["error"] == "handshake_refused"
    assert event.status_code == 200 and event.json()["status"] == "accepted"
    assert bad.status_code == 401
    assert store.kept == {"/receive-webhook/7654": SECRET.encode()}
    await hooks.worker.run_once()
    assert [d.topic for d in seen] == ["task.changed"]
    assert "x-hook-secret" not in seen[0].headers


def test_verify_raises_signature_errors_only() -> None:
    with pytest.raises(SignatureError):
        Asana().verify(event_request(), now=T)
