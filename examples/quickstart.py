"""The Quickstart receiver: one signed endpoint on the embedded in-memory store.

Serve it:   hookreceiver serve examples.quickstart:hooks
Send to it: hookreceiver send http://127.0.0.1:8000/orders --app examples.quickstart:hooks \
                --topic order.created --id order-1 --data '{"order": 1}'
"""

from __future__ import annotations

import logging
import os

from hookreceiver import Delivery, HookReceiver
from hookreceiver.providers import Generic

log = logging.getLogger("quickstart")

DEV_SECRET = "quickstart-dev-secret"
secret = os.environ.get("QUICKSTART_SECRET", "")
if not secret:
    secret = DEV_SECRET
    log.warning(
        "QUICKSTART_SECRET is not set: using the development secret %r; never do this in production",
        "quickstart-dev-...",
    )

hooks = HookReceiver()
orders = hooks.endpoint(
    "/orders",
    # The id header is signed with the body ("{id}.{body}"), so a captured request cannot be
    # replayed under a new id to slip past dedupe.
    Generic(
        secret=secret,
        signature_header="x-signature",
        topic="body:type",
        delivery_id="header:x-request-id",
        signed_content="{id}.{body}",
    ),
)


@orders.on("order.*")
async def order_event(delivery: Delivery) -> None:
    log.info(
        "handled topic=%s delivery_id=%s attempt=%d", delivery.topic, delivery.delivery_id, delivery.attempt
    )


@orders.on("*")
def everything(delivery: Delivery) -> None:
    """Sync handlers run in a thread pool; this one only counts."""
    log.debug("seen topic=%s delivery_id=%s", delivery.topic, delivery.delivery_id)
