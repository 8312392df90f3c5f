"""Endpoint: one path served by one provider, with its handlers, inline responder and limits.

A leaf of the application layer: the receiver builds endpoints, the ASGI app and the worker
read them, and this module imports none of those three.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, overload

import hookreceiver.defaults as defaults
from hookreceiver.core.delivery import Delivery
from hookreceiver.core.routing import Router, check_handler
from hookreceiver.exceptions import ConfigurationError
from hookreceiver.providers.base import Provider

__all__ = ["Endpoint", "Responder", "RetryPolicy", "public_url"]

H = TypeVar("H", bound=Callable[..., Any])
M = TypeVar("M")
R = TypeVar("R")
TypedHandler = Callable[[Delivery[M]], R]  # a handler of a payload validated into M, returning R
Responder = Callable[[Delivery], Any]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how soon a failed delivery runs again."""

    max_attempts: int = defaults.MAX_ATTEMPTS
    base_delay: float = defaults.RETRY_BASE_DELAY
    max_delay: float = defaults.RETRY_MAX_DELAY

    def delay(self, attempt: int, rand: float) -> float:
        """Seconds before the run after ``attempt``: half to all of base * 2**(attempt-1)."""
        step = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return float(step * (0.5 + rand / 2))


class Endpoint:
    """One path served by one provider instance, with its handlers and limits."""

    def __init__(
        self,
        path: str,
        provider: Provider,
        *,
        max_body_size: int,
        retry: RetryPolicy,
        public_url: str | None = None,
    ) -> None:
        self.path = path
        self.provider = provider
        self.router = Router()
        self.max_body_size = max_body_size
        self.retry = retry
        self.public_url = public_url
        self.responder: Responder | None = None

    def __repr__(self) -> str:
        return f"Endpoint({self.path!r}, {self.provider!r}, handlers={len(self.router)})"

    @overload
    def on(self, *patterns: str, model: type[M]) -> Callable[[TypedHandler[M, R]], TypedHandler[M, R]]: ...

    @overload
    def on(self, *patterns: str, model: None = None) -> Callable[[H], H]: ...

    def on(self, *patterns: str, model: type[Any] | None = None) -> Callable[[Any], Any]:
        """Bind a handler to topic patterns (``"invoice.paid"``, ``"invoice.*"``, ``"*"``).

        Handlers run after the sender got its 2xx; ``model`` validates the payload first. For type
        checkers, ``model=M`` takes a handler of ``Delivery[M]`` (or a bare ``Delivery``), so a
        handler annotated with another model is an error before it is a ``ConfigurationError``.
        """
        return self.router.on(*patterns, model=model)

    def respond(self, responder: H) -> H:
        """Register the inline handler: its return value is the HTTP response to the sender.

        It runs after the delivery is stored (for new and duplicate deliveries alike) and may
        return a ``Reply``, ``str``, ``bytes``, a dict (JSON) or ``None`` (the usual ack).
        """
        if self.responder is not None:
            raise ConfigurationError(f"endpoint {self.path} already has an inline handler")
        check_handler(responder)
        self.responder = responder
        return responder


def public_url(endpoint: Endpoint, *, base_url: str | None, origin: str, path: str, query: str = "") -> str:
    """The URL a sender calls for ``endpoint`` (what URL-signing providers sign).

    The endpoint's own ``public_url`` if it has one, else ``base_url`` (``public_base_url``)
    followed by ``path``, else ``origin`` (``scheme://host`` as the request named it) and
    ``path``; then ``?query`` if there is one. The ASGI app and the testing client both use it.
    """
    suffix = f"?{query}" if query else ""
    if endpoint.public_url:
        return endpoint.public_url + suffix
    if base_url:
        return base_url.rstrip("/") + path + suffix
    return origin + path + suffix
