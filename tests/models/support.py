"""The payload a handler would see for a shipped sample: signed, received and decoded for real."""

from __future__ import annotations

from typing import Any

from hookreceiver import Delivery
from hookreceiver.providers import PROVIDERS, receive
from hookreceiver.testing import build_request
from hookreceiver.testing.keys import key_pair

NOW = 1_700_000_000.0
SECRETS = {
    "adyen": "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056",
    "standard-webhooks": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "discord": key_pair("discord", "models").private,
    "sendgrid": key_pair("sendgrid", "models").private,
    "postmark": "hooks:models-test-secret",
}


def received(provider: str, topic: str, payload: Any = None) -> Any:
    """Sign ``payload`` (default: the sample) as ``provider`` would, receive it, return the payload."""
    secret = SECRETS.get(provider, "models-test-secret")
    request = build_request(
        provider, payload, secret=secret, topic=topic, timestamp=NOW, url="https://hooks.example.com/in"
    )
    receiver: Any = PROVIDERS[provider](secret=secret)
    delivery = receive(receiver, request, endpoint="/in", now=NOW)
    assert isinstance(delivery, Delivery)
    return delivery.payload
