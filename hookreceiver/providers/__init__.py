"""Provider adapters, one per file, and a name -> class table for the CLI and the testing kit."""

from hookreceiver.providers.base import BaseProvider, Identity, Provider, lookup, receive
from hookreceiver.providers.generic import Generic, Source

PROVIDERS: dict[str, type[BaseProvider]] = {
    "generic": Generic,
}

__all__ = [
    "PROVIDERS",
    "BaseProvider",
    "Generic",
    "Identity",
    "Provider",
    "Source",
    "lookup",
    "receive",
]
