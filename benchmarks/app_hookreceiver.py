"""hookreceiver as a new user sets it up: one GitHub endpoint and a no-op async handler on ``*``.

Configured from the environment like any receiver: with ``HOOKRECEIVER_REDIS_URL`` unset it uses
the in-memory store and runs its worker in the web process (embedded); the Redis variant sets the
URL and ``HOOKRECEIVER_RUN_WORKER=false``, and ``hookreceiver worker app_hookreceiver:hooks``
drains it in another process.
"""

from __future__ import annotations

from _payload import PATH, SECRET

from hookreceiver import Delivery, HookReceiver
from hookreceiver.providers import GitHub

hooks = HookReceiver()
github = hooks.endpoint(PATH, GitHub(secret=SECRET))


@github.on("*")
async def handle(delivery: Delivery) -> None:
    """The no-op handler."""
