"""Shared pieces of the provider tests: captured samples as requests, and an in-memory receiver.

A sample is two files under ``samples/<provider>/``: ``<name>.json`` (method, url, headers as
sent) and ``<name>.body`` (the exact body bytes). Tests change one thing at a time (a header, a
query parameter, the body, the URL) to see each check fail on its own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from hookreceiver import HookReceiver, Settings
from hookreceiver.core.delivery import HttpRequest
from hookreceiver.stores.memory import MemoryStore

SAMPLES = Path(__file__).parent / "samples"


def load_sample(
    provider: str, name: str, *, url: str | None = None, path: str | None = None, **header_changes: str | None
) -> HttpRequest:
    """The sample ``samples/<provider>/<name>`` as an HttpRequest, with optional changes.

    ``url`` replaces the recorded URL; the request's path and query string follow the URL unless
    ``path`` is given. A header change sets a header (``content_type`` means ``content-type``) or,
    given None, removes it.
    """
    folder = SAMPLES / provider
    meta = json.loads((folder / f"{name}.json").read_text())
    headers = {k.lower(): v for k, v in meta["headers"].items()}
    for key, value in header_changes.items():
        key = key.replace("_", "-")
        if value is None:
            headers.pop(key, None)
        else:
            headers[key] = value
    url = url or meta["url"]
    parts = urlsplit(url)
    return HttpRequest(
        meta["method"], url, path or parts.path, headers, parts.query, (folder / f"{name}.body").read_bytes()
    )


def with_body(request: HttpRequest, body: bytes) -> HttpRequest:
    """The same request carrying other body bytes (the signature headers left as they were)."""
    return replace(request, body=body)


def with_query(request: HttpRequest, changes: Mapping[str, str | None]) -> HttpRequest:
    """The same request with query parameters set or, given None, removed (URL and query string)."""
    parts = urlsplit(request.url)
    params: dict[str, str | None] = dict(parse_qsl(parts.query, keep_blank_values=True))
    params.update(changes)
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return replace(request, url=parts._replace(query=query).geturl(), query_string=query)


def memory_receiver(now: float, settings: Settings | None = None) -> HookReceiver:
    """A receiver on a fresh MemoryStore whose clock stands still at ``now``; no worker runs."""
    return HookReceiver(
        store=MemoryStore(), settings=settings or Settings(), run_worker=False, clock=lambda: now
    )
