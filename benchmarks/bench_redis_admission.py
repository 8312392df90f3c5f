"""Admissions per second into RedisStore: one after another vs many in flight at once.

Each admission is one Lua script (one round trip). A web process has many requests in flight;
if they shared one connection their round trips would queue behind each other. The store uses a
connection pool, so concurrent admissions overlap. This prints three runs and their ratios to the
sequential baseline (same store, same Redis, same run):

    sequential        await admit() one after another (the baseline)
    concurrent/1conn  N in flight, but a pool of ONE connection (what we avoid)
    concurrent/pool   N in flight on the store's pool (what the receiver does)

On loopback a round trip costs almost nothing, so the client's CPU bounds all three runs. With
``--latency-ms 1`` the script puts a small TCP proxy in front of Redis that delays every chunk by
that much each way (like a Redis across a network), which is where overlapping round trips pays.

Usage: python benchmarks/bench_redis_admission.py [REDIS_URL] [--count 3000] [--in-flight 64]
       [--latency-ms 1]
REDIS_URL is read like HOOKRECEIVER_REDIS_URL (query options included; a single Redis, not a
cluster); the runs always use a fresh namespace of their own.
Bounded: at most --count admissions and --seconds per run; keys are deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import BlockingConnectionPool, Redis

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import header  # noqa: E402

from hookreceiver.core.delivery import Delivery  # noqa: E402
from hookreceiver.exceptions import ConfigurationError  # noqa: E402
from hookreceiver.stores.redis import RedisStore  # noqa: E402
from hookreceiver.stores.redis import keys as layout  # noqa: E402
from hookreceiver.stores.redis.connect import plan  # noqa: E402

MAX_COUNT = 50_000


def make_delivery(run: str, i: int) -> Delivery:
    payload = {"type": "order.created", "id": i, "note": "x" * 200}
    body = json.dumps(payload).encode()
    return Delivery(
        endpoint="/bench",
        provider="generic",
        topic="order.created",
        delivery_id=f"{run}-{i}",
        payload=payload,
        body=body,
        headers={"content-type": "application/json"},
        received_at=time.time(),
    )


async def sequential(store: RedisStore, run: str, count: int, deadline: float) -> int:
    done = 0
    for i in range(count):
        if time.monotonic() > deadline:
            break
        await store.admit(make_delivery(run, i))
        done += 1
    return done


async def concurrent(store: RedisStore, run: str, count: int, deadline: float, in_flight: int) -> int:
    done = 0
    next_index = iter(range(count))

    async def lane() -> None:
        nonlocal done
        for i in next_index:
            if time.monotonic() > deadline:
                return
            await store.admit(make_delivery(run, i))
            done += 1

    await asyncio.gather(*(lane() for _ in range(in_flight)))
    return done


async def timed(name: str, work: Callable[[float], object], seconds: float) -> tuple[str, float, int]:
    start = time.perf_counter()
    count = await work(time.monotonic() + seconds)  # type: ignore[misc]
    elapsed = time.perf_counter() - start
    return name, count / elapsed if elapsed else 0.0, count


def one_connection_store(url: str, namespace: str) -> RedisStore:
    """A RedisStore like ``RedisStore.from_url(url)``, but whose commands share ONE connection."""
    how = plan(
        url,
        namespace=layout.DEFAULT_NAMESPACE,
        visibility_timeout=layout.VISIBILITY_TIMEOUT,
        max_retained=layout.MAX_RETAINED,
        options={"namespace": namespace},
    )
    if how.cluster:
        raise ConfigurationError("this benchmark needs a single Redis, not a cluster URL")
    pool = BlockingConnectionPool.from_url(how.url, max_connections=1, **how.client_options(blocking=False))
    return RedisStore(Redis(connection_pool=pool), **how.store_options)


async def delay_proxy(url: str, latency: float) -> tuple[str, asyncio.Server]:
    """A loopback TCP proxy to Redis that holds every chunk ``latency`` seconds each way."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 6379

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(65536):
                await asyncio.sleep(latency)
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection(host, port)
            await asyncio.gather(pipe(client_r, server_w), pipe(server_r, client_w))
        except (OSError, asyncio.CancelledError):
            client_w.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    proxy_port = server.sockets[0].getsockname()[1]
    netloc = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    proxied = urlunsplit((parts.scheme, f"{netloc}127.0.0.1:{proxy_port}", parts.path, parts.query, ""))
    return proxied, server


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--in-flight", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=20.0, help="time cap per run")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added delay each way")
    args = parser.parse_args()
    count = min(args.count, MAX_COUNT)
    namespace = f"bench-{uuid.uuid4().hex[:8]}"
    url, proxy = args.url, None
    try:
        one = one_connection_store(url, namespace)  # checks the URL before a proxy is started
    except ConfigurationError as exc:
        raise SystemExit(f"bench_redis_admission: {exc}") from None
    if args.latency_ms > 0:
        await one.close()
        url, proxy = await delay_proxy(args.url, args.latency_ms / 1000)
        one = one_connection_store(url, namespace)
    pooled = RedisStore.from_url(url, namespace=namespace)
    try:
        await pooled.admit(make_delivery("warm", 0))  # connect and load the script
        await one.admit(make_delivery("warm", 1))
        results = [
            await timed("sequential", lambda d: sequential(pooled, "seq", count, d), args.seconds),
            await timed(
                "concurrent/1conn", lambda d: concurrent(one, "one", count, d, args.in_flight), args.seconds
            ),
            await timed(
                "concurrent/pool",
                lambda d: concurrent(pooled, "pool", count, d, args.in_flight),
                args.seconds,
            ),
        ]
    finally:
        keys = [key async for key in pooled.client.scan_iter(match=pooled.prefix + "*")]
        for start in range(0, len(keys), 500):
            await pooled.client.delete(*keys[start : start + 500])
        await one.close()
        await pooled.close()
        if proxy is not None:
            proxy.close()
    baseline = results[0][1]
    print(
        header(
            f"RedisStore.admit: {count} admissions per run, {args.in_flight} in flight, "
            f"+{args.latency_ms:g} ms each way"
        )
    )
    for name, rate, done in results:
        ratio = rate / baseline if baseline else 0.0
        print(f"  {name:<17} {rate:9.0f} admissions/s  ({done} done)  x{ratio:.2f} vs sequential")


if __name__ == "__main__":
    asyncio.run(main())
