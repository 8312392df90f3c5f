"""The receiver the soak runs: one Generic endpoint on the shared Redis, a handler that notes runs.

Each handler run appends a ``start`` and an ``end`` line (delivery id, pid, attempt, wall time) to
a file of its process's own under ``SOAK_RUNS_DIR``, each written and closed before the next step,
so a SIGKILLed worker leaves what it had begun and finished: a start with no end is a handler
that was running at the kill. The work takes ``SOAK_HANDLER_MS`` milliseconds (default 5), long
enough for the harness to see a run in flight and kill the worker under it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from hookreceiver import Delivery, HookReceiver
from hookreceiver.providers import Generic

SECRET = os.environ.get("SOAK_SECRET", "soak-secret-2f8e61d0c4")
RUNS_DIR = Path(os.environ.get("SOAK_RUNS_DIR", "."))
HANDLER_SECONDS = float(os.environ.get("SOAK_HANDLER_MS", "5")) / 1000


def provider() -> Generic:
    """The sender's and the receiver's shared configuration (the id and time are signed)."""
    return Generic(
        secret=SECRET,
        signature_header="x-signature",
        timestamp_header="x-timestamp",
        signed_content="{id}.{timestamp}.{body}",
        tolerance=3600,
        topic="body:type",
        delivery_id="header:x-request-id",
    )


hooks = HookReceiver()
soak = hooks.endpoint("/soak", provider())


def _note(event: str, delivery: Delivery) -> None:
    pid = os.getpid()
    with open(RUNS_DIR / f"runs-{pid}.log", "a") as runs:
        runs.write(f"{event} {delivery.delivery_id} {pid} {delivery.attempt} {time.time():.6f}\n")


@soak.on("*")
def handle(delivery: Delivery) -> None:
    _note("start", delivery)
    time.sleep(HANDLER_SECONDS)
    _note("end", delivery)
