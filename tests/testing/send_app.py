"""A receiver for the ``hookreceiver send`` tests: served by a real uvicorn process."""

from __future__ import annotations

import logging

from hookreceiver import Delivery, HookReceiver
from hookreceiver.models import StripeEvent, TwilioMessage
from hookreceiver.providers import Discord, Stripe, Twilio
from hookreceiver.testing.keys import key_pair

SECRET = "whsec_send_command_tests"
log = logging.getLogger("hookreceiver.send_app")

hooks = HookReceiver()
stripe = hooks.endpoint("/stripe", Stripe(secret=SECRET))
twilio = hooks.endpoint("/sms", Twilio(secret=SECRET))
# Key-signed: the receiver holds the public key, ``send --secret`` the private one.
DISCORD_KEYS = key_pair("discord", seed="send command tests")
discord = hooks.endpoint("/discord", Discord(secret=DISCORD_KEYS.public))
# One endpoint at the receiver's root, for send's path matching.
root_hooks = HookReceiver()
root_hooks.endpoint("/", Stripe(secret=SECRET))


@stripe.on("*", model=StripeEvent)
def stripe_event(delivery: Delivery[StripeEvent]) -> None:
    log.info("stripe handled type=%s object=%s", delivery.payload.type, delivery.payload.data.object["id"])


@twilio.on("message.received", model=TwilioMessage)
def sms(delivery: Delivery[TwilioMessage]) -> None:
    log.info("sms handled from=%s body=%s", delivery.payload.From, delivery.payload.Body)


@discord.on("application_command")
def command(delivery: Delivery) -> None:
    log.info("discord handled topic=%s id=%s", delivery.topic, delivery.delivery_id)
