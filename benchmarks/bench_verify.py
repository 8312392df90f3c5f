"""How much the core costs per delivery, next to the least a receiver could do.

Ours: ``Generic.verify`` + ``decode`` + ``identify`` on a signed JSON request (HMAC-SHA256 hex in a
header, topic in the body, delivery id in a header): the pure core, no HTTP, no store.
Baseline, same bytes: ``hmac.new(...).hexdigest()`` compared with ``hmac.compare_digest``, then
``json.loads`` and two lookups. Both run in this process, alternately, best of several rounds.

    python3 benchmarks/bench_verify.py [--budget SECONDS] [--rounds N]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import calibrate, header, per_call  # noqa: E402

from hookreceiver.core.delivery import HttpRequest  # noqa: E402
from hookreceiver.providers import Generic  # noqa: E402

SECRET = "bench-secret"
SIZES = (256, 4 * 1024, 64 * 1024, 1024 * 1024)


def make_request(provider: Generic, size: int) -> HttpRequest:
    """A signed JSON delivery whose body is ``size`` bytes (or the smallest possible)."""

    def sign(note: str) -> HttpRequest:
        return provider.sign(
            {"order": 1, "note": note},
            topic="order.created",
            delivery_id="order-1",
            timestamp=time.time(),
            url="http://bench/orders",
        )

    overhead = len(sign("").body)
    return sign("x" * max(0, size - overhead))


def ours(provider: Generic, request: HttpRequest) -> Callable[[], object]:
    def run() -> object:
        provider.verify(request, now=0.0)
        payload = provider.decode(request)
        return provider.identify(request, payload)

    return run


def baseline(request: HttpRequest) -> Callable[[], object]:
    key = SECRET.encode()
    body = request.body
    signature = request.headers["x-signature"]

    def run() -> object:
        expected = hmac.new(key, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise ValueError("bad signature")
        payload = json.loads(body)
        return payload["type"], request.headers["x-request-id"]

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=0.25, help="seconds per timed round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per case; the best counts")
    args = parser.parse_args(argv)

    provider = Generic(
        secret=SECRET, signature_header="x-signature", topic="body:type", delivery_id="header:x-request-id"
    )
    print(header("bench_verify: Generic verify+decode+identify vs hmac.compare_digest + json.loads"))
    print(f"best of {args.rounds} rounds of ~{args.budget:.2f} s each, per body size\n")
    print(f"{'body bytes':>10}  {'baseline us/op':>14}  {'ours us/op':>10}  {'ours/baseline':>13}")
    for size in SIZES:
        request = make_request(provider, size)
        ours_fn, base_fn = ours(provider, request), baseline(request)
        ours_fn()  # a wrong signature or topic fails here, before anything is timed
        base_fn()
        ours_calls = calibrate(ours_fn, args.budget)
        base_calls = calibrate(base_fn, args.budget)
        ours_best = base_best = float("inf")
        for _ in range(args.rounds):  # alternate, so drift hits both sides alike
            base_best = min(base_best, per_call(base_fn, base_calls))
            ours_best = min(ours_best, per_call(ours_fn, ours_calls))
        print(
            f"{len(request.body):>10}  {base_best * 1e6:>14.2f}  {ours_best * 1e6:>10.2f}  "
            f"{ours_best / base_best:>12.2f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
