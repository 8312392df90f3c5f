"""RedisStore on a real three-node Redis Cluster (started here, on free ports).

The whole Store contract runs against the cluster through a ``redis+cluster://`` URL: every
script names all its keys, and all keys share the ``{namespace}`` hash tag, so any script that
reached across slots would fail with CROSSSLOT here. A second namespace lands on another slot.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from hookreceiver import Admission, ClaimState, Store
from hookreceiver.stores.redis import RedisStore
from tests.conftest import HOW_TO_GET_REDIS, REDIS_SERVER, RedisServer
from tests.helpers import FakeClock, asgi_client, delivery, make_receiver, post, sign, wait_for_record
from tests.stores.contract import CONSUMER, StoreContract

pytestmark = [pytest.mark.redis, pytest.mark.e2e]


def _missing(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def start_cluster(base: Path) -> tuple[list[RedisServer], str]:
    """Three cluster nodes on free ports, joined and serving; returns them and a seed URL."""
    cli = shutil.which("redis-cli")
    if cli is None or not os.path.exists(REDIS_SERVER):
        _missing(f"redis-server/redis-cli are missing; {HOW_TO_GET_REDIS}")
    nodes = [RedisServer(base / f"node{i}", cluster=True) for i in range(3)]
    try:
        for node in nodes:
            node.start()
        addresses = [f"127.0.0.1:{node.port}" for node in nodes]
        subprocess.run(
            [str(cli), "--cluster", "create", *addresses, "--cluster-replicas", "0", "--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        wait_for_cluster(nodes)
    except BaseException:
        for node in nodes:
            node.kill()
        raise
    return nodes, f"redis+cluster://127.0.0.1:{nodes[0].port}"


@pytest.fixture(scope="module")
def cluster_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    nodes, url = start_cluster(tmp_path_factory.mktemp("cluster"))
    try:
        yield url
    finally:
        for node in nodes:
            node.kill()


class TestRedisStoreOnCluster(StoreContract):
    @pytest.fixture(autouse=True)
    def _cluster(self, cluster_url: str) -> None:
        self.url = cluster_url

    async def make_store(self, clock: Callable[[], float]) -> Store:
        return RedisStore.from_url(
            self.url, retention=self.retention, clock=clock, namespace=f"c-{uuid.uuid4().hex[:10]}"
        )


@pytest.mark.anyio
async def test_namespaces_spread_over_the_cluster_and_each_works(cluster_url: str) -> None:
    from redis.crc import key_slot

    stores = [
        RedisStore.from_url(cluster_url, namespace=f"spread-{i}-{uuid.uuid4().hex[:6]}", clock=FakeClock())
        for i in range(6)
    ]
    try:
        slots = {key_slot(store.inbox.encode()) for store in stores}
        assert len(slots) > 1
        for store in stores:
            assert await store.admit(delivery("x")) is Admission.ACCEPTED
            [job] = await store.take(CONSUMER, limit=5, wait=0.1)
            await store.retry(job, delay=0, error="once")
            [job] = await store.take(CONSUMER, limit=5, wait=0.1)
            await store.complete(job)
            assert await store.state("/orders:x") is ClaimState.DONE
    finally:
        for store in stores:
            await store.close()


def wait_for_cluster(nodes: list[RedisServer]) -> None:
    deadline = time.monotonic() + 30
    with redis.Redis(port=nodes[0].port) as client:
        while b"cluster_state:ok" not in client.execute_command("CLUSTER", "INFO"):
            assert time.monotonic() < deadline, "the cluster did not come up"
            time.sleep(0.1)


@pytest.mark.anyio
async def test_a_cluster_outage_is_a_503_and_the_worker_keeps_going(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    nodes, url = start_cluster(tmp_path / "doomed")
    handled: list[str] = []
    try:
        store = RedisStore.from_url(url, namespace="outage", clock=FakeClock())
        receiver, endpoint = make_receiver(store=store, run_worker=True)
        receiver.worker.poll_interval = 0.1
        endpoint.on("*")(lambda d: handled.append(d.delivery_id))
        async with asgi_client(receiver) as client:
            first = await post(client, sign({"n": 1}, delivery_id="before"))
            assert (first.status_code, first.json()["status"]) == (200, "accepted")
            for node in nodes:
                node.kill()
            down = await post(client, sign({"n": 2}, delivery_id="during"))
            assert (down.status_code, down.json()["error"]) == (503, "store_unavailable")
            # The in-process worker meets the outage as well: it pauses and retries, not dies.
            await wait_for_record(caplog, "store unavailable, worker pauses")
            assert receiver.worker.running
            for node in nodes:  # same ports and cluster config, empty data
                node.start()
            wait_for_cluster(nodes)
            deadline = time.monotonic() + 30
            while (again := await post(client, sign({"n": 2}, delivery_id="during"))).status_code != 200:
                assert time.monotonic() < deadline, f"no service after the cluster came back: {again.text}"
                await asyncio.sleep(0.2)
            assert again.json()["status"] == "accepted"
            while "during" not in handled:  # the same worker, still running, handles it
                assert time.monotonic() < deadline, "the worker handled nothing after the outage"
                await asyncio.sleep(0.05)
            # The outcome is recorded after the handler returns (one settle script per tick):
            # wait for it rather than race it.
            while (state := await store.state("/orders:during")) is not ClaimState.DONE:
                assert time.monotonic() < deadline, f"the handled delivery stayed {state}"
                await asyncio.sleep(0.05)
        await receiver.stop()
    finally:
        for node in nodes:
            node.kill()
