"""Twilio SMS auto-reply: every incoming text is answered with TwiML, and logged by a handler.

Serve it:   TWILIO_AUTH_TOKEN=... hookreceiver serve examples.twilio_sms:hooks
Point your number's "A message comes in" webhook (HTTP POST) at https://<public host>/sms. Twilio
signs the URL it calls: behind a tunnel or proxy, set HOOKRECEIVER_PUBLIC_BASE_URL=https://<public
host> (or HOOKRECEIVER_TRUST_FORWARDED=true) so the receiver checks the same URL.
Send to it: hookreceiver send http://127.0.0.1:8000/sms --app examples.twilio_sms:hooks \
                --topic message.received --data '{"From": "+15550001111", "Body": "hi", "MessageSid": "SM1"}'
"""

from __future__ import annotations

import logging
import os
from xml.sax.saxutils import escape

from hookreceiver import Delivery, HookReceiver, Reply
from hookreceiver.providers import Twilio

log = logging.getLogger("twilio_sms")

DEV_TOKEN = "twilio-dev-auth-token"
auth_token = os.environ.get("TWILIO_AUTH_TOKEN", "")
if not auth_token:
    auth_token = DEV_TOKEN
    log.warning("TWILIO_AUTH_TOKEN is not set: using a development token; never do this in production")

hooks = HookReceiver()
# No topic option: incoming texts are "message.received", status callbacks "message.delivered" ...
sms = hooks.endpoint("/sms", Twilio(secret=auth_token))


@sms.respond
def auto_reply(delivery: Delivery) -> Reply | None:
    """Runs inline, after the message is stored: its TwiML is Twilio's answer."""
    if delivery.topic != "message.received":
        return None  # status callbacks get the empty <Response/>
    text = str(delivery.payload.get("Body", "")).strip()
    answer = f"You said: {text}" if text else "Send me some words."
    return Reply.xml(
        f'<?xml version="1.0" encoding="UTF-8"?><Response><Message>{escape(answer)}</Message></Response>'
    )


@sms.on("message.*")
async def log_message(delivery: Delivery) -> None:
    """Runs later, in the worker, with retries: slow work (a database, an API) goes here."""
    log.info(
        "message topic=%s sid=%s from=%s",
        delivery.topic,
        delivery.payload.get("MessageSid"),
        delivery.payload.get("From"),
    )
