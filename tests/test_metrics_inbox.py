"""Metrics beyond the receive path: inbox gauges read from the store at scrape time or by a
poller, and every counter summed across two processes in multiprocess mode."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import anyio
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.applications import Starlette
from starlette.routing import Mount

from hookreceiver.metrics import Metrics, metrics_app
from hookreceiver.stores.redis import RedisStore
from tests.helpers import REPO_ROOT, FakeClock, asgi_client, free_port, make_receiver, post, sign

pytestmark = pytest.mark.anyio

DEPTH = "hookreceiver_inbox_depth"
AGE = "hookreceiver_inbox_oldest_age_seconds"


def value(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


async def test_each_scrape_reads_the_inbox_from_the_store() -> None:
    clock = FakeClock()
    registry = CollectorRegistry()
    receiver, endpoint = make_receiver(clock=clock)
    endpoint.on("*")(lambda delivery: None)
    metrics = Metrics(registry).attach(receiver)
    app = Starlette(routes=[Mount("/metrics", metrics_app(metrics=metrics)), Mount("/", receiver)])
    async with asgi_client(app) as client:
        for n in (1, 2):
            await post(client, sign({"type": "order.created"}, delivery_id=f"g-{n}"))
        clock.advance(30)
        scraped = (await client.get("/metrics/")).text
        assert f"{DEPTH} 2.0" in scraped and f"{AGE} 30.0" in scraped
        assert len(await receiver.worker.run_once()) == 2
        scraped = (await client.get("/metrics/")).text
    assert f"{DEPTH} 0.0" in scraped and f"{AGE} 0.0" in scraped


async def test_a_store_that_does_not_answer_keeps_the_last_values() -> None:
    registry = CollectorRegistry()
    metrics = Metrics(registry)
    metrics.observe_inbox(7, 3.5)
    store = RedisStore.from_url(f"redis://127.0.0.1:{free_port()}/0?timeout=1")
    try:
        assert await metrics.refresh_inbox(store) is False
    finally:
        await store.close()
    assert (value(registry, DEPTH), value(registry, AGE)) == (7.0, 3.5)


async def test_the_poller_keeps_the_gauges_current() -> None:
    registry = CollectorRegistry()
    receiver, endpoint = make_receiver()
    endpoint.on("*")(lambda delivery: None)
    metrics = Metrics(registry).attach(receiver)
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(lambda: metrics.poll_inbox(interval=0.01))
        with anyio.fail_after(10):
            while value(registry, DEPTH) != 0.0:
                await anyio.sleep(0.01)
            async with asgi_client(receiver) as client:
                await post(client, sign({"type": "order.created"}, delivery_id="p-1"))
            while value(registry, DEPTH) != 1.0:
                await anyio.sleep(0.01)
        tasks.cancel_scope.cancel()


PROCESS = textwrap.dedent("""
    import asyncio, sys
    from hookreceiver.metrics import Metrics
    from tests.helpers import FakeClock, asgi_client, make_receiver, post, sign

    async def main(tag):
        clock = FakeClock()
        receiver, endpoint = make_receiver(clock=clock, max_attempts=2)
        @endpoint.on("order.created")
        def fine(delivery): pass
        @endpoint.on("order.broken")
        def broken(delivery): raise ValueError("broken")
        metrics = Metrics().attach(receiver)
        async with asgi_client(receiver) as client:
            good = sign({"type": "order.created"}, delivery_id="ok-" + tag)
            await post(client, good)
            await post(client, good)  # a duplicate
            await post(client, good, headers={"x-signature": "00" * 32})  # refused
            await post(client, sign({"type": "order.broken"}, topic="order.broken", delivery_id="b-" + tag))
        await receiver.worker.run_once()  # ok: done; broken: retry
        clock.advance(3600)
        await receiver.worker.run_once()  # broken: dead
        await metrics.refresh_inbox()

    asyncio.run(main(sys.argv[1]))
""")


def test_every_counter_is_summed_across_processes(tmp_path: Path) -> None:
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PYTHONPATH": ":".join(sys.path)}
    for tag in ("1", "2"):
        subprocess.run([sys.executable, "-c", PROCESS, tag], check=True, env=env, cwd=REPO_ROOT, timeout=60)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(tmp_path))  # type: ignore[no-untyped-call]
    orders = {"endpoint": "/orders"}
    expected = {
        ("hookreceiver_deliveries_total", "accepted"): 4.0,  # ok + broken, in each process
        ("hookreceiver_deliveries_total", "duplicate"): 2.0,
        ("hookreceiver_duplicates_total", None): 2.0,
        ("hookreceiver_handler_failures_total", None): 4.0,  # broken failed twice in each
        ("hookreceiver_retries_total", None): 2.0,
        ("hookreceiver_dead_letters_total", None): 2.0,
        ("hookreceiver_ack_seconds_count", None): 6.0,
    }
    for (name, outcome), count in expected.items():
        labels = {**orders, **({"provider": "generic", "outcome": outcome} if outcome else {})}
        assert value(registry, name, **labels) == count, name
    assert value(registry, "hookreceiver_rejections_total", endpoint="/orders", reason="bad_signature") == 2.0
    assert value(registry, "hookreceiver_handler_seconds_count", endpoint="/orders", outcome="done") == 2.0
    assert value(registry, DEPTH) == 0.0  # the most recent of the processes' values
