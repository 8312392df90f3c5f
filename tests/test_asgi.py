"""The ASGI app over real HTTP semantics (httpx.ASGITransport): every status of the policy.

Policy: 401 missing/bad signature and stale timestamp, 400 undecodable payload or missing topic,
413 too large, 415 unsupported content type, 405 (with Allow), 404, 200 new/duplicate/unrouted,
503 when the store cannot take the delivery. Each rejection is ``{"error", "detail"}`` plus a log
line naming the endpoint and reason, and never the secret.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from hookreceiver import Delivery, HookReceiver, MemoryStore, Settings
from tests.helpers import (
    BASE_URL,
    NOW,
    SECRET,
    FakeClock,
    asgi_client,
    generic,
    make_receiver,
    post,
    sign,
    signed_headers,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def noop(delivery: Delivery) -> None:
    """A handler so deliveries are routed (and therefore stored)."""


@dataclass(frozen=True)
class Case:
    """One rejected request: what is sent and what must come back."""

    name: str
    status: int
    reason: str
    body: bytes = b'{"type":"order.created"}'
    headers: dict[str, str] = field(default_factory=dict)
    method: str = "POST"
    path: str = "/orders"
    unsigned_headers: bool = False


REJECTIONS = [
    Case(
        "missing signature",
        401,
        "missing_signature",
        unsigned_headers=True,
        headers={"content-type": "application/json", "x-request-id": "d-1"},
    ),
    Case("bad signature", 401, "bad_signature", headers={"x-signature": "00" * 32}),
    Case("signature not hex", 401, "bad_signature", headers={"x-signature": "zz-not-hex"}),
    Case("undecodable json", 400, "undecodable_payload", body=b'{"type": "order.created"'),
    Case("json nesting bomb", 400, "undecodable_payload", body=b"[" * 100 + b"]" * 100),
    Case("missing topic", 400, "missing_topic", body=b'{"kind":"order.created"}'),
    Case("topic is an object", 400, "missing_topic", body=b'{"type":{"a":1}}'),
    Case("unsupported content type", 415, "unsupported_content_type", headers={"content-type": "text/plain"}),
    Case("no content type", 415, "unsupported_content_type", headers={"content-type": ""}),
    Case(
        "too large by content-length",
        413,
        "payload_too_large",
        body=b'{"type":"order.created","pad":"' + b"x" * 300 + b'"}',
    ),
    Case("GET not allowed", 405, "method_not_allowed", method="GET"),
    Case("PUT not allowed", 405, "method_not_allowed", method="PUT"),
    Case("unknown endpoint", 404, "unknown_endpoint", path="/nope"),
]


def build(case: Case) -> dict[str, str]:
    if case.unsigned_headers:
        return dict(case.headers)
    headers = signed_headers(case.body)
    headers.update(case.headers)
    return headers


@pytest.mark.parametrize("case", REJECTIONS, ids=lambda c: c.name)
async def test_rejections_have_status_json_body_and_log_line(
    case: Case, caplog: pytest.LogCaptureFixture
) -> None:
    receiver, endpoint = make_receiver(max_body_size=256)
    endpoint.on("*")(noop)
    caplog.set_level(logging.INFO, logger="hookreceiver")
    async with asgi_client(receiver) as client:
        response = await client.request(case.method, case.path, content=case.body, headers=build(case))
    assert response.status_code == case.status
    assert response.json() == {"error": case.reason, "detail": response.json()["detail"]}
    assert isinstance(response.json()["detail"], str) and response.json()["detail"]
    if case.status == 405:
        assert response.headers["allow"] == "POST"
    rejected = [r for r in caplog.records if r.getMessage().startswith("rejected")]
    assert len(rejected) == 1
    line = rejected[0].getMessage()
    assert f"endpoint={case.path}" in line and f"reason={case.reason}" in line
    # The id the request states (X-Request-Id here), never trusted: marked so in the log.
    known = case.path == "/orders"
    assert ("delivery_id=d-1 (unverified)" if known else "delivery_id=-") in line
    assert SECRET not in caplog.text and SECRET not in response.text
    assert await receiver.store.state("/orders:d-1") is None  # nothing stored, nothing acked


async def test_stale_timestamp_is_401(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    receiver, endpoint = make_receiver(
        clock=clock,
        provider={
            "timestamp_header": "x-timestamp",
            "signed_content": "{timestamp}.{body}",
            "tolerance": 300,
        },
    )
    endpoint.on("*")(noop)
    signer = endpoint.provider
    assert isinstance(signer, type(generic()))
    caplog.set_level(logging.INFO, logger="hookreceiver")
    async with asgi_client(receiver) as client:
        fresh = await post(client, sign({}, provider=signer, delivery_id="fresh", timestamp=NOW - 10))
        stale = await post(client, sign({}, provider=signer, delivery_id="old", timestamp=NOW - 301))
        future = await post(client, sign({}, provider=signer, delivery_id="new", timestamp=NOW + 301))
    assert fresh.status_code == 200
    for response in (stale, future):
        assert response.status_code == 401
        assert response.json()["error"] == "stale_timestamp"
    assert (stale.json()["skew"], future.json()["skew"]) == (301, -301)
    assert "301 s in the future; tolerance is 300 s" in future.json()["detail"]
    assert "reason=stale_timestamp" in caplog.text and "endpoint=/orders" in caplog.text
    assert SECRET not in caplog.text


async def test_new_duplicate_and_unrouted_are_200_and_say_which() -> None:
    receiver, endpoint = make_receiver()
    endpoint.on("order.*")(noop)
    async with asgi_client(receiver) as client:
        first = await post(client, sign({"n": 1}, delivery_id="a"))
        again = await post(client, sign({"n": 1}, delivery_id="a"))
        other = await post(client, sign({"n": 1}, topic="refund.created", delivery_id="b"))
    assert [r.status_code for r in (first, again, other)] == [200, 200, 200]
    assert first.json() == {"status": "accepted", "delivery_id": "a", "topic": "order.created"}
    assert again.json()["status"] == "duplicate"
    assert other.json() == {"status": "unrouted", "delivery_id": "b", "topic": "refund.created"}
    assert await receiver.store.state("/orders:a") == "pending"
    # unrouted: kept as done (nothing runs it), with its exact bytes, for a later replay
    assert await receiver.store.state("/orders:b") == "done"
    kept = await receiver.store.get("/orders:b")
    assert kept is not None and kept.body == sign({"n": 1}, topic="refund.created", delivery_id="b").body
    assert await receiver.store.take("t", limit=10, wait=0) != []  # only the routed one
    stored = await receiver.store.get("/orders:a")
    assert stored is not None and stored.body == sign({"n": 1}, delivery_id="a").body


async def test_unrouted_redelivery_is_a_duplicate_and_replay_runs_a_new_handler() -> None:
    receiver, endpoint = make_receiver()
    seen: list[str] = []
    async with asgi_client(receiver) as client:
        first = await post(client, sign({"n": 1}, topic="refund.created", delivery_id="r"))
        again = await post(client, sign({"n": 1}, topic="refund.created", delivery_id="r"))
        assert [first.json()["status"], again.json()["status"]] == ["unrouted", "unrouted"]
        endpoint.on("refund.created")(lambda delivery: seen.append(delivery.delivery_id))
        assert await receiver.store.replay("/orders:r")
        await receiver.worker.run_once()
    assert seen == ["r"]


async def test_unrouted_store_failure_is_503_and_can_be_switched_off() -> None:
    closed = MemoryStore()
    await closed.close()
    receiver, _ = make_receiver(store=closed)
    async with asgi_client(receiver) as client:
        refused = await post(client, sign({"n": 1}, topic="refund.created", delivery_id="x"))
    assert refused.status_code == 503 and refused.json()["error"] == "store_unavailable"
    quiet = HookReceiver(store=closed, settings=Settings(store_unrouted=False), run_worker=False)
    quiet.endpoint("/orders", generic())
    async with asgi_client(quiet) as client:
        answered = await post(client, sign({"n": 1}, topic="refund.created", delivery_id="x"))
    assert answered.status_code == 200 and answered.json()["status"] == "unrouted"


async def test_no_delivery_id_dedupes_on_body_hash() -> None:
    receiver, endpoint = make_receiver()
    endpoint.on("*")(noop)
    async with asgi_client(receiver) as client:
        first = await post(client, sign({"n": 1}, delivery_id=None))
        again = await post(client, sign({"n": 1}, delivery_id=None))
        changed = await post(client, sign({"n": 2}, delivery_id=None))
    assert first.json()["delivery_id"].startswith("sha256:")
    assert (first.json()["status"], again.json()["status"]) == ("accepted", "duplicate")
    assert changed.json()["status"] == "accepted"
    assert changed.json()["delivery_id"] != first.json()["delivery_id"]


async def test_closed_store_is_503_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    store = MemoryStore()
    await store.close()
    receiver, endpoint = make_receiver(store=store)
    endpoint.on("*")(noop)
    caplog.set_level(logging.INFO, logger="hookreceiver")
    async with asgi_client(receiver) as client:
        response = await post(client, sign({}, delivery_id="x"))
    assert response.status_code == 503
    assert response.json()["error"] == "store_unavailable" and response.json()["detail"]
    line = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("rejected"))
    assert "endpoint=/orders" in line and "delivery_id=x" in line and "store_unavailable" in line
    assert SECRET not in caplog.text


async def test_full_store_of_live_deliveries_is_503_then_200_when_space_frees() -> None:
    clock = FakeClock()
    store = MemoryStore(max_entries=1, clock=clock)
    receiver, endpoint = make_receiver(store=store, clock=clock)
    endpoint.on("*")(noop)
    async with asgi_client(receiver) as client:
        assert (await post(client, sign({}, delivery_id="one"))).status_code == 200
        full = await post(client, sign({}, delivery_id="two"))
        assert full.status_code == 503 and full.json()["error"] == "store_unavailable"
        # The first delivery is handled: its settled record may now make room.
        assert len(await receiver.worker.run_once()) == 1
        assert (await post(client, sign({}, delivery_id="two"))).status_code == 200


async def test_max_body_size_is_per_endpoint() -> None:
    receiver, small = make_receiver(max_body_size=64)
    small.on("*")(noop)
    big = receiver.endpoint("/big", generic(), max_body_size=4096)
    big.on("*")(noop)
    payload = {"pad": "x" * 200}
    async with asgi_client(receiver) as client:
        to_small = await post(client, sign(payload, url=f"{BASE_URL}/orders"))
        to_big = await post(client, sign(payload, url=f"{BASE_URL}/big"))
    assert to_small.status_code == 413 and to_small.json()["error"] == "payload_too_large"
    assert to_big.status_code == 200 and to_big.json()["status"] == "accepted"


async def test_streamed_body_without_content_length_is_413() -> None:
    receiver, endpoint = make_receiver(max_body_size=1000)
    endpoint.on("*")(noop)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(50):
            yield b"x" * 100

    headers = signed_headers(b"ignored")
    async with asgi_client(receiver) as client:
        response = await client.post("/orders", content=chunks(), headers=headers)
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


async def test_app_stops_reading_a_streamed_body_past_the_cap() -> None:
    receiver, endpoint = make_receiver(max_body_size=4096)
    endpoint.on("*")(noop)
    pulled = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        if pulled > 100:
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": b"x" * 1000, "more_body": pulled < 100}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/orders",
        "raw_path": b"/orders",
        "root_path": "",
        "query_string": b"",
        "server": ("hooks.test", 80),
        "client": ("127.0.0.1", 5000),
        "headers": [
            (b"content-type", b"application/json"),
            (b"x-signature", b"00"),
            (b"transfer-encoding", b"chunked"),
        ],
    }
    await receiver(scope, receive, send)
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 413
    assert json.loads(b"".join(m.get("body", b"") for m in sent[1:]))["error"] == "payload_too_large"
    assert pulled == 5  # 4 x 1000 bytes fit under 4096; the fifth chunk crosses it: stop there


async def test_mounted_under_a_root_path_routes_below_it() -> None:
    receiver, endpoint = make_receiver()
    endpoint.on("*")(noop)
    request = sign({}, url=f"{BASE_URL}/hooks/orders")
    transport = httpx.ASGITransport(app=receiver, root_path="/hooks")
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        response = await client.post("/hooks/orders", content=request.body, headers=dict(request.headers))
    assert response.status_code == 200 and response.json()["status"] == "accepted"


# -- inline handlers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("returned", "status", "content_type", "body"),
    [
        ("pong", 200, "text/plain; charset=utf-8", b"pong"),
        ({"ok": True}, 200, "application/json", b'{"ok":true}'),
        ("<Response/>", 200, "text/plain; charset=utf-8", b"<Response/>"),
    ],
)
async def test_inline_handler_return_value_is_the_response(
    returned: Any, status: int, content_type: str, body: bytes
) -> None:
    receiver, endpoint = make_receiver()
    endpoint.on("*")(noop)

    @endpoint.respond
    def reply(delivery: Delivery) -> Any:
        return returned

    async with asgi_client(receiver) as client:
        response = await post(client, sign({}))
    assert (response.status_code, response.headers["content-type"]) == (status, content_type)
    assert response.content == body
    assert await receiver.store.state("/orders:d-1") == "pending"  # stored before replying


async def test_inline_reply_object_sets_status_and_headers() -> None:
    from hookreceiver import Reply

    receiver, endpoint = make_receiver()

    @endpoint.respond
    async def reply(delivery: Delivery) -> Reply:
        return Reply(
            b"<ok/>", status=202, content_type="text/xml", headers=(("x-seen", delivery.delivery_id),)
        )

    async with asgi_client(receiver) as client:
        response = await post(client, sign({}, delivery_id="r-9"))
    assert response.status_code == 202 and response.content == b"<ok/>"
    assert response.headers["x-seen"] == "r-9"


async def test_inline_none_keeps_the_default_ack() -> None:
    receiver, endpoint = make_receiver()
    endpoint.on("*")(noop)
    seen: list[str] = []

    @endpoint.respond
    async def reply(delivery: Delivery) -> None:
        seen.append(delivery.delivery_id)

    async with asgi_client(receiver) as client:
        response = await post(client, sign({}))
    assert response.json()["status"] == "accepted" and seen == ["d-1"]


async def test_inline_handler_that_raises_still_acks(caplog: pytest.LogCaptureFixture) -> None:
    receiver, endpoint = make_receiver()
    endpoint.on("*")(noop)

    @endpoint.respond
    async def reply(delivery: Delivery) -> str:
        raise RuntimeError("inline boom")

    async with asgi_client(receiver) as client:
        response = await post(client, sign({}, delivery_id="r-1"))
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    assert "inline boom" not in response.text
    failed = [r for r in caplog.records if "inline handler failed" in r.getMessage()]
    assert failed and "delivery_id=r-1" in failed[0].getMessage()


async def test_lifespan_of_the_receiver_itself_starts_and_stops_the_worker() -> None:
    receiver, _ = make_receiver(run_worker=True)
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent: list[str] = []
    running: list[bool] = []

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message["type"])
        running.append(receiver.worker.running)

    await receiver({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert running == [True, False]
