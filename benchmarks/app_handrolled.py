"""What many users write by hand: HMAC check, ``json.loads``, a redis-py ``SET NX`` for dedupe and
a Starlette ``BackgroundTask`` for the handler. The baseline hookreceiver is compared with.

It acknowledges before the handler runs and keeps nothing to retry from: a crash after the 2xx
loses the delivery, and "seen" is treated as "done". hookreceiver stores the delivery durably
first; this file is here to measure against, not to copy. Redis: ``BENCH_REDIS_URL``; keys start
with ``BENCH_KEY_PREFIX``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from typing import Any

from _payload import PATH, SECRET
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

KEY = SECRET.encode()
SEEN_TTL = 3 * 24 * 3600
PREFIX = os.environ.get("BENCH_KEY_PREFIX", "seen:")
redis = Redis.from_url(os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))


async def handle(event: str, payload: Any) -> None:
    """The no-op handler."""


async def receive(request: Request) -> JSONResponse:
    body = await request.body()
    expected = "sha256=" + hmac.new(KEY, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get("x-hub-signature-256", "")):
        return JSONResponse({"error": "bad signature"}, status_code=401)
    try:
        payload = json.loads(body)
    except ValueError:
        return JSONResponse({"error": "invalid JSON"}, status_code=400)
    delivery = request.headers.get("x-github-delivery", "")
    event = request.headers.get("x-github-event", "")
    if not await redis.set(f"{PREFIX}{delivery}", 1, nx=True, ex=SEEN_TTL):
        return JSONResponse({"status": "duplicate"})
    return JSONResponse({"status": "accepted"}, background=BackgroundTask(handle, event, payload))


app = Starlette(routes=[Route(PATH, receive, methods=["POST"])])
