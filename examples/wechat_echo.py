"""WeChat Official Account echo bot: every text comes back as a passive reply; followers get a welcome.

Serve it:   WECHAT_TOKEN=... hookreceiver serve examples.wechat_echo:hooks
In the Official Account console set the server URL to https://<public host>/wechat and the same
Token. For safe mode (recommended: plain mode's signature does not cover the body) also set
WECHAT_AES_KEY (the EncodingAESKey) and WECHAT_APP_ID: replies are then encrypted for you, and plain
messages are refused. Anything not answered inline gets the literal "success".
Send to it: hookreceiver send http://127.0.0.1:8000/wechat --app examples.wechat_echo:hooks \
                --topic text --id 1001 --data '{"Content": "hello"}'
"""

from __future__ import annotations

import logging
import os

from hookreceiver import Delivery, HookReceiver, Reply
from hookreceiver.providers import WeChat
from hookreceiver.providers.wechat import text_reply

log = logging.getLogger("wechat_echo")

DEV_TOKEN = "wechat-dev-token"
token = os.environ.get("WECHAT_TOKEN", "")
if not token:
    token = DEV_TOKEN
    log.warning("WECHAT_TOKEN is not set: using a development token; never do this in production")

hooks = HookReceiver()
wechat = hooks.endpoint(
    "/wechat",
    WeChat(
        secret=token,
        aes_key=os.environ.get("WECHAT_AES_KEY") or None,
        app_id=os.environ.get("WECHAT_APP_ID") or None,
    ),
)


@wechat.respond
def echo(delivery: Delivery) -> Reply | None:
    """Runs inline (WeChat waits at most 5 s): the passive reply goes back to the user."""
    if delivery.topic == "text":
        return text_reply(delivery, str(delivery.payload.get("Content", "")))
    if delivery.topic == "event.subscribe":
        return text_reply(delivery, "Welcome! Send me a message and I will echo it.")
    return None  # WeChat gets "success"


@wechat.on("event.*")
async def log_event(delivery: Delivery) -> None:
    """Runs later in the worker, with retries: follower bookkeeping and the like."""
    log.info("event %s from %s", delivery.topic, delivery.meta.get("from_user"))
