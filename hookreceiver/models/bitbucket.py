"""Bitbucket Cloud webhooks: the ``repository`` and ``actor`` every event carries."""

from __future__ import annotations

from typing import Any

from hookreceiver.models.base import Envelope

__all__ = ["BitbucketActor", "BitbucketEvent", "BitbucketRepository"]


class BitbucketActor(Envelope):
    display_name: str | None = None
    nickname: str | None = None
    uuid: str | None = None


class BitbucketRepository(Envelope):
    full_name: str
    name: str | None = None
    uuid: str | None = None
    is_private: bool | None = None


class BitbucketEvent(Envelope):
    """The shared fields; ``push`` (``repo:push``) and ``pullrequest`` (``pullrequest:*``) stay dicts."""

    repository: BitbucketRepository | None = None
    actor: BitbucketActor | None = None
    push: dict[str, Any] | None = None
    pullrequest: dict[str, Any] | None = None
