"""Provider adapters, one per file, and a name -> class table for the CLI and the testing kit."""

from hookreceiver.providers.base import BaseProvider, Identity, Provider, lookup, receive
from hookreceiver.providers.generic import Generic, Source
from hookreceiver.providers.github import GitHub
from hookreceiver.providers.shopify import Shopify
from hookreceiver.providers.slack import Slack
from hookreceiver.providers.stripe import Stripe

PROVIDERS: dict[str, type[BaseProvider]] = {
    "generic": Generic,
    "github": GitHub,
    "shopify": Shopify,
    "slack": Slack,
    "stripe": Stripe,
}

__all__ = [
    "PROVIDERS",
    "BaseProvider",
    "Generic",
    "GitHub",
    "Identity",
    "Provider",
    "Shopify",
    "Slack",
    "Source",
    "Stripe",
    "lookup",
    "receive",
]
