"""Sample payloads shipped with hookreceiver, one JSON file per provider and topic.

``samples/<provider>/<topic>.json`` holds the decoded payload a provider's ``sign()`` turns into a
request (a Stripe event, a GitHub body, Twilio's form fields, WeChat's XML fields as a dict). A
topic with ``/`` (Shopify's ``orders/create``) is a sub-directory. We wrote them; they follow the
shape of what each provider sends, with made-up ids.
"""

from __future__ import annotations

import json
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

__all__ = ["DEFAULT_TOPICS", "sample", "sample_topics"]

# The topic used when a caller names a provider but no topic (and gives no payload).
DEFAULT_TOPICS: dict[str, str] = {
    "adyen": "AUTHORISATION",
    "asana": "task.changed",
    "bitbucket": "repo:push",
    "calendly": "invitee.created",
    "coinbase": "charge:confirmed",
    "discord": "application_command",
    "dropbox": "list_folder",
    "feishu": "im.message.receive_v1",
    "generic": "order.created",
    "github": "push",
    "gitlab": "push",
    "hubspot": "contact.creation",
    "intercom": "conversation.user.created",
    "lark": "im.message.receive_v1",
    "linear": "Issue.create",
    "mailgun": "delivered",
    "meta": "whatsapp_business_account.messages",
    "paddle": "transaction.completed",
    "paystack": "charge.success",
    "postmark": "Bounce",
    "razorpay": "payment.captured",
    "sendgrid": "delivered",
    "sentry": "issue.created",
    "shopify": "orders/create",
    "slack": "message",
    "square": "payment.updated",
    "standard-webhooks": "invoice.paid",
    "stripe": "invoice.paid",
    "svix": "invoice.paid",
    "telegram": "message",
    "twilio": "message.received",
    "twitch": "channel.follow",
    "typeform": "form_response",
    "vercel": "deployment.created",
    "wechat": "text",
    "zendesk": "ticket.created",
    "zoom": "meeting.started",
}
# Providers that send the same payloads as another one.
_SAME_AS = {"svix": "standard-webhooks", "lark": "feishu"}


def _join(folder: Traversable, *parts: str) -> Traversable:
    for part in parts:
        if part in ("", ".", "..") or "/" in part or "\\" in part:
            raise LookupError(f"no sample under {part!r}")
        folder = folder.joinpath(part)
    return folder


def _root(provider: str) -> Traversable:
    return _join(files("hookreceiver.testing"), "samples", _SAME_AS.get(provider, provider))


def sample_topics(provider: str) -> list[str]:
    """The topics we ship a sample for, sorted (empty for a provider without samples)."""
    try:
        root = _root(provider)
    except LookupError:
        return []
    if not root.is_dir():
        return []
    found: list[str] = []
    stack: list[tuple[Traversable, str]] = [(root, "")]
    while stack:
        folder, prefix = stack.pop()
        for entry in folder.iterdir():
            if entry.is_dir():
                stack.append((entry, f"{prefix}{entry.name}/"))
            elif entry.name.endswith(".json"):
                found.append(prefix + entry.name[: -len(".json")])
    return sorted(found)


def sample(provider: str, topic: str) -> Any:
    """A fresh copy of the sample payload for ``provider`` and ``topic``.

    Raises ``LookupError`` naming the topics that do exist when there is none.
    """
    *folders, name = topic.split("/")
    try:
        path = _join(_root(provider), *folders, f"{name}.json")
    except LookupError:
        path = None
    if path is None or not path.is_file():
        known = ", ".join(sample_topics(provider)) or "none"
        raise LookupError(f"no {provider} sample for topic {topic!r} (samples: {known})")
    return json.loads(path.read_text(encoding="utf-8"))
