"""Redis down, read-only or full: senders get a 503 (nothing acknowledged), and service resumes.

These tests start their own password-protected redis-server on a free port and SIGKILL it; the
password must never reach a response, an exception message or a log line.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time

import anyio
import pytest
import redis.asyncio

from hookreceiver import ClaimState, Delivery, StoreUnavailable
from hookreceiver.stores.redis import RedisStore
from tests.conftest import REDIS_TEST_PASSWORD, RedisServer
from tests.helpers import (
    FakeClock,
    asgi_client,
    delivery,
    free_port,
    make_receiver,
    post,
    sign,
    wait_for_record,
)

pytestmark = [pytest.mark.anyio, pytest.mark.redis]

SENDER_TIMEOUT = 10.0  # seconds a webhook sender waits for an answer (many wait 10 to 30)


async def test_redis_killed_means_503_and_restarted_means_service(
    redis_server: RedisServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    handled: list[str] = []
    store = RedisStore.from_url(redis_server.url, namespace="outage")
    receiver, endpoint = make_receiver(store=store, run_worker=True)
    receiver.worker.poll_interval = 0.1

    @endpoint.on("order.*")
    async def handle(delivery: Delivery) -> None:
        handled.append(delivery.delivery_id)

    async with asgi_client(receiver) as client:
        first = await post(client, sign({"n": 1}, delivery_id="before"))
        assert (first.status_code, first.json()["status"]) == (200, "accepted")

        redis_server.kill()
        down = await post(client, sign({"n": 2}, delivery_id="during"))
        assert down.status_code == 503
        assert down.json()["error"] == "store_unavailable"
        # The in-process worker meets the outage too, and pauses (it does not die).
        await wait_for_record(caplog, "store unavailable, worker pauses")
        assert receiver.worker.running

        redis_server.start()  # same port, empty: the sender's retry must now be taken
        again = await post(client, sign({"n": 2}, delivery_id="during"))
        assert (again.status_code, again.json()["status"]) == (200, "accepted")
        deadline = time.monotonic() + 20
        while "during" not in handled:
            assert time.monotonic() < deadline, "the worker handled nothing after Redis came back"
            await asyncio.sleep(0.05)
        assert await store.state("/orders:during") is ClaimState.DONE
    await receiver.stop()
    assert "store_unavailable" in caplog.text and "redis unavailable" in caplog.text
    assert REDIS_TEST_PASSWORD not in caplog.text + down.text


async def test_nothing_listening_is_store_unavailable_without_the_secret() -> None:
    store = RedisStore.from_url(f"redis://user:{REDIS_TEST_PASSWORD}@127.0.0.1:{free_port()}/0")
    with pytest.raises(StoreUnavailable) as caught:
        await store.admit(delivery("a"))
    assert "ConnectionError" in str(caught.value) and REDIS_TEST_PASSWORD not in str(caught.value)
    assert REDIS_TEST_PASSWORD not in repr(store)
    for call in (store.take("c", limit=1, wait=0), store.state("/orders:a"), store.dead_letters()):
        with pytest.raises(StoreUnavailable):
            await call
    await store.close()


async def test_wrong_password_is_store_unavailable(redis_server: RedisServer) -> None:
    store = RedisStore.from_url(f"redis://:not-the-password@127.0.0.1:{redis_server.port}/0")
    with pytest.raises(StoreUnavailable, match="AuthenticationError"):
        await store.admit(delivery("a"))
    await store.close()


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (("REPLICAOF", "127.0.0.1", "1"), "ReadOnlyError"),  # a replica (e.g. after a failover)
        (("CONFIG", "SET", "maxmemory", "1"), "OutOfMemoryError"),  # full, with the default noeviction policy
    ],
)
async def test_read_only_or_full_redis_refuses_admission_with_503(
    redis_server: RedisServer,
    setup: tuple[str, ...],
    expected: str,
) -> None:
    store = RedisStore.from_url(redis_server.url, namespace="refusing", clock=FakeClock())
    receiver, endpoint = make_receiver(store=store)
    endpoint.on("*")(lambda d: None)
    admin = redis.asyncio.Redis.from_url(redis_server.url)
    await admin.execute_command(*setup)  # type: ignore[no-untyped-call]
    try:
        with pytest.raises(StoreUnavailable, match=expected):
            await store.admit(delivery("a"))
        async with asgi_client(receiver) as client:
            response = await post(client, sign({"n": 1}, delivery_id="b"))
        assert response.status_code == 503
    finally:
        await admin.aclose()
        await store.close()


async def test_a_hung_redis_is_a_503_well_before_the_sender_gives_up(
    redis_server: RedisServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    store = RedisStore.from_url(redis_server.url, namespace="hung")
    receiver, endpoint = make_receiver(store=store)
    endpoint.on("*")(lambda d: None)
    process = redis_server.process
    assert process is not None
    async with asgi_client(receiver) as client:
        first = await post(client, sign({"n": 1}, delivery_id="before"))
        assert first.status_code == 200
        process.send_signal(signal.SIGSTOP)  # alive, connected, answering nothing
        try:
            # The sender's own timeout: the store's command timeout (3 s) fits well inside it;
            # retrying the hung command (3 x 15 s) would not, and this would raise TimeoutError.
            with anyio.fail_after(SENDER_TIMEOUT):
                hung = await post(client, sign({"n": 2}, delivery_id="during"))
        finally:
            process.send_signal(signal.SIGCONT)
        assert (hung.status_code, hung.json()["error"]) == (503, "store_unavailable")
        assert "redis unavailable" in caplog.text and "TimeoutError" in caplog.text
        # The script was sent before the timeout, so Redis may run it once it wakes: the sender's
        # retry is then a duplicate. Either way it is stored now, and only now acknowledged.
        again = await post(client, sign({"n": 2}, delivery_id="during"))
        assert again.status_code == 200 and again.json()["status"] in ("accepted", "duplicate")
        assert await store.state("/orders:during") is ClaimState.PENDING
    await store.close()
