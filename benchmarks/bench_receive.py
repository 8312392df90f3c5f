"""Requests per second through the whole receive path, next to a bare Starlette route.

Ours: a ``HookReceiver`` with one ``Generic`` endpoint and the in-memory store. Each request is a
new, correctly signed delivery, so every one is verified, decoded, identified, admitted to the
store and acknowledged (the worker is off: this measures the time to the 2xx, not the handlers).
Baseline: a Starlette app whose one route reads the body and returns 200, sent the very same
requests. Both are driven in this process through ``httpx.ASGITransport``, one request at a time,
alternately, best of several rounds; the HTTP client's own cost is in both numbers.

    python3 benchmarks/bench_receive.py [--requests N] [--rounds N] [--size BYTES]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import header  # noqa: E402

from hookreceiver import Delivery, HookReceiver, MemoryStore  # noqa: E402
from hookreceiver.core.delivery import HttpRequest  # noqa: E402
from hookreceiver.providers import Generic  # noqa: E402

PROVIDER = Generic(
    secret="bench-secret",
    signature_header="x-signature",
    topic="body:type",
    delivery_id="header:x-request-id",
)


def build_receiver(capacity: int) -> HookReceiver:
    hooks = HookReceiver(store=MemoryStore(max_entries=capacity), run_worker=False)
    orders = hooks.endpoint("/orders", PROVIDER)

    @orders.on("order.*")
    def handle(delivery: Delivery) -> None:  # routed, so each delivery is stored
        pass

    return hooks


async def bare_route(request: Request) -> Response:
    await request.body()
    return Response(b'{"status":"ok"}', media_type="application/json")


def signed_requests(count: int, size: int, tag: str) -> list[HttpRequest]:
    """``count`` distinct deliveries of about ``size`` body bytes, signed before timing starts."""
    note = "x" * max(0, size - 60)
    return [
        PROVIDER.sign(
            {"order": i, "note": note},
            topic="order.created",
            delivery_id=f"{tag}-{i}",
            timestamp=time.time(),
            url="http://bench/orders",
        )
        for i in range(count)
    ]


async def drive(app: Any, requests: list[HttpRequest], expect: str) -> float:
    """Send every request in turn; return requests per second. Any unexpected answer aborts."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        start = time.perf_counter()
        for request in requests:
            response = await client.post("/orders", content=request.body, headers=dict(request.headers))
            if response.status_code != 200 or expect not in response.text:
                raise SystemExit(f"unexpected answer {response.status_code}: {response.text}")
        elapsed = time.perf_counter() - start
    return len(requests) / elapsed


async def run(count: int, rounds: int, size: int) -> tuple[float, float, int]:
    hooks = build_receiver(capacity=count * (rounds + 1) + 10)
    bare = Starlette(routes=[Route("/orders", bare_route, methods=["POST"])])
    await drive(hooks, signed_requests(50, size, "warm"), '"accepted"')
    await drive(bare, signed_requests(50, size, "warm"), '"ok"')
    ours_best = bare_best = 0.0
    body_size = 0
    for round_ in range(rounds):
        batch = signed_requests(count, size, f"r{round_}")  # new ids: no duplicates
        body_size = len(batch[0].body)
        bare_best = max(bare_best, await drive(bare, batch, '"ok"'))
        ours_best = max(ours_best, await drive(hooks, batch, '"accepted"'))
    await hooks.stop()
    return ours_best, bare_best, body_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per round and side")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the best counts")
    parser.add_argument("--size", type=int, default=1024, help="approximate body size in bytes")
    args = parser.parse_args(argv)

    print(header("bench_receive: HookReceiver (Generic + MemoryStore) vs a bare Starlette route"))
    print(
        f"{args.requests} sequential requests per round, best of {args.rounds} rounds, "
        "in process over httpx.ASGITransport\n"
    )
    ours, bare, body_size = asyncio.run(run(args.requests, args.rounds, args.size))
    print(f"body bytes: {body_size}")
    print(f"{'bare Starlette route':<28} {bare:>10.0f} requests/s")
    print(f"{'hookreceiver receive path':<28} {ours:>10.0f} requests/s")
    print(f"{'ours/bare throughput':<28} {ours / bare:>10.2f}x")
    print(f"{'added per request':<28} {(1 / ours - 1 / bare) * 1e6:>10.1f} us")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
