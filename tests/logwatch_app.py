"""A receiver for tests/test_logwatch.py's real ``serve``: one endpoint per kind of secret carrier.

Header signatures (Generic, Stripe), a header token (GitLab), signatures in the query string
(WeChat plain mode) and an unverified ``?token=`` a sender put in its URL. Secrets come from the
environment, as in production.
"""

from __future__ import annotations

import logging
import os

from hookreceiver import Delivery, HookReceiver
from hookreceiver.providers import Generic, GitLab, Stripe, WeChat

log = logging.getLogger("hookreceiver.logwatch_app")

hooks = HookReceiver()
endpoints = [
    hooks.endpoint("/generic", Generic(secret=os.environ["LOGWATCH_GENERIC_SECRET"])),
    hooks.endpoint("/stripe", Stripe(secret=os.environ["LOGWATCH_STRIPE_SECRET"])),
    hooks.endpoint("/gitlab", GitLab(secret=os.environ["LOGWATCH_GITLAB_TOKEN"])),
    hooks.endpoint("/wechat", WeChat(secret=os.environ["LOGWATCH_WECHAT_TOKEN"])),
]


def handled(delivery: Delivery) -> None:
    log.info("handled endpoint=%s delivery_id=%s", delivery.endpoint, delivery.delivery_id)


for endpoint in endpoints:
    endpoint.on("*")(handled)
