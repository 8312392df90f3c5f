"""The base of every envelope model: unknown fields are kept, values are frozen."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

__all__ = ["Envelope", "FormEnvelope"]


class Envelope(BaseModel):
    """A provider's envelope: the fields every event of a kind shares, typed; the rest kept.

    ``extra="allow"``: fields the provider adds later (or that we did not type) stay reachable
    as attributes and in ``model_extra``, so a provider's additions never break a handler.
    Field names follow the provider's own spelling (``data.object``, ``FromUserName``).
    """

    model_config = ConfigDict(extra="allow", frozen=True)


class FormEnvelope(Envelope):
    """An envelope decoded from a form or XML body, where every value arrives as a string.

    Empty strings (``<EventKey></EventKey>``, ``Digits=``) mean "absent", so they are dropped
    before validation and optional fields fall back to ``None``; numbers are parsed from text.
    """

    @model_validator(mode="before")
    @classmethod
    def _drop_empty(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value != ""}
        return data
