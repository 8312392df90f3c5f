"""The delivery every HTTP benchmark sends: a signed GitHub ``pull_request.opened`` of ~1.5 KB.

GitHub signs only the body (``X-Hub-Signature-256``) and carries the delivery id in a header of
its own (``X-GitHub-Delivery``), so one body and one signature serve every request; the wrk
script changes only the id. The apps in this directory import ``SECRET`` and ``PATH`` from here.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from hookreceiver.core.delivery import HttpRequest
from hookreceiver.providers import GitHub
from hookreceiver.testing import sample

SECRET = "bench-secret"
PATH = "/github"
TOPIC = "pull_request.opened"
BODY_SIZE = 1536


def github_request(size: int = BODY_SIZE, delivery_id: str = "bench-0") -> HttpRequest:
    """The shipped ``pull_request.opened`` sample fitted to ``size`` body bytes: optional
    top-level objects dropped while it is too long, then its description padded."""
    provider = GitHub(secret=SECRET)
    payload = copy.deepcopy(sample("github", TOPIC))
    optional = ["organization", "installation"]

    def sign(pad: int) -> HttpRequest:
        payload["pull_request"]["body"] = "Benchmark delivery. " + "x" * pad
        return provider.sign(
            payload,
            topic=TOPIC,
            delivery_id=delivery_id,
            timestamp=time.time(),
            url=f"http://127.0.0.1{PATH}",
        )

    while len(sign(0).body) > size and optional:
        payload.pop(optional.pop(0), None)
    return sign(max(0, size - len(sign(0).body)))


def asgi_scope(headers: list[tuple[bytes, bytes]], delivery_id: str) -> dict[str, Any]:
    """The ASGI scope of one POST to ``PATH`` with ``headers`` and a new ``X-GitHub-Delivery``,
    as uvicorn would pass it: for the benchmarks that drive the app in process."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": PATH,
        "raw_path": PATH.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [*headers, (b"x-github-delivery", delivery_id.encode())],
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 40000),
    }
