"""Worker drain rate: deliveries handled per second by one worker process, no-op handler.

The store is filled with N new GitHub deliveries first (untimed); then the receiver's worker
(``HookReceiver.worker``: the ``Worker`` that ``hookreceiver worker`` and the in-process worker
run, with the settings' concurrency) is started and timed until it has handled all N. Embedded:
``MemoryStore`` in this process. Redis: a private ``redis-server`` (or ``--redis-url``) on the
other CPU, a fresh namespace per round. This process is pinned to ``--cpu`` when it may use two.

    python3 benchmarks/bench_drain.py [--deliveries N] [--rounds N] [--stores embedded,redis] [--smoke]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import header  # noqa: E402
from _payload import PATH, SECRET, github_request  # noqa: E402
from _procs import Children, can_pin, redis_server  # noqa: E402

from hookreceiver import Delivery, HookReceiver, MemoryStore  # noqa: E402
from hookreceiver.providers import GitHub, receive  # noqa: E402
from hookreceiver.stores.base import Store  # noqa: E402
from hookreceiver.worker import Outcome  # noqa: E402

TARGETS = {"embedded": 20_000, "redis": 10_000}  # deliveries/s per process, from issue 8


def deliveries(count: int, tag: str) -> list[Delivery]:
    """``count`` distinct verified deliveries, as the receive path builds them."""
    provider = GitHub(secret=SECRET)
    template = github_request()
    now = time.time()
    out = []
    for i in range(count):
        headers = dict(template.headers)
        headers["x-github-delivery"] = f"{tag}-{i}"
        made = receive(provider, dataclasses.replace(template, headers=headers), endpoint=PATH, now=now)
        assert isinstance(made, Delivery)
        out.append(made)
    return out


def receiver(store: Store) -> HookReceiver:
    hooks = HookReceiver(store=store, run_worker=False)
    github = hooks.endpoint(PATH, GitHub(secret=SECRET))

    @github.on("*")
    async def handle(delivery: Delivery) -> None:
        """The no-op handler."""

    return hooks


async def fill(store: Store, batch: list[Delivery]) -> None:
    for start in range(0, len(batch), 200):  # up to 200 admissions in flight
        results = await asyncio.gather(*(store.admit(d) for d in batch[start : start + 200]))
        if any(result != "accepted" for result in results):
            raise SystemExit(f"pre-fill: not every delivery was accepted: {set(results)}")


async def drain(store: Store, batch: list[Delivery]) -> tuple[float, dict[str, int]]:
    """Seconds the worker took to handle every delivery of ``batch``, and the outcomes."""
    hooks = receiver(store)
    await fill(store, batch)
    worker = hooks.worker
    outcomes: dict[str, int] = {}
    finished = asyncio.Event()

    def count(outcome: Outcome) -> None:
        outcomes[outcome.status] = outcomes.get(outcome.status, 0) + 1
        if sum(outcomes.values()) >= len(batch):
            finished.set()

    worker.listeners.append(count)
    start = time.perf_counter()
    worker.start()
    await asyncio.wait_for(finished.wait(), timeout=600)
    elapsed = time.perf_counter() - start
    await worker.stop(grace=5)
    return elapsed, outcomes


async def redis_round(url: str, batch: list[Delivery]) -> tuple[float, dict[str, int]]:
    from hookreceiver.stores.redis import RedisStore

    store = RedisStore.from_url(f"{url}?namespace=bench-{uuid.uuid4().hex[:8]}")
    try:
        return await drain(store, batch)
    finally:
        keys = [key async for key in store.client.scan_iter(match=store.prefix + "*")]
        for start in range(0, len(keys), 500):
            await store.client.delete(*keys[start : start + 500])
        await store.close()


async def measure(kind: str, count: int, round_: int, url: str | None) -> tuple[float, dict[str, int]]:
    batch = deliveries(count, f"{kind}-{round_}-{uuid.uuid4().hex[:6]}")
    if kind == "embedded":
        return await drain(MemoryStore(max_entries=count + 1000, max_bytes=1 << 40), batch)
    assert url is not None
    return await redis_round(url, batch)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=20_000, help="pre-filled deliveries per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per store; the median counts")
    parser.add_argument("--stores", default="embedded,redis", help="comma-separated: embedded, redis")
    parser.add_argument("--cpu", type=int, default=0, help="the CPU this process runs on")
    parser.add_argument("--redis-cpu", type=int, default=1, help="the CPU of the private redis-server")
    parser.add_argument("--redis-url", default=None, help="use this Redis instead of a private redis-server")
    parser.add_argument("--smoke", action="store_true", help="200 deliveries, 1 round: checks it runs")
    args = parser.parse_args(argv)
    if args.smoke:
        args.deliveries, args.rounds = 200, 1
    kinds = [k.strip() for k in args.stores.split(",") if k.strip()]
    pin = can_pin()
    if pin:
        os.sched_setaffinity(0, {args.cpu})
    concurrency = receiver(MemoryStore()).settings.worker_concurrency
    print(header("bench_drain: one worker, no-op handler, store pre-filled with N deliveries"))
    where = f"worker on cpu {args.cpu}, redis-server on cpu {args.redis_cpu}" if pin else "no CPU pinning"
    print(
        f"{where}; N = {args.deliveries}; worker concurrency {concurrency}; median of {args.rounds} round(s)"
    )
    print(flush=True)
    rates: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="hookreceiver-bench-") as tmp:
        children = Children(Path(tmp))
        try:
            redis: contextlib.AbstractContextManager[str | None] = (
                redis_server(children, args.redis_cpu if pin else None, args.redis_url)
                if "redis" in kinds
                else contextlib.nullcontext()
            )
            with redis as url:
                for round_ in range(args.rounds):
                    for kind in kinds:
                        elapsed, outcomes = asyncio.run(measure(kind, args.deliveries, round_, url))
                        rate = args.deliveries / elapsed
                        rates.setdefault(kind, []).append(rate)
                        print(
                            f"round {round_ + 1} {kind:<9} {rate:9.0f} deliveries/s  "
                            f"({args.deliveries} in {elapsed:.2f} s; outcomes {outcomes})",
                            flush=True,
                        )
        finally:
            children.stop()
    print()
    for kind, values in rates.items():
        median = statistics.median(values)
        target = TARGETS.get(kind)
        print(
            f"drain {kind:<9} {median:9.0f} deliveries/s per process (median)  "
            f"ratio to target {median / target:.2f} (target >= {target})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
