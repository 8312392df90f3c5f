"""Provider adapters, one per file, and a name -> class table for the CLI and the testing kit."""

from hookreceiver.providers.base import BaseProvider, Identity, Provider, lookup, receive
from hookreceiver.providers.generic import Generic, Source
from hookreceiver.providers.github import GitHub
from hookreceiver.providers.gitlab import GitLab
from hookreceiver.providers.shopify import Shopify
from hookreceiver.providers.slack import Slack
from hookreceiver.providers.standard import StandardWebhooks, Svix
from hookreceiver.providers.stripe import Stripe
from hookreceiver.providers.twilio import Twilio
from hookreceiver.providers.wechat import WeChat

PROVIDERS: dict[str, type[BaseProvider]] = {
    "generic": Generic,
    "github": GitHub,
    "gitlab": GitLab,
    "shopify": Shopify,
    "slack": Slack,
    "standard-webhooks": StandardWebhooks,
    "stripe": Stripe,
    "svix": Svix,
    "twilio": Twilio,
    "wechat": WeChat,
}

__all__ = [
    "PROVIDERS",
    "BaseProvider",
    "Generic",
    "GitHub",
    "GitLab",
    "Identity",
    "Provider",
    "Shopify",
    "Slack",
    "Source",
    "StandardWebhooks",
    "Stripe",
    "Svix",
    "Twilio",
    "WeChat",
    "lookup",
    "receive",
]
