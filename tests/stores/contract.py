"""The Store contract, written once and run against every store.

How to run it against a store: subclass :class:`StoreContract` in a test module (its name must
start with ``Test``) and implement one factory::

    class TestMyStore(StoreContract):
        async def make_store(self, clock: Callable[[], float]) -> Store:
            return MyStore(..., retention=self.retention, clock=clock)

* ``clock`` is a :class:`tests.helpers.FakeClock`; the store must read time only from it (retry
  delays, ``failed_at``). Tests move time with ``clock.advance(seconds)``, never by sleeping.
* The store must keep claims for ``self.retention`` seconds (a class attribute you may override).
* Each test gets a fresh, empty store; the fixture closes it afterwards. A store shared between
  tests (one Redis) must be emptied by ``make_store`` (e.g. a unique key prefix per call).
* Waiting is only ever ``take(..., wait=self.wait)``: a short real wait for stores that poll.
* ``expire_retention`` makes claims older than the retention expire. The default moves the fake
  clock; a store whose TTLs run on a server clock overrides it (e.g. small retention + sleep).

Semantics pinned here (see ``hookreceiver/stores/base.py``): admit is atomic and dedupes by
``endpoint:delivery_id``; PENDING and DONE refuse duplicates; a provider redelivery of a FAILED
delivery runs now, once, and keeps counting attempts; one of a DEAD delivery starts afresh.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import anyio
import pytest

from hookreceiver import Admission, ClaimState, Store, StoreUnavailable
from hookreceiver.stores.base import Job
from tests.helpers import FakeClock, delivery

__all__ = ["StoreContract"]

CONSUMER = "contract-consumer"


class StoreContract:
    """Subclass and implement :meth:`make_store`; every ``test_*`` here then runs on your store."""

    retention: float = 3600.0
    wait: float = 0.05

    async def make_store(self, clock: Callable[[], float]) -> Store:
        raise NotImplementedError("a StoreContract subclass must implement make_store(clock)")

    async def expire_retention(self, store: Store, clock: FakeClock) -> None:
        """Let every claim settled before now outlive the retention."""
        clock.advance(self.retention + 1)

    @pytest.fixture
    def anyio_backend(self) -> str:
        return "asyncio"

    @pytest.fixture
    def clock(self) -> FakeClock:
        return FakeClock()

    @pytest.fixture
    async def store(self, clock: FakeClock) -> AsyncIterator[Store]:
        store = await self.make_store(clock)
        try:
            yield store
        finally:
            await store.close()

    async def take_one(self, store: Store) -> Job:
        jobs = await store.take(CONSUMER, limit=10, wait=self.wait)
        assert len(jobs) == 1, jobs
        return jobs[0]

    async def take_none(self, store: Store) -> None:
        assert await store.take(CONSUMER, limit=10, wait=self.wait) == []

    # -- admit, take, state, get ------------------------------------------------------------

    @pytest.mark.anyio
    async def test_admit_enqueues_and_keeps_exact_delivery(self, store: Store) -> None:
        sent = delivery("a", payload={"type": "order.created", "note": "héllo"})
        assert await store.admit(sent) is Admission.ACCEPTED
        assert await store.state(sent.key) is ClaimState.PENDING
        assert await store.get(sent.key) == sent
        job = await self.take_one(store)
        assert job.delivery == sent and job.delivery.attempt == 1

    @pytest.mark.anyio
    async def test_unknown_key(self, store: Store) -> None:
        assert await store.state("/orders:nope") is None
        assert await store.get("/orders:nope") is None
        assert await store.replay("/orders:nope") is False
        await self.take_none(store)

    @pytest.mark.anyio
    async def test_duplicate_of_pending_is_refused_and_not_enqueued(self, store: Store) -> None:
        assert await store.admit(delivery("a")) is Admission.ACCEPTED
        assert await store.admit(delivery("a")) is Admission.DUPLICATE
        await self.take_one(store)
        assert await store.admit(delivery("a")) is Admission.DUPLICATE  # taken, still pending
        await self.take_none(store)

    @pytest.mark.anyio
    async def test_key_is_endpoint_plus_id(self, store: Store) -> None:
        assert await store.admit(delivery("a", endpoint="/orders")) is Admission.ACCEPTED
        assert await store.admit(delivery("a", endpoint="/refunds")) is Admission.ACCEPTED
        assert len(await store.take(CONSUMER, limit=10, wait=self.wait)) == 2

    @pytest.mark.anyio
    async def test_take_respects_limit_and_order(self, store: Store) -> None:
        for name in ("a", "b", "c"):
            await store.admit(delivery(name))
        first = await store.take(CONSUMER, limit=2, wait=self.wait)
        rest = await store.take(CONSUMER, limit=2, wait=self.wait)
        assert [j.delivery.delivery_id for j in first + rest] == ["a", "b", "c"]

    @pytest.mark.anyio
    async def test_concurrent_admits_of_one_key_admit_exactly_one(self, store: Store) -> None:
        results = await asyncio.gather(*(store.admit(delivery("same")) for _ in range(20)))
        assert results.count(Admission.ACCEPTED) == 1
        assert results.count(Admission.DUPLICATE) == 19
        await self.take_one(store)
        await self.take_none(store)

    @pytest.mark.anyio
    async def test_waiting_take_wakes_on_admit(self, store: Store) -> None:
        got: list[Job] = []

        async def waiter() -> None:
            got.extend(await store.take(CONSUMER, limit=1, wait=30.0))

        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                tg.start_soon(waiter)
                await anyio.sleep(self.wait)
                await store.admit(delivery("late"))
        assert [j.delivery.delivery_id for j in got] == ["late"]

    # -- outcomes ---------------------------------------------------------------------------

    @pytest.mark.anyio
    async def test_complete_makes_done_and_refuses_duplicates(self, store: Store) -> None:
        await store.admit(delivery("a"))
        await store.complete(await self.take_one(store))
        assert await store.state("/orders:a") is ClaimState.DONE
        assert await store.admit(delivery("a")) is Admission.DUPLICATE
        await self.take_none(store)

    @pytest.mark.anyio
    async def test_retry_waits_for_its_delay_and_counts_the_attempt(
        self, store: Store, clock: FakeClock
    ) -> None:
        await store.admit(delivery("a"))
        await store.retry(await self.take_one(store), delay=30.0, error="boom")
        assert await store.state("/orders:a") is ClaimState.FAILED
        clock.advance(29.0)
        await self.take_none(store)
        clock.advance(2.0)
        job = await self.take_one(store)
        assert job.delivery.attempt == 2
        assert await store.state("/orders:a") is ClaimState.PENDING
        await store.retry(job, delay=0.0, error="boom again")
        assert (await self.take_one(store)).delivery.attempt == 3

    @pytest.mark.anyio
    async def test_bury_makes_a_dead_letter_with_the_error(self, store: Store, clock: FakeClock) -> None:
        await store.admit(delivery("a"))
        job = await self.take_one(store)
        await store.bury(job, error="Traceback: ValueError: nope")
        assert await store.state("/orders:a") is ClaimState.DEAD
        [dead] = await store.dead_letters()
        assert dead.delivery.delivery_id == "a" and dead.delivery.body == job.delivery.body
        assert dead.error == "Traceback: ValueError: nope"
        assert (dead.attempts, dead.failed_at) == (1, clock.now)
        await self.take_none(store)

    @pytest.mark.anyio
    async def test_dead_letters_oldest_first_with_limit(self, store: Store, clock: FakeClock) -> None:
        for name in ("a", "b", "c"):
            await store.admit(delivery(name))
            await store.bury(await self.take_one(store), error=name)
            clock.advance(1.0)
        assert [d.delivery.delivery_id for d in await store.dead_letters()] == ["a", "b", "c"]
        assert [d.error for d in await store.dead_letters(limit=2)] == ["a", "b"]

    @pytest.mark.anyio
    async def test_dead_letter_looks_one_up_by_key(self, store: Store, clock: FakeClock) -> None:
        await store.admit(delivery("a"))
        await store.bury(await self.take_one(store), error="nope")
        await store.admit(delivery("live"))
        dead = await store.dead_letter("/orders:a")
        assert dead is not None and (dead.delivery.delivery_id, dead.error) == ("a", "nope")
        assert (dead.attempts, dead.failed_at) == (1, clock.now)
        assert await store.dead_letter("/orders:live") is None  # pending, not dead
        assert await store.dead_letter("/orders:unknown") is None
        assert await store.replay("/orders:a") is True
        assert await store.dead_letter("/orders:a") is None

    @pytest.mark.anyio
    async def test_release_hands_back_without_counting(self, store: Store) -> None:
        await store.admit(delivery("a"))
        await store.release(await self.take_one(store))
        job = await self.take_one(store)
        assert job.delivery.attempt == 1
        assert await store.state("/orders:a") is ClaimState.PENDING

    # -- re-admission by the provider -------------------------------------------------------

    @pytest.mark.anyio
    async def test_redelivery_of_failed_runs_now_and_only_once(self, store: Store, clock: FakeClock) -> None:
        await store.admit(delivery("a"))
        await store.retry(await self.take_one(store), delay=600.0, error="boom")
        assert await store.admit(delivery("a")) is Admission.ACCEPTED
        job = await self.take_one(store)  # now, not after the 600 s delay
        assert job.delivery.attempt == 2
        await store.complete(job)
        clock.advance(601.0)
        await self.take_none(store)  # the superseded scheduled retry does not run again
        assert await store.state("/orders:a") is ClaimState.DONE

    @pytest.mark.anyio
    async def test_redelivery_of_dead_is_admitted_afresh(self, store: Store) -> None:
        await store.admit(delivery("a"))
        await store.bury(await self.take_one(store), error="boom")
        assert await store.admit(delivery("a")) is Admission.ACCEPTED
        assert await store.state("/orders:a") is ClaimState.PENDING
        assert (await self.take_one(store)).delivery.attempt == 1
        assert await store.dead_letters() == []

    # -- replay, purge, close ---------------------------------------------------------------

    @pytest.mark.anyio
    async def test_replay_of_dead_runs_again_as_attempt_one(self, store: Store) -> None:
        await store.admit(delivery("a"))
        job = await self.take_one(store)
        await store.retry(job, delay=0.0, error="1")
        await store.bury(await self.take_one(store), error="2")
        assert await store.replay("/orders:a") is True
        assert await store.dead_letters() == []
        replayed = await self.take_one(store)
        assert replayed.delivery.attempt == 1 and replayed.delivery.body == job.delivery.body
        await store.complete(replayed)
        assert await store.state("/orders:a") is ClaimState.DONE

    @pytest.mark.anyio
    async def test_replay_of_done_runs_again(self, store: Store) -> None:
        await store.admit(delivery("a"))
        await store.complete(await self.take_one(store))
        assert await store.replay("/orders:a") is True
        assert (await self.take_one(store)).delivery.delivery_id == "a"

    @pytest.mark.anyio
    async def test_purge_dead_one_or_all(self, store: Store) -> None:
        for name in ("a", "b", "c"):
            await store.admit(delivery(name))
            await store.bury(await self.take_one(store), error="x")
        await store.admit(delivery("live"))
        assert await store.purge_dead("/orders:b") == 1
        assert await store.purge_dead("/orders:b") == 0
        assert await store.purge_dead("/orders:live") == 0
        assert [d.delivery.delivery_id for d in await store.dead_letters()] == ["a", "c"]
        assert await store.purge_dead() == 2
        assert await store.dead_letters() == []
        assert await store.state("/orders:live") is ClaimState.PENDING

    @pytest.mark.anyio
    async def test_record_keeps_as_done_without_running(self, store: Store) -> None:
        kept = delivery("r-1", topic="refund.created")
        assert await store.record(kept) == Admission.ACCEPTED
        assert await store.state(kept.key) == ClaimState.DONE
        stored = await store.get(kept.key)
        assert stored is not None and stored.body == kept.body and stored.topic == "refund.created"
        assert await store.take(CONSUMER, limit=10, wait=self.wait) == []
        assert await store.record(kept) == Admission.DUPLICATE
        assert await store.admit(kept) == Admission.DUPLICATE

    @pytest.mark.anyio
    async def test_record_leaves_an_existing_claim_alone(self, store: Store) -> None:
        live = delivery("r-2")
        assert await store.admit(live) == Admission.ACCEPTED
        assert await store.record(live) == Admission.DUPLICATE
        assert await store.state(live.key) == ClaimState.PENDING
        assert [job.delivery.key for job in await store.take(CONSUMER, limit=10, wait=self.wait)] == [
            live.key
        ]

    @pytest.mark.anyio
    async def test_replay_of_recorded_runs_it(self, store: Store) -> None:
        kept = delivery("r-3")
        await store.record(kept)
        assert await store.replay(kept.key)
        jobs = await store.take(CONSUMER, limit=10, wait=self.wait)
        assert [(job.delivery.key, job.delivery.attempt) for job in jobs] == [(kept.key, 1)]
        await store.complete(jobs[0])
        assert await store.state(kept.key) == ClaimState.DONE

    @pytest.mark.anyio
    async def test_record_on_closed_store_is_unavailable(self, store: Store) -> None:
        await store.close()
        with pytest.raises(StoreUnavailable):
            await store.record(delivery("r-4"))

    @pytest.mark.anyio
    async def test_closed_store_refuses_admission(self, store: Store) -> None:
        await store.close()
        with pytest.raises(StoreUnavailable):
            await store.admit(delivery("a"))

    # -- retention --------------------------------------------------------------------------

    @pytest.mark.anyio
    async def test_settled_claims_expire_after_retention(self, store: Store, clock: FakeClock) -> None:
        await store.admit(delivery("done"))
        await store.complete(await self.take_one(store))
        await store.admit(delivery("dead"))
        await store.bury(await self.take_one(store), error="x")
        await self.expire_retention(store, clock)
        assert await store.state("/orders:done") is None
        assert await store.state("/orders:dead") is None
        assert await store.admit(delivery("done")) is Admission.ACCEPTED  # forgotten: new again

    # -- operations: describe, stats, counters -------------------------------------------------

    @pytest.mark.anyio
    async def test_describe_shows_state_attempt_and_last_error(self, store: Store) -> None:
        sent = delivery("ins-1")
        assert await store.describe(sent.key) is None
        await store.admit(sent)
        claim = await store.describe(sent.key)
        assert claim is not None
        assert (claim.state, claim.delivery, claim.error) == (ClaimState.PENDING, sent, "")
        await store.retry(await self.take_one(store), delay=0, error="Traceback: boom")
        claim = await store.describe(sent.key)
        assert claim is not None
        assert (claim.state, claim.delivery.attempt, claim.error) == (
            ClaimState.FAILED,
            2,
            "Traceback: boom",
        )
        await store.complete(await self.take_one(store))
        claim = await store.describe(sent.key)
        assert claim is not None and claim.state is ClaimState.DONE
        assert claim.delivery.body == sent.body and claim.error == "Traceback: boom"

    @pytest.mark.anyio
    async def test_describe_forgets_after_retention(self, store: Store, clock: FakeClock) -> None:
        await store.admit(delivery("ins-2"))
        await store.complete(await self.take_one(store))
        await self.expire_retention(store, clock)
        assert await store.describe("/orders:ins-2") is None

    @pytest.mark.anyio
    async def test_stats_count_every_outcome(self, store: Store) -> None:
        assert (await store.stats()).admitted == 0
        for name in ("ok", "retried", "dead"):
            assert await store.admit(delivery(name)) is Admission.ACCEPTED
        assert await store.admit(delivery("ok")) is Admission.DUPLICATE
        assert await store.record(delivery("unwanted", topic="other")) is Admission.ACCEPTED
        assert await store.record(delivery("unwanted", topic="other")) is Admission.DUPLICATE
        jobs = {job.delivery.delivery_id: job for job in await store.take(CONSUMER, limit=10, wait=self.wait)}
        assert sorted(jobs) == ["dead", "ok", "retried"]
        running = await store.stats()
        assert (running.depth, running.running) == (0, 3)
        await store.complete(jobs["ok"])
        await store.retry(jobs["retried"], delay=0, error="x")
        await store.bury(jobs["dead"], error="x")
        stats = await store.stats()
        assert (stats.admitted, stats.duplicates, stats.unrouted) == (3, 2, 1)
        assert (stats.handled, stats.failed, stats.dead) == (1, 2, 1)
        assert (stats.depth, stats.running, stats.scheduled) == (1, 0, 0)  # the retry is due now
        await store.complete(await self.take_one(store))
        after = await store.stats()
        assert (after.handled, after.depth, after.running, after.oldest_age) == (2, 0, 0, 0.0)

    @pytest.mark.anyio
    async def test_stats_inbox_depth_scheduled_and_age(self, store: Store, clock: FakeClock) -> None:
        for name in ("a", "b"):
            await store.admit(delivery(name))
        waiting = await store.stats()
        assert (waiting.depth, waiting.running, waiting.scheduled) == (2, 0, 0)
        assert waiting.oldest_age >= 0.0
        jobs = await store.take(CONSUMER, limit=10, wait=self.wait)
        for job in jobs:
            await store.retry(job, delay=30, error="later")
        scheduled = await store.stats()
        assert (scheduled.depth, scheduled.running, scheduled.scheduled) == (0, 0, 2)
        clock.advance(40)  # both retries are due since 10 s: they wait in the inbox
        due = await store.stats()
        assert (due.depth, due.scheduled) == (2, 0)
        assert due.oldest_age >= 10.0

    @pytest.mark.anyio
    async def test_count_rejected_adds_by_reason(self, store: Store) -> None:
        await store.count_rejected({"bad_signature": 2, "stale_timestamp": 1})
        await store.count_rejected({"bad_signature": 3})
        await store.count_rejected({})
        assert dict((await store.stats()).rejected) == {"bad_signature": 5, "stale_timestamp": 1}

    @pytest.mark.anyio
    async def test_dead_letters_page_by_offset(self, store: Store, clock: FakeClock) -> None:
        async def bury(name: str) -> None:
            await store.admit(delivery(name))
            await store.bury(await self.take_one(store), error=name)
            clock.advance(1)

        await bury("expired")
        clock.advance(self.retention - 10)
        for name in "abcde":
            await bury(name)
        clock.advance(10)  # "expired" is past the retention now, the others are not

        async def page(offset: int) -> list[str]:
            return [d.error for d in await store.dead_letters(limit=2, offset=offset)]

        assert [await page(offset) for offset in (0, 2, 4, 6)] == [["a", "b"], ["c", "d"], ["e"], []]
