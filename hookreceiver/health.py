"""Liveness and readiness checks, answered by the ASGI app at ``Settings.health_path`` and
``Settings.ready_path`` (``/healthz`` and ``/readyz`` below the mount point by default).

Liveness says the process answers; readiness also makes one round trip to the store, so a load
balancer stops sending deliveries to a web process that could only answer ``503``. Neither is a
delivery: they are not logged per request and not counted in the metrics.
"""

from __future__ import annotations

import asyncio
from typing import Any

from hookreceiver.exceptions import StoreError
from hookreceiver.stores.base import Store

__all__ = ["PROBE_KEY", "check_store", "liveness", "readiness"]

# A key no delivery can have (delivery keys start with the endpoint path, "/..."): reading its
# state is one cheap round trip that proves the store answers.
PROBE_KEY = "hookreceiver:health-probe"


async def check_store(store: Store, *, timeout: float = 5.0) -> str | None:
    """``None`` when the store answers within ``timeout`` seconds, else why it did not."""
    try:
        await asyncio.wait_for(store.state(PROBE_KEY), timeout)
    except TimeoutError:
        return f"the store did not answer within {timeout:g} s"
    except StoreError as exc:
        return str(exc) or type(exc).__name__
    return None


def liveness() -> tuple[int, dict[str, Any]]:
    """The process is up and its event loop runs."""
    return 200, {"status": "ok"}


async def readiness(store: Store, *, timeout: float = 2.0) -> tuple[int, dict[str, Any]]:
    """Ready when the store answers: ``200``, else ``503`` with the reason."""
    problem = await check_store(store, timeout=timeout)
    if problem is None:
        return 200, {"status": "ready", "store": "ok"}
    return 503, {"status": "unavailable", "store": "unreachable", "detail": problem}
