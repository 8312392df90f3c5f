"""Checks every HMAC provider's tests share: accept, and each way a request must be refused."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from hookreceiver.core.delivery import Delivery, HttpRequest
from hookreceiver.exceptions import DeliveryError, SignatureError
from hookreceiver.providers import receive


def accept(provider: Any, request: HttpRequest, *, now: float) -> Delivery:
    """The one delivery ``provider`` makes of ``request`` at ``now`` (a Reply fails the test)."""
    delivery = receive(provider, request, endpoint="/in", now=now)
    assert isinstance(delivery, Delivery), delivery
    return delivery


def refuse(
    provider: Any, request: HttpRequest, *, now: float, error: type[DeliveryError] = SignatureError
) -> DeliveryError:
    """The error ``provider`` raises for ``request`` (it must raise ``error``)."""
    with pytest.raises(error) as caught:
        receive(provider, request, endpoint="/in", now=now)
    return caught.value


def flipped(request: HttpRequest, at: int | None = None) -> HttpRequest:
    """The request with one body byte changed (in the middle unless ``at`` is given)."""
    body = bytearray(request.body)
    body[len(body) // 2 if at is None else at] ^= 0x01
    return replace(request, body=bytes(body))


def with_headers(request: HttpRequest, **changes: str | None) -> HttpRequest:
    """The request with headers set or (None) removed; ``_`` in a name means ``-``."""
    headers = dict(request.headers)
    for name, value in changes.items():
        key = name.replace("_", "-").lower()
        if value is None:
            headers.pop(key, None)
        else:
            headers[key] = value
    return replace(request, headers=headers)
