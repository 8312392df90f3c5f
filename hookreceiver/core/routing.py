"""Topic patterns and the Router: a table of (pattern, handler) plus a decorator.

Patterns: an exact topic (``invoice.paid``, ``orders/create``), a prefix wildcard (``invoice.*``,
which matches every topic below ``invoice.`` at any depth) or the catch-all ``*``. Matching
(``fetch``) is kept apart from running handlers, which is the worker's job.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hookreceiver.core.typed import check_model
from hookreceiver.exceptions import ConfigurationError

__all__ = ["Handler", "Route", "Router", "check_handler", "matches", "validate_pattern"]

MAX_CACHED_TOPICS = 1024  # distinct topic tuples a Router remembers the routes of

Handler = Callable[..., Any]
H = TypeVar("H", bound=Handler)

_PATTERN = re.compile(r"^(\*|[^\s*]+(\.\*)?)$")


def validate_pattern(pattern: str) -> None:
    """Raise ``ConfigurationError`` unless ``pattern`` is exact, ``prefix.*`` or ``*``.

    Dot-separated segments may not be empty (``order.``, ``.order``, ``a..b``): no topic has them.
    """
    if callable(pattern):  # ``@endpoint.on`` used bare: the decorated function arrives here
        name = getattr(pattern, "__qualname__", type(pattern).__name__)
        raise ConfigurationError(
            f"on() takes topic patterns, not the handler {name}: call it with a topic, "
            f'as in @endpoint.on("invoice.paid") or @endpoint.on("*")'
        )
    if not isinstance(pattern, str) or not _PATTERN.fullmatch(pattern):
        raise ConfigurationError(f"invalid topic pattern {pattern!r}: use an exact topic, 'prefix.*' or '*'")
    stem = pattern[:-2] if pattern.endswith(".*") else pattern
    if pattern != "*" and "" in stem.split("."):
        hint = f"; for every topic under {stem!r} use {stem + '*'!r}" if stem.endswith(".") else ""
        raise ConfigurationError(
            f"invalid topic pattern {pattern!r}: empty segment (a '.' at either end, or '..'){hint}"
        )


def matches(pattern: str, topic: str) -> bool:
    """Whether ``pattern`` matches ``topic``."""
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return topic.startswith(pattern[:-1]) and len(topic) > len(pattern) - 1
    return pattern == topic


def _is_generator(handler: Handler) -> bool:
    # inspect unwraps functools.partial and bound methods; a callable object's __call__ counts.
    target: Any = handler
    if not (inspect.isroutine(handler) or isinstance(handler, functools.partial)):
        target = type(handler).__call__
    return inspect.isgeneratorfunction(target) or inspect.isasyncgenfunction(target)


def check_handler(handler: Handler) -> None:
    """Raise ``ConfigurationError`` unless ``handler`` can be called with one argument.

    Generator and async generator functions are refused: calling one only creates the generator,
    so its body would never run while the delivery is recorded as handled.
    """
    if not callable(handler):
        raise ConfigurationError(f"handler {handler!r} is not callable")
    if _is_generator(handler):
        name = getattr(handler, "__qualname__", repr(handler))
        raise ConfigurationError(f"handler {name} is a generator function; use a plain or async def function")
    try:
        signature = inspect.signature(handler)
    except (TypeError, ValueError):
        return  # builtins without a signature: trust the caller
    try:
        signature.bind(object())
    except TypeError:
        name = getattr(handler, "__qualname__", repr(handler))
        raise ConfigurationError(
            f"handler {name} must accept exactly one positional argument, the Delivery"
        ) from None


@dataclass(frozen=True)
class Route:
    """One registered handler; ``model`` is an optional pydantic model for the payload."""

    pattern: str
    handler: Handler
    model: type[Any] | None = None
    # Read for every job: whether calling the handler gives a coroutine to await (else it runs
    # in a thread). Worked out once here; ``inspect`` costs several calls each time.
    is_async: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "is_async", inspect.iscoroutinefunction(self.handler))

    @property
    def name(self) -> str:
        return getattr(self.handler, "__qualname__", repr(self.handler))


class Router:
    """Topic patterns bound to handlers; several handlers per topic run in registration order."""

    def __init__(self) -> None:
        self._routes: list[Route] = []
        # topics -> matching routes: every delivery is routed twice (admission, then the worker),
        # and a receiver sees few distinct topics. Bounded; emptied whenever a route is added.
        self._found: dict[tuple[str, ...], tuple[Route, ...]] = {}

    def add(self, pattern: str, handler: Handler, *, model: type[Any] | None = None) -> None:
        """Bind ``handler`` to ``pattern``; raises ``ConfigurationError`` on a bad pattern or shape."""
        validate_pattern(pattern)
        check_handler(handler)
        check_model(handler, model)
        self._routes.append(Route(pattern, handler, model))
        self._found.clear()

    def on(self, *patterns: str, model: type[Any] | None = None) -> Callable[[H], H]:
        """Decorator form of :meth:`add`; one handler may take several patterns."""
        if not patterns:
            raise ConfigurationError("on() needs at least one topic pattern")
        for pattern in patterns:
            validate_pattern(pattern)

        def register(handler: H) -> H:
            for pattern in patterns:
                self.add(pattern, handler, model=model)
            return handler

        return register

    def include(self, other: Router) -> None:
        """Add every route of ``other`` after this router's own."""
        self._routes.extend(other.routes)
        self._found.clear()

    @property
    def routes(self) -> tuple[Route, ...]:
        return tuple(self._routes)

    def fetch(self, topics: str | Sequence[str]) -> tuple[Route, ...]:
        """The routes matching any of ``topics``; a handler matched twice runs once."""
        names = (topics,) if isinstance(topics, str) else tuple(topics)
        found = self._found.get(names)
        if found is None:
            if len(self._found) >= MAX_CACHED_TOPICS:
                self._found.clear()
            found = self._found[names] = self._match(names)
        return found

    def _match(self, names: tuple[str, ...]) -> tuple[Route, ...]:
        found: list[Route] = []
        for route in self._routes:
            # Equality, not identity: each `obj.method` access is a new (but equal) bound method.
            if any(route.handler == seen.handler for seen in found):
                continue
            if any(matches(route.pattern, topic) for topic in names):
                found.append(route)
        return tuple(found)

    def __len__(self) -> int:
        return len(self._routes)
