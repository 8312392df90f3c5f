"""The production layout of docs/deploying.md: web processes that only receive, workers that only
handle, one Redis between them.

    export HOOKRECEIVER_REDIS_URL=redis://127.0.0.1:6379/0?namespace=prod
    export HOOKRECEIVER_RUN_WORKER=false
    export ORDERS_WEBHOOK_SECRET=...           # the secret you gave the sender
    hookreceiver serve examples.production:hooks --port 8001 &
    hookreceiver serve examples.production:hooks --port 8002 &
    hookreceiver worker examples.production:hooks &
    hookreceiver worker examples.production:hooks &

Each handled order is written to the Redis hash ``{namespace}:handled-orders`` (delivery id ->
the worker's process id), standing in for your database, so you can see which worker ran it.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs, urlsplit

import redis

from hookreceiver import Delivery, HookReceiver
from hookreceiver.exceptions import ConfigurationError
from hookreceiver.providers import Generic

secret = os.environ.get("ORDERS_WEBHOOK_SECRET", "")
redis_url = os.environ.get("HOOKRECEIVER_REDIS_URL", "")
if not secret or not redis_url:
    raise ConfigurationError("set ORDERS_WEBHOOK_SECRET and HOOKRECEIVER_REDIS_URL (see the docstring)")

namespace = parse_qs(urlsplit(redis_url).query).get("namespace", ["hookreceiver"])[0]
RESULTS_KEY = f"{namespace}:handled-orders"
database = redis.Redis.from_url(redis_url.split("?", 1)[0])  # your own client, for your own data

hooks = HookReceiver()
orders = hooks.endpoint(
    "/orders",
    Generic(
        secret=secret,
        signature_header="x-signature",
        timestamp_header="x-timestamp",
        topic="body:type",
        delivery_id="header:x-request-id",
        signed_content="{id}.{timestamp}.{body}",
    ),
)


@orders.on("order.*")
def record_order(delivery: Delivery) -> None:
    # Idempotent: a second run of the same delivery writes the same field.
    database.hsetnx(RESULTS_KEY, delivery.delivery_id, os.getpid())
