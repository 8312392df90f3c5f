"""The worker: handlers after the ack, threads for sync handlers, retries, dead letters, shutdown.

Time is a FakeClock shared by the receiver and its MemoryStore; jitter is a fixed ``rand``.
Deliveries arrive over HTTP (httpx.ASGITransport), so each test runs the real pipeline.
"""

from __future__ import annotations

import logging
import threading

import anyio
import pytest

from hookreceiver import ClaimState, Delivery, HookReceiver, MemoryStore, Outcome, RetryPolicy, Worker
from hookreceiver.receiver import Endpoint
from tests.helpers import FakeClock, asgi_client, delivery, make_receiver, post, sign, wait_for_record

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(clock: FakeClock) -> tuple[HookReceiver, Endpoint]:
    return make_receiver(clock=clock, max_attempts=3)


def worker_for(receiver: HookReceiver, rand: float = 0.5) -> Worker:
    return Worker(receiver.endpoints, receiver.store, concurrency=4, rand=lambda: rand)


async def deliver(receiver: HookReceiver, delivery_id: str = "d-1", topic: str = "order.created") -> str:
    async with asgi_client(receiver) as client:
        response = await post(client, sign({"n": 1}, topic=topic, delivery_id=delivery_id))
    assert response.status_code == 200, response.text
    status: str = response.json()["status"]
    return status


@pytest.mark.parametrize(
    ("attempt", "rand", "expected"),
    [(1, 0.0, 1.0), (1, 1.0, 2.0), (2, 0.5, 3.0), (3, 0.0, 4.0), (20, 1.0, 3600.0), (20, 0.0, 1800.0)],
)
def test_backoff_doubles_with_jitter_and_a_cap(attempt: int, rand: float, expected: float) -> None:
    assert RetryPolicy(base_delay=2.0, max_delay=3600.0).delay(attempt, rand) == expected


async def test_handlers_run_only_after_the_ack_and_all_match_in_order(
    app: tuple[HookReceiver, Endpoint],
) -> None:
    receiver, endpoint = app
    calls: list[str] = []

    @endpoint.on("order.created")
    async def exact(d: Delivery) -> None:
        calls.append("exact")

    @endpoint.on("order.*")
    def prefix(d: Delivery) -> None:
        calls.append("prefix")

    @endpoint.on("*")
    async def catch_all(d: Delivery) -> None:
        calls.append("catch_all")

    @endpoint.on("refund.*")
    async def other(d: Delivery) -> None:
        calls.append("other")

    assert await deliver(receiver) == "accepted"
    assert calls == []  # the sender has its answer; nothing ran yet
    [outcome] = await worker_for(receiver).run_once()
    assert outcome.status == "done" and calls == ["exact", "prefix", "catch_all"]
    assert await receiver.store.state("/orders:d-1") is ClaimState.DONE


async def test_sync_handlers_run_in_another_thread(app: tuple[HookReceiver, Endpoint]) -> None:
    receiver, endpoint = app
    threads: dict[str, int] = {}

    @endpoint.on("*")
    def blocking(d: Delivery) -> None:
        threads["sync"] = threading.get_ident()

    @endpoint.on("*")
    async def native(d: Delivery) -> None:
        threads["async"] = threading.get_ident()

    await deliver(receiver)
    await worker_for(receiver).run_once()
    assert threads["async"] == threading.get_ident()
    assert threads["sync"] != threading.get_ident()


async def test_retries_with_backoff_then_dead_letters_with_traceback(
    app: tuple[HookReceiver, Endpoint], clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    receiver, endpoint = app
    attempts: list[int] = []

    @endpoint.on("*")
    async def flaky(d: Delivery) -> None:
        attempts.append(d.attempt)
        raise ValueError(f"boom on attempt {d.attempt}")

    await deliver(receiver, "r-1")
    worker = worker_for(receiver, rand=0.5)
    first = await worker.run_once()
    assert [(o.status, o.delay) for o in first] == [("retry", 1.5)]  # 2 * 2**0 * (0.5 + 0.25)
    clock.advance(1.4)
    assert await worker.run_once() == []  # not due yet
    clock.advance(0.1)
    second = await worker.run_once()
    assert [(o.status, o.delay) for o in second] == [("retry", 3.0)]  # 2 * 2**1 * 0.75
    clock.advance(3.0)
    third = await worker.run_once()
    assert [o.status for o in third] == ["dead"]
    assert attempts == [1, 2, 3]
    assert await receiver.store.state("/orders:r-1") is ClaimState.DEAD
    [dead] = await receiver.store.dead_letters()
    assert dead.attempts == 3 and dead.delivery.delivery_id == "r-1"
    assert "Traceback (most recent call last)" in dead.error
    assert "ValueError: boom on attempt 3" in dead.error
    clock.advance(10_000)
    assert await worker.run_once() == []  # dead stays dead
    failures = [r for r in caplog.records if r.name == "hookreceiver.worker"]
    assert len(failures) == 3 and all("delivery_id=r-1" in r.getMessage() for r in failures)
    assert all(r.exc_info is not None for r in failures)  # the traceback is logged too


async def test_redelivery_of_failed_runs_now_and_of_dead_runs_again(
    app: tuple[HookReceiver, Endpoint], clock: FakeClock
) -> None:
    receiver, endpoint = app
    attempts: list[int] = []
    fail = True

    @endpoint.on("*")
    async def handler(d: Delivery) -> None:
        attempts.append(d.attempt)
        if fail:
            raise RuntimeError("down")

    worker = worker_for(receiver)
    await deliver(receiver, "f-1")
    await worker.run_once()  # fails, retry scheduled 1.5 s later (fake clock does not move)
    assert await deliver(receiver, "f-1") == "accepted"  # the provider retried on its own
    [outcome] = await worker.run_once()
    assert outcome.status == "retry" and attempts == [1, 2]
    clock.advance(2.0)  # past the superseded retry (due at 1.5), before the new one (3.0)
    assert await worker.run_once() == []
    clock.advance(1.0)
    assert [(o.delivery.attempt, o.status) for o in await worker.run_once()] == [(3, "dead")]
    assert attempts == [1, 2, 3]

    endpoint.retry = RetryPolicy(max_attempts=1)
    await deliver(receiver, "x-1")
    assert [o.status for o in await worker.run_once()] == ["dead"]
    fail = False
    assert await deliver(receiver, "x-1") == "accepted"
    [outcome] = await worker.run_once()
    assert (outcome.status, outcome.delivery.attempt) == ("done", 1)
    assert [d.delivery.delivery_id for d in await receiver.store.dead_letters()] == ["f-1"]


async def test_duplicates_of_pending_and_done_are_not_run_again(
    app: tuple[HookReceiver, Endpoint],
) -> None:
    receiver, endpoint = app
    runs: list[str] = []

    @endpoint.on("*")
    async def handler(d: Delivery) -> None:
        runs.append(d.delivery_id)

    assert await deliver(receiver, "p-1") == "accepted"
    assert await deliver(receiver, "p-1") == "duplicate"  # pending
    await worker_for(receiver).run_once()
    assert await deliver(receiver, "p-1") == "duplicate"  # done
    assert await worker_for(receiver).run_once() == []
    assert runs == ["p-1"]


async def test_handler_exception_is_logged_and_never_reaches_the_sender(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    receiver, endpoint = make_receiver(clock=clock, run_worker=True)
    done = anyio.Event()
    outcomes: list[Outcome] = []

    @endpoint.on("*")
    async def broken(d: Delivery) -> None:
        raise KeyError("secret-sauce-missing")

    def listen(outcome: Outcome) -> None:
        outcomes.append(outcome)
        done.set()

    receiver.worker.listeners.append(listen)
    async with asgi_client(receiver) as client:
        response = await post(client, sign({}, delivery_id="e-1"))
        with anyio.fail_after(5):
            await done.wait()
    await receiver.stop()
    assert response.status_code == 200 and "secret-sauce" not in response.text
    assert outcomes[0].status == "retry" and isinstance(outcomes[0].error, KeyError)
    [line] = [r.getMessage() for r in caplog.records if "handler failed" in r.getMessage()]
    assert "delivery_id=e-1" in line and "secret-sauce-missing" in line


async def test_a_job_for_an_unknown_endpoint_is_dead_lettered(app: tuple[HookReceiver, Endpoint]) -> None:
    receiver, _ = app
    await receiver.store.admit(delivery("g-1", endpoint="/gone"))
    [outcome] = await worker_for(receiver).run_once()
    assert outcome.status == "dead" and isinstance(outcome.error, LookupError)


async def test_stop_lets_in_flight_handlers_finish_within_grace() -> None:
    receiver, endpoint = make_receiver(run_worker=True)
    started, release = anyio.Event(), anyio.Event()
    finished: list[str] = []

    @endpoint.on("*")
    async def slow(d: Delivery) -> None:
        started.set()
        await release.wait()
        finished.append(d.delivery_id)

    await deliver(receiver, "s-1")
    with anyio.fail_after(5):
        await started.wait()
        async with anyio.create_task_group() as tg:
            tg.start_soon(lambda: receiver.worker.stop(grace=5))
            await anyio.sleep(0.01)
            assert receiver.worker.in_flight == 1
            release.set()
    assert finished == ["s-1"] and receiver.worker.in_flight == 0
    assert await receiver.store.state("/orders:s-1") is ClaimState.DONE


async def test_stop_hands_back_handlers_that_exceed_grace(caplog: pytest.LogCaptureFixture) -> None:
    store = MemoryStore()
    receiver, endpoint = make_receiver(store=store, run_worker=True)
    started, release = anyio.Event(), anyio.Event()
    runs: list[int] = []

    @endpoint.on("*")
    async def stuck(d: Delivery) -> None:
        runs.append(d.attempt)
        started.set()
        await release.wait()

    await deliver(receiver, "h-1")
    with anyio.fail_after(5):
        await started.wait()
        await receiver.worker.stop(grace=0.05)
    assert "handed back 1 in-flight" in caplog.text
    assert await store.state("/orders:h-1") is ClaimState.PENDING
    release.set()
    [outcome] = await worker_for(receiver).run_once()  # a later worker runs it again
    assert (outcome.status, outcome.delivery.attempt) == ("done", 1)
    assert runs == [1, 1]


async def test_worker_pauses_while_the_store_is_unavailable(caplog: pytest.LogCaptureFixture) -> None:
    store = MemoryStore()
    receiver, _ = make_receiver(store=store)
    await store.close()
    worker = Worker(receiver.endpoints, store, poll_interval=0.01)
    worker.start()
    await wait_for_record(caplog, "store unavailable, worker pauses")
    assert worker.running  # it pauses; it does not die
    await worker.stop(grace=1)
    assert not worker.running
    assert "store unavailable, worker pauses" in caplog.text
    assert logging.ERROR in {r.levelno for r in caplog.records}


FORGED = "order.created\r\nINFO forged line"


@pytest.mark.parametrize(
    ("fails", "attempts", "message"),
    [(False, 3, "handled"), (True, 3, "handler failed"), (True, 1, "dead-lettered")],
)
async def test_crlf_in_a_topic_or_id_cannot_forge_a_worker_log_line(
    fails: bool, attempts: int, message: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="hookreceiver")
    receiver, endpoint = make_receiver(clock=clock, max_attempts=attempts)

    @endpoint.on("*")
    async def handler(d: Delivery) -> None:
        if fails:
            raise ValueError("no")

    await receiver.store.admit(delivery(FORGED, topic=FORGED))
    await worker_for(receiver).run_once()
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith(message)]
    assert "\r" not in line and "\n" not in line
    escaped = "order.created\\x0d\\x0aINFO\\x20forged\\x20line"
    assert f"topic={escaped} delivery_id={escaped} " in line
