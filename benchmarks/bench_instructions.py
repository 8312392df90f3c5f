"""Instructions per request, counted by valgrind (callgrind): a measure the load of the machine
does not move.

Each variant's ASGI app is driven in process by 50 concurrent senders, each sending the
benchmark's 1.5 KB signed GitHub delivery (``_payload.py``) with a new delivery id, one request
after another; for ``embedded`` the in-process worker runs every handler before the count ends.
The variant runs twice under ``valgrind --tool=callgrind``, with ``--small`` and ``--large``
requests; the difference of the two totals over the difference of the request counts is what
one request costs (start-up and imports cancel out). Wall-clock numbers move with whatever else
the machine runs; these do not (two runs of the same commit agree to a fraction of a percent).
It needs valgrind (the Debian package).

    python3 benchmarks/bench_instructions.py [--variants floor,embedded] [--small N] [--large N]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import header  # noqa: E402
from _payload import asgi_scope, github_request  # noqa: E402
from _procs import child_env  # noqa: E402

SENDERS = 50
VARIANTS = ("floor", "embedded")
COLLECTED = re.compile(r"Collected : (\d+)")


def _app(variant: str) -> Any:
    if variant == "floor":
        return importlib.import_module("app_floor").app
    os.environ.pop("HOOKRECEIVER_REDIS_URL", None)  # the embedded default: memory store, worker on
    return importlib.import_module("app_hookreceiver").hooks


async def _drive(variant: str, requests: int) -> None:
    """Lifespan start, ``requests`` requests from SENDERS concurrent senders, every handler run."""
    app = _app(variant)
    signed = github_request()
    headers = [(k.encode(), v.encode()) for k, v in signed.headers.items() if k != "x-github-delivery"]
    headers += [(b"host", b"127.0.0.1:8000"), (b"content-length", str(len(signed.body)).encode())]
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    lifespan = asyncio.ensure_future(
        app({"type": "lifespan", "asgi": {"version": "3.0"}}, inbox.get, outbox.put)
    )
    await inbox.put({"type": "lifespan.startup"})
    started = await outbox.get()
    assert started["type"] == "lifespan.startup.complete", started
    numbers = iter(range(requests))
    statuses: list[int] = []

    async def one(number: int) -> None:
        scope = asgi_scope(headers, f"count-{number}")
        messages = [{"type": "http.request", "body": signed.body, "more_body": False}]

        async def receive() -> dict[str, Any]:
            if messages:
                return messages.pop()
            await asyncio.sleep(3600)  # no disconnect while the answer is written
            raise AssertionError("unreachable")

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        await app(scope, receive, send)

    async def sender() -> None:
        for number in numbers:
            await one(number)
            await asyncio.sleep(0)

    await asyncio.gather(*(sender() for _ in range(SENDERS)))
    if variant == "embedded":  # until the worker has run every handler
        while (await app.store.stats()).handled < requests:
            await asyncio.sleep(0.01)
    await inbox.put({"type": "lifespan.shutdown"})
    await outbox.get()
    await lifespan
    if statuses != [200] * requests:
        raise SystemExit(f"{variant}: not every answer was 200: {sorted(set(statuses))}")


def _count(variant: str, requests: int) -> int:
    argv = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--drive",
        variant,
        str(requests),
    ]
    done = subprocess.run(argv, capture_output=True, text=True, env=child_env(), check=False)
    found = COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"{variant} under valgrind failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated, from: %(default)s")
    parser.add_argument("--small", type=int, default=300, help="requests in the first run")
    parser.add_argument("--large", type=int, default=1300, help="requests in the second run")
    parser.add_argument("--smoke", action="store_true", help="tiny runs: checks it works")
    parser.add_argument("--drive", nargs=2, metavar=("VARIANT", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        import uvloop

        uvloop.install()
        asyncio.run(_drive(args.drive[0], int(args.drive[1])))
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    small, large = (20, 60) if args.smoke else (args.small, args.large)
    print(header("instructions per request (callgrind)"))
    per_request: dict[str, float] = {}
    for variant in args.variants.split(","):
        first, second = _count(variant, small), _count(variant, large)
        per_request[variant] = (second - first) / (large - small)
        cost = per_request[variant] / 1000
        print(f"{variant:10s} {cost:8.1f} k instructions per request  ({small} and {large} requests)")
    if "floor" in per_request and "embedded" in per_request:
        ratio = per_request["floor"] / per_request["embedded"]
        print(f"ratio floor / embedded instructions {ratio:.2f}  (the floor's share of a delivery's cost)")


if __name__ == "__main__":
    main()
