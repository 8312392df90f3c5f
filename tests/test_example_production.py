"""examples/production.py as docs/deploying.md lays it out: two ``serve`` and two ``worker``
processes on one real Redis. Deliveries sent to either web process are each handled exactly once,
by one of the workers; the web processes run no handler."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from hookreceiver.providers import Generic
from tests.conftest import delete_namespace
from tests.helpers import REPO_ROOT, ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.redis]

SECRET = "production-example-secret-6e0d91b2"


Layout = tuple[list[ServerProcess], list[subprocess.Popen[bytes]], str]


@pytest.fixture
def layout(redis_url: str, tmp_path: Path) -> Iterator[Layout]:
    namespace = f"prod-example-{os.getpid()}-{time.monotonic_ns()}"
    url = f"{redis_url.split('?', 1)[0]}?namespace={namespace}"
    env = {
        "HOOKRECEIVER_REDIS_URL": url,
        "HOOKRECEIVER_RUN_WORKER": "false",
        "ORDERS_WEBHOOK_SECRET": SECRET,
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    servers = [
        ServerProcess("examples.production:hooks", tmp_path / f"serve{n}.log", env=env) for n in (1, 2)
    ]
    workers: list[subprocess.Popen[bytes]] = []
    try:
        for server in servers:
            server.start()
        for n in (1, 2):
            with open(tmp_path / f"worker{n}.log", "wb") as log:
                workers.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "hookreceiver", "worker", "examples.production:hooks"],
                        cwd=REPO_ROOT,
                        env={**os.environ, **env},
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
        yield servers, workers, f"{namespace}:handled-orders"
    finally:
        for server in servers:
            server.kill()
        for worker in workers:
            worker.terminate()
            worker.wait(20)
        delete_namespace(redis_url, namespace)


def test_two_web_processes_and_two_workers_share_one_redis(layout: Layout, redis_url: str) -> None:
    servers, workers, results_key = layout
    signer = Generic(
        secret=SECRET,
        signature_header="x-signature",
        timestamp_header="x-timestamp",
        topic="body:type",
        delivery_id="header:x-request-id",
        signed_content="{id}.{timestamp}.{body}",
    )
    ids = [f"order-{n}" for n in range(20)]
    statuses = []
    for n, delivery_id in enumerate(ids):
        server = servers[n % 2]
        request = signer.sign(
            {"type": "order.created", "n": n},
            topic="order.created",
            delivery_id=delivery_id,
            timestamp=time.time(),
            url=f"{server.url}/orders",
        )
        response = httpx.post(request.url, content=request.body, headers=dict(request.headers), timeout=10)
        statuses.append(response.json().get("status", response.text))  # the error body, if any
    again = signer.sign(
        {"type": "order.created", "n": 0},
        topic="order.created",
        delivery_id=ids[0],
        timestamp=time.time(),
        url=f"{servers[1].url}/orders",
    )
    duplicate = httpx.post(again.url, content=again.body, headers=dict(again.headers), timeout=10)
    assert statuses == ["accepted"] * 20 and duplicate.json()["status"] == "duplicate"
    for server in servers:
        assert httpx.get(f"{server.url}/readyz", timeout=10).json()["status"] == "ready"

    client = redis.Redis.from_url(redis_url.split("?", 1)[0])
    deadline = time.monotonic() + 60
    while client.hlen(results_key) < len(ids) and time.monotonic() < deadline:
        time.sleep(0.1)
    raw: dict[bytes, bytes] = client.hgetall(results_key)  # type: ignore[assignment]
    handled = {key.decode(): int(value) for key, value in raw.items()}
    client.close()
    assert sorted(handled) == sorted(ids)
    assert set(handled.values()) <= {worker.pid for worker in workers}  # no web process ran one
    for server in servers:
        assert "handled endpoint" not in server.log()
