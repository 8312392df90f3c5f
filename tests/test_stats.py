"""Counters for ``hookreceiver stats`` over real HTTP: admissions, duplicates, rejections by reason."""

from __future__ import annotations

from collections.abc import Mapping

import anyio
import pytest

from hookreceiver import MemoryStore, Store
from hookreceiver.exceptions import StoreUnavailable
from hookreceiver.stores.base import StoreStats
from hookreceiver.tally import RejectionTally
from tests.helpers import FakeClock, asgi_client, make_receiver, post, sign

pytestmark = pytest.mark.anyio


async def settled_stats(store: Store, reasons: int) -> StoreStats:
    """The store's stats once ``reasons`` rejection reasons reached it (the tally writes later)."""
    with anyio.fail_after(10):
        while len((stats := await store.stats()).rejected) < reasons:
            await anyio.sleep(0.01)
    return stats


async def test_requests_are_counted_by_outcome_and_rejection_reason() -> None:
    receiver, endpoint = make_receiver()
    endpoint.on("*")(lambda delivery: None)
    good = sign({"type": "order.created"}, delivery_id="s-1")
    async with asgi_client(receiver) as client:
        assert (await post(client, good)).json()["status"] == "accepted"
        assert (await post(client, good)).json()["status"] == "duplicate"
        for _ in range(3):
            bad = await post(client, good, headers={"x-signature": "00" * 32})
            assert bad.status_code == 401
        assert (await client.get("/wp-login.php")).status_code == 404
    stats = await settled_stats(receiver.store, 2)
    assert (stats.admitted, stats.duplicates) == (1, 1)
    assert dict(stats.rejected) == {"bad_signature": 3, "unknown_endpoint": 1}
    assert stats.depth == 1  # the receiver runs no worker here


class DownStore(MemoryStore):
    """A memory store whose counters cannot be written until ``up`` is set."""

    up = False

    async def count_rejected(self, counts: Mapping[str, int]) -> None:
        if not self.up:
            raise StoreUnavailable("down")
        await super().count_rejected(counts)


async def test_tally_keeps_counts_while_the_store_is_down() -> None:
    store = DownStore(clock=FakeClock())
    tally = RejectionTally(store)
    tally.add("bad_signature")
    tally.add("bad_signature")
    await tally.flush()
    assert dict(tally.pending) == {"bad_signature": 2}
    assert (await store.stats()).rejected == {}
    store.up = True
    tally.add("stale_timestamp")
    await tally.flush()
    assert dict((await store.stats()).rejected) == {"bad_signature": 2, "stale_timestamp": 1}
    assert not tally.pending
