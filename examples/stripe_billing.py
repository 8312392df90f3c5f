"""A Stripe billing receiver: keeps a subscription table in step with Stripe's events.

Serve it:   hookreceiver serve examples.stripe_billing:hooks
Forward test events with the Stripe CLI (`stripe listen --forward-to localhost:8000/stripe`, then
set STRIPE_WEBHOOK_SECRET to the whsec_... it prints), or send one by hand:
            hookreceiver send http://127.0.0.1:8000/stripe --app examples.stripe_billing:hooks \
                --topic invoice.paid --data '{"data": {"object": {"customer": "cus_1",
                "lines": {"data": [{"period": {"end": 1767225600}}]}}}}'

Stripe may deliver an event more than once and in any order, so each handler is idempotent: it
sets a state rather than adding to one. ``ACCOUNTS`` stands in for your database.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from hookreceiver import Delivery, HookReceiver
from hookreceiver.providers import Stripe

log = logging.getLogger("stripe_billing")

DEV_SECRET = "whsec_stripe_billing_dev_secret"
secret = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
if not secret:
    secret = DEV_SECRET
    log.warning("STRIPE_WEBHOOK_SECRET is not set: using the development secret; never do this in production")

ACCOUNTS: dict[str, dict[str, Any]] = {}

hooks = HookReceiver()
stripe = hooks.endpoint("/stripe", Stripe(secret=secret))


def event_object(delivery: Delivery) -> dict[str, Any]:
    obj = delivery.payload.get("data", {}).get("object", {})
    return obj if isinstance(obj, dict) else {}


def account(customer: str) -> dict[str, Any]:
    return ACCOUNTS.setdefault(customer, {"status": "none", "paid_until": 0})


@stripe.on("checkout.session.completed")
def start_subscription(delivery: Delivery) -> None:
    session = event_object(delivery)
    record = account(str(session.get("customer")))
    record.update(status="active", subscription=session.get("subscription"))
    log.info("subscription started customer=%s", session.get("customer"))


@stripe.on("invoice.paid")
def extend(delivery: Delivery) -> None:
    invoice = event_object(delivery)
    lines = invoice.get("lines", {}).get("data", [])
    period_end = max((int(line.get("period", {}).get("end", 0)) for line in lines), default=0)
    record = account(str(invoice.get("customer")))
    record["paid_until"] = max(record["paid_until"], period_end)  # replays never shorten it
    record["status"] = "active"
    log.info("invoice paid customer=%s paid_until=%d", invoice.get("customer"), record["paid_until"])


@stripe.on("invoice.payment_failed")
def dunning(delivery: Delivery) -> None:
    invoice = event_object(delivery)
    account(str(invoice.get("customer")))["status"] = "past_due"
    log.warning(
        "payment failed customer=%s attempt=%s", invoice.get("customer"), invoice.get("attempt_count")
    )


@stripe.on("customer.subscription.deleted")
def cancel(delivery: Delivery) -> None:
    subscription = event_object(delivery)
    account(str(subscription.get("customer")))["status"] = "canceled"
    log.info("subscription canceled customer=%s", subscription.get("customer"))


@stripe.on("*")
def audit(delivery: Delivery) -> None:
    """Every event, handled or not: the audit trail names the account on Connect events."""
    log.debug(
        "event %s id=%s account=%s livemode=%s",
        delivery.topic,
        delivery.delivery_id,
        delivery.meta.get("account", "-"),
        delivery.meta.get("livemode", "-"),
    )
