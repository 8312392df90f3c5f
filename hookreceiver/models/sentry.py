"""Sentry integration-platform webhooks: ``action``, ``installation`` and ``data``."""

from __future__ import annotations

from typing import Any

from hookreceiver.models.base import Envelope

__all__ = ["SentryActor", "SentryInstallation", "SentryWebhook"]


class SentryInstallation(Envelope):
    uuid: str


class SentryActor(Envelope):
    type: str
    id: str | int
    name: str | None = None


class SentryWebhook(Envelope):
    """The resource is the ``Sentry-Hook-Resource`` header (``issue``, ``error`` ...); ``data``
    holds it under its name (``data["issue"]``)."""

    action: str
    installation: SentryInstallation | None = None
    data: dict[str, Any]
    actor: SentryActor | None = None
