"""Run by test_request_path_imports.py in a fresh interpreter: after the lifespan startup, which
modules do requests still import? Prints them as JSON (an empty list is the goal)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import sys
from typing import Any

from hookreceiver import HookReceiver, MemoryStore, Settings
from hookreceiver.providers import Generic

SECRET = "request-path-secret-1b9d"
hooks = HookReceiver(store=MemoryStore(), settings=Settings(body_timeout=0.2), run_worker=False)
hooks.endpoint("/orders", Generic(secret=SECRET), max_body_size=1_000_000).on("*")(lambda delivery: None)


async def call(body: bytes, *, signed: bool = True, more: bool = False) -> int:
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest() if signed else "00"
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/orders",
        "raw_path": b"/orders",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"x"),
            (b"content-type", b"application/json"),
            (b"x-signature", digest.encode()),
        ],
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 1),
    }
    messages = [{"type": "http.request", "body": body, "more_body": more}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await asyncio.sleep(3600)  # a client that never sends the rest
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await hooks(scope, receive, send)
    return int(sent[0]["status"])


async def main() -> None:
    lifespan = [{"type": "lifespan.startup"}]
    started = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if lifespan:
            return lifespan.pop(0)
        await asyncio.sleep(3600)
        return {"type": "lifespan.shutdown"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set()

    task = asyncio.create_task(hooks({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
    await started.wait()
    before = set(sys.modules)
    statuses = [
        await call(json.dumps({"type": "order.created", "n": 1}).encode()),  # accepted
        await call(b"{}", signed=False),  # refused
        await call(b'{"type":"t","pad":"' + b"x" * 100_000 + b'"}'),  # verified in a thread
        await call(b"[", more=True),  # body timeout
    ]
    task.cancel()
    print(json.dumps({"statuses": statuses, "imported": sorted(set(sys.modules) - before)}))


asyncio.run(main())
