"""A receiver whose endpoint uses Generic's defaults, as ``send --provider generic`` signs them.

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


@orders.on("*")
def handled(delivery: Delivery) -> None:
    log.info("handled topic=%s delivery_id=%s", delivery.topic, delivery.delivery_id)
