"""A receiver whose endpoint uses Generic's defaults, as ``send --provider generic`` signs them,
and one (``/signed``) with the recommended template, for ``send --signed-content``.

Served by a real uvicorn process in tests/test_cli.py; the secret comes from CLI_APP_SECRET.
"""

from __future__ import annotations

import logging
import os

from hookreceiver import Delivery, HookReceiver
from hookreceiver.providers import Generic

log = logging.getLogger("hookreceiver.cli_app")

hooks = HookReceiver()
orders = hooks.endpoint("/orders", Generic(secret=os.environ["CLI_APP_SECRET"]))
signed = hooks.endpoint(
    "/signed",
    Generic(
        secret=os.environ["CLI_APP_SECRET"],
        signed_content="{id}.{timestamp}.{body}",
        timestamp_header="x-timestamp",
        delivery_id="header:x-request-id",
    ),
)


@orders.on("*")
@signed.on("*")
def handled(delivery: Delivery) -> None:
    log.info("handled topic=%s delivery_id=%s", delivery.topic, delivery.delivery_id)
