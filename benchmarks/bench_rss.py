"""Memory after a million admissions: embedded mode, default limits, the in-process worker draining.

A ``HookReceiver`` as a new user makes it (GitHub endpoint, no-op async handler on ``*``, the
default ``MemoryStore`` with its entry and byte caps, its worker in this process) is called as an
ASGI app directly, without HTTP, by ``--lanes`` concurrent senders, each request a new delivery.
Each sender yields to the event loop after every answer, as a server would between requests, so
the worker drains as it goes. A refused delivery (a full store answers 503) is sent again after
``--backoff`` seconds, as a provider retries, so N counts accepted admissions; the refusals are
counted and printed. The process's resident set size (RSS) is printed at checkpoints: once the
store is at its caps it must stay flat. The receiver's per-request warning lines are silenced
here so that a run of refusals does not flood the output (``--log-rejections`` keeps them).

``--shape nested`` sends signed bodies of ``--body-size`` bytes (default 5 MiB) whose payload is
``[[],[],...]``, which decodes to some twenty times its size: the memory store's byte budget must
bound RSS for those too (the budget plus the overhead docs/stores-and-workers.md states). The
last line compares the peak RSS with the budget.

    python3 benchmarks/bench_rss.py [--admissions N] [--checkpoints N] [--lanes N] [--smoke]
    python3 benchmarks/bench_rss.py --shape nested [--body-size BYTES] [--admissions N] [--lanes N]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import resource
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import header  # noqa: E402
from _payload import PATH, SECRET, asgi_scope, github_request  # noqa: E402

from hookreceiver import Delivery, HookReceiver, HttpRequest  # noqa: E402
from hookreceiver.providers import GitHub  # noqa: E402


def rss_mb() -> float:
    """The current resident set size in MiB (Linux), else the peak so far."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_rss_mb() -> float:
    """The peak resident set size so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def nested_request(size: int) -> HttpRequest:
    """A signed GitHub ``push`` of about ``size`` bytes whose payload is ``[[],[],...]``."""
    items = max(1, (size - 16) // 3)
    return GitHub(secret=SECRET).sign(
        [[]] * items,
        topic="push",
        delivery_id="bench-0",
        timestamp=time.time(),
        url=f"http://127.0.0.1{PATH}",
    )


def build(max_body_size: int | None = None) -> HookReceiver:
    hooks = HookReceiver(run_worker=True)
    github = hooks.endpoint(PATH, GitHub(secret=SECRET), max_body_size=max_body_size)

    @github.on("*")
    async def handle(delivery: Delivery) -> None:
        """The no-op handler."""

    return hooks


class Sender:
    """Calls the ASGI app with one new delivery per request; counts the statuses."""

    def __init__(self, hooks: HookReceiver, request: HttpRequest) -> None:
        self.app = hooks
        self.body = request.body
        self.headers = [
            (name.encode(), value.encode())
            for name, value in request.headers.items()
            if name != "x-github-delivery"
        ]
        self.headers.append((b"content-length", str(len(self.body)).encode()))
        self.statuses: Counter[int] = Counter()

    async def send_one(self, delivery_id: str) -> int:
        scope = asgi_scope(self.headers, delivery_id)
        answered = asyncio.Event()
        sent_body = False
        status = 0

        async def receive() -> dict[str, Any]:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": self.body, "more_body": False}
            await answered.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                self.statuses[status] += 1
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                answered.set()

        await self.app(scope, receive, send)
        return status


async def run(
    hooks: HookReceiver,
    request: HttpRequest,
    admissions: int,
    checkpoints: int,
    lanes: int,
    backoff: float,
    max_seconds: float,
) -> int:
    sender = Sender(hooks, request)
    numbers = iter(range(admissions))
    step = max(1, admissions // checkpoints)
    started = time.perf_counter()
    marks: list[tuple[int, float]] = []
    done = 0
    token = os.urandom(4).hex()

    def checkpoint() -> None:
        elapsed = time.perf_counter() - started
        rss = rss_mb()
        marks.append((done, rss))
        other = sum(n for status, n in sender.statuses.items() if not 200 <= status < 300)
        print(
            f"{done:>9} admissions  {elapsed:7.1f} s  {done / elapsed:7.0f}/s  rss {rss:7.1f} MiB  "
            f"refused {other}  {hooks.store!r}",
            flush=True,
        )

    deadline = time.monotonic() + max_seconds

    async def lane() -> None:
        nonlocal done
        for i in numbers:
            while not 200 <= await sender.send_one(f"{token}-{i}") < 300:
                if time.monotonic() > deadline:
                    return
                await asyncio.sleep(backoff)  # refused: the sender retries later, as providers do
            done += 1
            if done % step == 0:
                checkpoint()
            await asyncio.sleep(0)  # as a server does between requests: the worker gets its turn
            if time.monotonic() > deadline:
                return

    print(f"{0:>9} admissions  rss {rss_mb():7.1f} MiB before the first request", flush=True)
    await asyncio.gather(*(lane() for _ in range(lanes)))
    if not marks or marks[-1][0] != done:
        checkpoint()
    if done < admissions:
        print(f"stopped at --max-seconds {max_seconds:g}: {done} of {admissions} admissions")
    await asyncio.sleep(0.5)  # let the worker finish what it has
    await hooks.stop()
    print()
    print(f"statuses: {dict(sorted(sender.statuses.items()))}; store at the end: {hooks.store!r}")
    if len(marks) >= 2:
        (first_n, first), (last_n, last) = marks[0], marks[-1]
        print(
            f"rss at {first_n} admissions {first:.1f} MiB, at {last_n} {last:.1f} MiB: "
            f"ratio last/first {last / first:.2f}, {last - first:+.1f} MiB"
        )
    budget = hooks.settings.memory_max_bytes / 2**20
    peak = peak_rss_mb()
    print(f"peak rss {peak:.1f} MiB: the byte budget ({budget:.0f} MiB) {peak - budget:+.1f} MiB")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admissions", type=int, help="default 1,000,000 (nested: 60)")
    parser.add_argument("--checkpoints", type=int, default=10, help="RSS lines printed along the way")
    parser.add_argument("--lanes", type=int, help="concurrent senders (default 50; nested: 2)")
    parser.add_argument(
        "--backoff", type=float, default=0.1, help="seconds before a refused delivery is resent"
    )
    parser.add_argument("--max-seconds", type=float, default=3600.0, help="stop (and say so) after this long")
    parser.add_argument("--cpu", type=int, default=0, help="the CPU this process runs on")
    parser.add_argument("--log-rejections", action="store_true", help="keep the receiver's warning lines")
    parser.add_argument("--smoke", action="store_true", help="2000 admissions: checks it runs")
    parser.add_argument(
        "--shape",
        choices=("github", "nested"),
        default="github",
        help="github: the 1.5 KB pull_request; nested: [[],[],...] bodies of --body-size bytes",
    )
    parser.add_argument("--body-size", type=int, default=5 * 2**20, help="with --shape nested")
    args = parser.parse_args(argv)
    nested = args.shape == "nested"
    # 5 MiB bodies: a few dozen show the plateau, and two senders are what the docs measured
    args.admissions = args.admissions or (60 if nested else 1_000_000)
    args.lanes = args.lanes or (2 if nested else 50)
    if args.smoke:
        args.admissions, args.checkpoints = (20, 4) if nested else (2000, 4)
        if nested:
            args.body_size = min(args.body_size, 2**20)
    if hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) >= 2:
        os.sched_setaffinity(0, {args.cpu})
    if not args.log_rejections:
        logging.getLogger("hookreceiver").setLevel(logging.ERROR)
    request = nested_request(args.body_size) if nested else github_request()
    hooks = build(max_body_size=len(request.body) if nested else None)
    print(header("bench_rss: RSS over admissions, embedded (MemoryStore defaults), worker draining"))
    settings = hooks.settings
    print(
        f"{args.admissions} admissions of {args.shape} bodies ({len(request.body)} bytes), "
        f"{args.lanes} concurrent senders in process (ASGI calls, no HTTP), "
        f"a refused delivery resent after {args.backoff:g} s; "
        f"memory_max_entries={settings.memory_max_entries} memory_max_bytes={settings.memory_max_bytes}\n",
        flush=True,
    )
    return asyncio.run(
        run(hooks, request, args.admissions, args.checkpoints, args.lanes, args.backoff, args.max_seconds)
    )


if __name__ == "__main__":
    raise SystemExit(main())
