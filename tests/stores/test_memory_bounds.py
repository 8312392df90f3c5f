"""MemoryStore bounds: eviction and expiry in settle order, and a byte budget that bounds memory.

The budget tests measure with ``tracemalloc`` what the store really keeps and compare it with
what the store counts, for bodies whose decoded payload weighs many times their size.
"""

from __future__ import annotations

import gc
import json
import tracemalloc

import pytest

from hookreceiver import Admission, ClaimState, Delivery, HttpRequest, MemoryStore, StoreUnavailable
from hookreceiver.providers.base import receive_all
from hookreceiver.stores.footprint import delivery_bytes, payload_bytes
from tests.helpers import BASE_URL, FakeClock, asgi_client, delivery, generic, make_receiver, signed_headers
from tests.stores.contract import CONSUMER

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def settle(store: MemoryStore, *names: str) -> None:
    """Complete the jobs of ``names``, in that order (others are handed back)."""
    jobs = {job.delivery.delivery_id: job for job in await store.take(CONSUMER, limit=100, wait=0)}
    for name in names:
        await store.complete(jobs.pop(name))
    for job in jobs.values():
        await store.release(job)


async def test_eviction_drops_records_in_the_order_they_settled() -> None:
    clock = FakeClock()
    store = MemoryStore(max_entries=3, clock=clock)
    for name in ("a", "b", "c"):
        await store.admit(delivery(name))
    await settle(store, "c", "a", "b")  # admitted a, b, c; settled c, a, b
    await store.admit(delivery("d"))
    assert [await store.state(f"/orders:{n}") for n in "abc"] == [ClaimState.DONE, ClaimState.DONE, None]
    await store.admit(delivery("e"))
    assert await store.state("/orders:a") is None
    assert await store.state("/orders:b") is ClaimState.DONE


async def test_a_dead_record_admitted_again_is_not_evicted_to_make_room_for_itself() -> None:
    store = MemoryStore(max_entries=2, clock=FakeClock())
    await store.admit(delivery("dead"))
    [job] = await store.take(CONSUMER, limit=1, wait=0)
    await store.bury(job, error="boom")
    await store.admit(delivery("live"))
    # Full: "dead" is the only settled record, and it is the one being admitted again.
    assert await store.admit(delivery("dead")) is Admission.ACCEPTED
    assert await store.state("/orders:dead") is ClaimState.PENDING
    assert await store.state("/orders:live") is ClaimState.PENDING
    with pytest.raises(StoreUnavailable, match="full"):
        await store.admit(delivery("third"))


async def test_settled_records_expire_in_settle_order_and_live_ones_never() -> None:
    clock = FakeClock()
    store = MemoryStore(retention=10, clock=clock)
    for name in ("first", "second", "live"):
        await store.admit(delivery(name))
    await settle(store, "first")
    clock.advance(5)
    await settle(store, "second")
    clock.advance(6)  # 11 s after "first" settled, 6 s after "second"
    assert await store.state("/orders:first") is None
    assert await store.state("/orders:second") is ClaimState.DONE
    clock.advance(100)
    assert await store.state("/orders:second") is None
    assert await store.state("/orders:live") is ClaimState.PENDING  # admitted long ago, still live
    assert await store.admit(delivery("first")) is Admission.ACCEPTED  # forgotten: admitted afresh


async def test_replay_takes_a_record_out_of_the_expiry_order() -> None:
    clock = FakeClock()
    store = MemoryStore(retention=10, clock=clock)
    await store.admit(delivery("a"))
    await settle(store, "a")
    assert await store.replay("/orders:a")
    clock.advance(100)  # a live record outlives the retention
    assert await store.state("/orders:a") is ClaimState.PENDING
    [job] = await store.take(CONSUMER, limit=1, wait=0)
    await store.complete(job)
    clock.advance(9)
    assert await store.state("/orders:a") is ClaimState.DONE  # retention counts from settling again
    clock.advance(2)
    assert await store.state("/orders:a") is None


async def test_nothing_accepted_is_lost_while_settled_records_are_evicted() -> None:
    store = MemoryStore(max_entries=50, clock=FakeClock())
    accepted: set[str] = set()
    handled: list[str] = []
    for round_ in range(40):
        for n in range(10):
            name = f"r{round_}-{n}"
            try:
                if await store.admit(delivery(name)) is Admission.ACCEPTED:
                    accepted.add(name)
            except StoreUnavailable:
                pass
        for job in await store.take(CONSUMER, limit=7, wait=0):  # drains slower than it fills
            handled.append(job.delivery.delivery_id)
            await store.complete(job)
    while jobs := await store.take(CONSUMER, limit=100, wait=0):
        for job in jobs:
            handled.append(job.delivery.delivery_id)
            await store.complete(job)
    assert sorted(handled) == sorted(accepted)  # each accepted delivery ran exactly once
    assert len(accepted) < 400  # some were refused (the store was full of live ones) ...
    assert len(store._records) <= 50  # ... and the cap held


async def test_a_full_byte_budget_answers_503_over_http_and_keeps_what_it_acknowledged() -> None:
    clock = FakeClock()
    store = MemoryStore(max_bytes=400_000, clock=clock)
    receiver, endpoint = make_receiver(store=store, clock=clock, provider={"topic": "const:bulk"})
    endpoint.on("*")(lambda d: None)
    body = b"[" + b",".join([b"[]"] * 1000) + b"]"  # 3 kB, about 65 kB once decoded: 2 fit
    async with asgi_client(receiver) as client:
        answers = []
        for n in range(4):
            headers = signed_headers(body, delivery_id=f"big-{n}")
            response = await client.post("/orders", content=body, headers=headers)
            answers.append((response.status_code, response.json().get("error")))
    assert answers == [(200, None), (200, None), (503, "store_unavailable"), (503, "store_unavailable")]
    for n, (status, _) in enumerate(answers):
        expected = ClaimState.PENDING if status == 200 else None
        assert await store.state(f"/orders:big-{n}") is expected


# Bodies whose decoded payload weighs far more than their bytes (issue: `[[],[],...]` is ~22x).
SHAPES = {
    "empty lists": b"[" + b",".join([b"[]"] * 2000) + b"]",
    "empty dicts": b"[" + b",".join([b"{}"] * 2000) + b"]",
    "one-item lists": b"[" + b",".join([b"[1]"] * 2000) + b"]",
    "one-key dicts": b"[" + b",".join([b'{"a":[]}'] * 2000) + b"]",
    "floats": b"[" + b",".join([b"1.5"] * 2000) + b"]",
    "big ints": b"[" + b",".join([b"1" * 40] * 2000) + b"]",
    "many keys": b"{" + b",".join(b'"k%d":1.5' % i for i in range(2000)) + b"}",
    "deep nesting": b"[" + b",".join([b"[" * 30 + b"]" * 30] * 100) + b"]",
    "CJK strings": json.dumps(["\u4e2d"] * 2000, ensure_ascii=False).encode(),
    "astral strings": json.dumps(["x" * 10 + "\U0001f600"] * 2000, ensure_ascii=False).encode(),
    "escaped text": json.dumps(["\u00e9x"] * 2000).encode(),
    "small object": b'{"type":"order.created","id":1}',
}


PROVIDER = generic(topic="const:bulk")


def received(body: bytes, delivery_id: str) -> Delivery:
    """The delivery the receive path builds from a signed ``body`` (real verify and decode)."""
    headers = signed_headers(body, delivery_id=delivery_id)
    request = HttpRequest("POST", f"{BASE_URL}/orders", "/orders", headers, "", body)
    outcome = receive_all(PROVIDER, request, endpoint="/orders", now=0.0)
    assert isinstance(outcome, tuple)
    (built,) = outcome
    return built


def traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


@pytest.mark.parametrize("shape", SHAPES)
async def test_the_budget_counts_at_least_what_a_record_really_keeps(shape: str) -> None:
    body = SHAPES[shape]
    store = MemoryStore(max_entries=1000, max_bytes=10**12, clock=FakeClock())
    bodies = [bytes(body) for _ in range(10)]  # allocated before measuring: the sender's bytes
    tracemalloc.start()
    try:
        before = traced()
        for n, raw in enumerate(bodies):
            await store.admit(received(raw, f"{shape}-{n}"))
        bodies.clear()  # the store keeps what it needs; the rest of the request is gone
        kept = traced() - before
    finally:
        tracemalloc.stop()
    assert store._bytes >= kept, f"{shape}: counted {store._bytes}, really kept {kept}"


def test_a_typical_payload_is_not_counted_wildly_high() -> None:
    payload = {
        "action": "opened",
        "number": 1347,
        "pull_request": {"id": 1, "title": "Amazing new feature", "labels": [{"id": 2, "name": "bug"}]},
        "repository": {"id": 1296269, "full_name": "octocat/Hello-World", "private": False},
        "sender": {"login": "octocat", "id": 1},
    }
    body = json.dumps(payload).encode()
    counted = payload_bytes(json.loads(body))
    tracemalloc.start()
    try:
        before = traced()
        kept = [json.loads(body) for _ in range(100)]
        real = (traced() - before) / len(kept)
    finally:
        tracemalloc.stop()
    assert real <= counted <= 4 * real


def test_payload_bytes_handles_what_orjson_refuses() -> None:
    # Integers past 64 bits and non-string keys take the standard library's path.
    assert payload_bytes([2**100] * 100) > 100 * 40
    assert payload_bytes({1: "a", 2: "b"}) > 0
    assert delivery_bytes(delivery("x", payload=[2**70])) > len(b"[2**70]")


async def test_pathological_bodies_stay_within_the_budget_while_a_worker_drains() -> None:
    # Counted as twice the body (as before), these let ~10x more memory in than the budget.
    budget = 2_000_000
    store = MemoryStore(max_bytes=budget, clock=FakeClock())
    body = b"[" + b",".join([b"[]"] * 5000) + b"]"  # 15 kB, ~330 kB decoded
    tracemalloc.start()
    try:
        before = traced()
        kept = []
        for n in range(40):
            await store.admit(received(body, f"p-{n}"))  # settled records make room each time
            for job in await store.take(CONSUMER, limit=1, wait=0):  # a worker keeping up
                await store.complete(job)
            kept.append(tracemalloc.get_traced_memory()[0] - before)  # lists hold no cycles
    finally:
        tracemalloc.stop()
    assert max(kept) <= budget
    assert 2 <= len(store._records) < 40  # the budget was used, and it dropped the oldest
    assert await store.state("/orders:p-39") is ClaimState.DONE
