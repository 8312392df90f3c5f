"""Slow clients against a real ``serve``: ``python3 -m tests.soak.slow_clients --connections 1000``.

Opens ``connections`` connections that each declare a 1,000-byte body and send one byte a second
(a slowloris), and while they all hang on, posts ``deliveries`` valid signed deliveries (ten at a
time, 10 s timeout, as a provider would) and counts how many are acknowledged. Then it waits for
the slow ones to be cut off and counts how each ended. ``--nofile`` runs the server under that
open-file limit (the usual default is 1024).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.helpers import ServerProcess

__all__ = ["FloodReport", "flood"]

SECRET = "slow-clients-secret-8a41c2"
SENDER_TIMEOUT = 10.0


@dataclass
class FloodReport:
    connections: int
    deliveries: int
    opened: int = 0
    acknowledged: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    slow_endings: Counter[str] = field(default_factory=Counter)
    body_timeout: float = 0.0

    def lines(self) -> list[str]:
        lat = sorted(self.latencies)
        p50 = statistics.median(lat) if lat else 0.0
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else 0.0
        return [
            f"slow connections open: {self.opened} of {self.connections} (1 byte/s of a 1,000-byte body; "
            f"body_timeout {self.body_timeout:g} s)",
            f"valid deliveries acknowledged while they hung on: {self.acknowledged} of {self.deliveries}; "
            f"failed: {dict(self.failed) or 0}; latency p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms",
            f"how the slow connections ended: {dict(self.slow_endings)}",
        ]


def _signed(n: int, port: int) -> tuple[str, bytes, dict[str, str]]:
    body = json.dumps({"type": "order.created", "order": f"flood-{n}"}).encode()
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return (
        f"http://127.0.0.1:{port}/orders",
        body,
        {"content-type": "application/json", "x-signature": digest},
    )


async def _slow(port: int, opened: list[int], endings: Counter[str]) -> None:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError as exc:
        endings[f"could not connect ({type(exc).__name__})"] += 1
        return
    opened.append(1)
    head = (
        b"POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    )
    try:
        writer.write(head)
        for _ in range(1000):
            writer.write(b"x")
            await writer.drain()
            try:
                data = await asyncio.wait_for(reader.read(65536), timeout=1.0)
            except TimeoutError:
                continue
            if not data:
                endings["closed without an answer"] += 1
                return
            while b'"}' not in data:  # the rest of the JSON answer
                try:
                    more = await asyncio.wait_for(reader.read(65536), timeout=2.0)
                except TimeoutError:
                    break
                if not more:
                    break
                data += more
            status = data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/") else "?"
            reason = b"body_timeout" if b"body_timeout" in data else b""
            endings[f"{status} {reason.decode()}".strip()] += 1
            return
        endings["never cut off"] += 1
    except (ConnectionError, OSError):
        endings["connection reset"] += 1
    finally:
        writer.close()


async def _valid(report: FloodReport, port: int) -> None:
    gate = asyncio.Semaphore(10)
    async with httpx.AsyncClient(timeout=SENDER_TIMEOUT) as client:

        async def one(n: int) -> None:
            url, body, headers = _signed(n, port)
            async with gate:
                began = time.monotonic()
                try:
                    response = await client.post(url, content=body, headers=headers)
                except httpx.TransportError as exc:
                    report.failed[type(exc).__name__] += 1
                    return
                if response.status_code == 200 and response.json().get("status") == "accepted":
                    report.acknowledged += 1
                    report.latencies.append(time.monotonic() - began)
                else:
                    report.failed[f"{response.status_code} {response.text[:60]}"] += 1

        await asyncio.gather(*(one(n) for n in range(report.deliveries)))


async def _run(report: FloodReport, port: int) -> None:
    opened: list[int] = []
    slow = [asyncio.create_task(_slow(port, opened, report.slow_endings)) for _ in range(report.connections)]
    deadline = time.monotonic() + 30
    while (
        len(opened) + sum(report.slow_endings.values()) < report.connections and time.monotonic() < deadline
    ):
        await asyncio.sleep(0.1)
    report.opened = len(opened)
    await _valid(report, port)
    await asyncio.gather(*slow)


def _raise_own_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))


def flood(
    directory: Path,
    *,
    connections: int,
    deliveries: int,
    body_timeout: float = 30.0,
    nofile: int | None = None,
) -> FloodReport:
    """Run the flood against a fresh ``serve`` logging into ``directory``; nothing is asserted."""
    _raise_own_limit(connections + 256)
    report = FloodReport(connections, deliveries, body_timeout=body_timeout)
    env = {"CLI_APP_SECRET": SECRET, "HOOKRECEIVER_BODY_TIMEOUT": str(body_timeout)}
    server = ServerProcess(
        "tests.cli_app:hooks", directory / "serve.log", env=env, extra_args=["--log-level", "warning"]
    )
    if nofile is not None:
        server.command = ["prlimit", f"--nofile={nofile}", *server.command]
    server.start()
    try:
        asyncio.run(_run(report, server.port))
    finally:
        server.kill()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m tests.soak.slow_clients", description=__doc__)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--deliveries", type=int, default=200)
    parser.add_argument(
        "--body-timeout", type=float, default=30.0, help="HOOKRECEIVER_BODY_TIMEOUT (default 30)"
    )
    parser.add_argument("--nofile", type=int, help="the server's open-file limit (default: inherited)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="hookreceiver-slow-") as scratch:
        report = flood(
            Path(scratch),
            connections=args.connections,
            deliveries=args.deliveries,
            body_timeout=args.body_timeout,
            nofile=args.nofile,
        )
    print(
        f"python3 -m tests.soak.slow_clients {' '.join(argv if argv is not None else sys.argv[1:])}".strip()
    )
    print("\n".join(report.lines()))
    return 0 if report.acknowledged == report.deliveries else 1


if __name__ == "__main__":
    sys.exit(main())
