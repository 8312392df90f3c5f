"""A receiver for the security tests over real HTTP (tests/test_security_http.py).

Served by ``python -m hookreceiver serve tests.sec_app:hooks``: a Twilio endpoint, a WeChat plain
mode endpoint and a Generic one, each handler writing one ``handled`` line to the server's log.
"""

from __future__ import annotations

import logging

from hookreceiver import Delivery, HookReceiver
from hookreceiver.providers import Generic, Twilio, WeChat

TOKEN = "sec-app-token-never-logged-5d1e"

log = logging.getLogger("hookreceiver.sec_app")

hooks = HookReceiver()
twilio = hooks.endpoint("/twilio", Twilio(secret=TOKEN))
wechat = hooks.endpoint("/wechat", WeChat(secret=TOKEN))
orders = hooks.endpoint(
    "/orders",
    Generic(
        secret=TOKEN, signature_header="x-signature", topic="body:type", delivery_id="header:x-request-id"
    ),
)


@twilio.on("*")
@wechat.on("*")
@orders.on("*")
def handled(delivery: Delivery) -> None:
    log.info("handled endpoint=%s delivery_id=%s", delivery.endpoint, delivery.delivery_id)
