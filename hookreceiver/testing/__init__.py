"""Testing kit: signed requests for every provider, an in-process client, a pytest plugin.

- :func:`build_request`: the request a provider would send for a payload, correctly signed (the
  same function ``hookreceiver send`` uses); :func:`new_delivery_id` for a fresh id.
- :class:`HookClient`: posts to a ``HookReceiver`` in-process and runs its handlers before it
  returns, with the outcome (done, failed with the exception, dead-lettered).
- :class:`FrozenClock`: the receiver's signature clock, standing still.
- :func:`sample` / :func:`sample_topics`: the sample payloads shipped for each provider.
- ``hookreceiver.testing.plugin``: pytest fixtures (``hook_client``, ``hook_clock``,
  ``hook_request``, ``hook_receiver``), loaded automatically when hookreceiver is installed.

Needs ``httpx`` (``pip install hookreceiver[testing]``).
"""

from hookreceiver.testing.client import HookClient, SendResult, Status
from hookreceiver.testing.clock import FROZEN_AT, FrozenClock
from hookreceiver.testing.payloads import DEFAULT_TOPICS, sample, sample_topics
from hookreceiver.testing.signing import DEFAULT_URL, build_request, new_delivery_id, provider_named

__all__ = [
    "DEFAULT_TOPICS",
    "DEFAULT_URL",
    "FROZEN_AT",
    "FrozenClock",
    "HookClient",
    "SendResult",
    "Status",
    "build_request",
    "new_delivery_id",
    "provider_named",
    "sample",
    "sample_topics",
]
