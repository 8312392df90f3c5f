"""Feishu / Lark v2 events: ``schema``, the ``header`` every event shares, and its ``event``."""

from __future__ import annotations

from typing import Any, Generic

from pydantic import Field
from typing_extensions import TypeVar

from hookreceiver.models.base import Envelope

__all__ = ["FeishuEvent", "FeishuEventHeader"]

E = TypeVar("E", default=dict[str, Any])


class FeishuEventHeader(Envelope):
    event_id: str
    event_type: str
    create_time: str
    token: str
    app_id: str
    tenant_key: str | None = None


class FeishuEvent(Envelope, Generic[E]):
    """A v2 (``"schema": "2.0"``) event; ``FeishuEvent[MyEvent]`` validates ``event`` too."""

    schema_version: str = Field(alias="schema")  # ``schema`` is a BaseModel attribute
    header: FeishuEventHeader
    event: E
