"""A FastAPI app with the receiver mounted beside ordinary routes, plus health and metrics.

Serve it:   uvicorn examples.fastapi_app:api          (or: python -m examples.fastapi_app)
Send to it: hookreceiver send http://127.0.0.1:8000/webhooks/shop --app examples.fastapi_app:hooks \
                --topic cart.created --data '{"type": "cart.created", "cart": 7}'

``/items/{id}`` is an ordinary FastAPI route; ``/webhooks/...`` is the receiver (its health routes
are ``/webhooks/healthz`` and ``/webhooks/readyz``); ``/metrics`` serves Prometheus metrics when
``prometheus_client`` is installed (``hookreceiver[metrics]``). The receiver's lifespan runs
inside the app's, so shutdown lets in-flight handlers finish.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from hookreceiver import Delivery, HookReceiver
from hookreceiver.providers import Generic

log = logging.getLogger("fastapi_app")

DEV_SECRET = "fastapi-example-dev-secret-3c9f1a7e"
secret = os.environ.get("SHOP_WEBHOOK_SECRET", "")
if not secret:
    secret = DEV_SECRET
    log.warning("SHOP_WEBHOOK_SECRET is not set: using the development secret; never in production")

hooks = HookReceiver()
shop = hooks.endpoint(
    "/shop",
    Generic(
        secret=secret,
        signature_header="x-signature",
        timestamp_header="x-timestamp",
        topic="body:type",
        delivery_id="header:x-request-id",
        signed_content="{id}.{timestamp}.{body}",
    ),
)
CARTS: dict[str, Any] = {}  # stands in for your database


@shop.on("cart.*")
def remember_cart(delivery: Delivery) -> None:
    CARTS[delivery.delivery_id] = delivery.payload


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with hooks.lifespan(app):
        yield


api = FastAPI(lifespan=lifespan)


@api.get("/items/{item_id}")
async def read_item(item_id: int) -> dict[str, int]:
    return {"item_id": item_id}


api.mount("/webhooks", hooks)

try:
    from hookreceiver.metrics import Metrics, metrics_app

    Metrics().attach(hooks)
    api.mount("/metrics", metrics_app())
except Exception:  # prometheus_client missing (ConfigurationError), or already registered
    log.info("metrics are off: install hookreceiver[metrics]")

if __name__ == "__main__":
    import uvicorn

    uvicorn.run(api, host="127.0.0.1", port=8000)
