"""Typed payloads: validate a delivery's payload with a pydantic model just before a handler runs."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pydantic import TypeAdapter

from hookreceiver.core.delivery import Delivery

__all__ = ["bind_model"]


def bind_model(delivery: Delivery, model: type[Any]) -> Delivery:
    """The delivery with ``payload`` validated into ``model``; a ``ValidationError`` propagates
    and, raised inside the worker, counts as a handler failure (retried, then dead-lettered)."""
    return replace(delivery, payload=TypeAdapter(model).validate_python(delivery.payload))
