"""Topic patterns and the Router: matching, order, aliases, dedupe of handlers, shape checks."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hookreceiver.core import routing
from hookreceiver.core.routing import Router, check_handler, matches, validate_pattern
from hookreceiver.exceptions import ConfigurationError


def handler(delivery: Any) -> None:
    """A handler of the right shape."""


def other(delivery: Any) -> None:
    """A second handler of the right shape."""


async def async_handler(delivery: Any) -> None:
    """Coroutine functions are handlers too."""


@pytest.mark.parametrize(
    ("pattern", "topic", "matched"),
    [
        ("invoice.paid", "invoice.paid", True),
        ("invoice.paid", "invoice.paid.late", False),
        ("invoice.paid", "invoice", False),
        ("invoice.paid", "Invoice.paid", False),
        ("orders/create", "orders/create", True),
        ("invoice.*", "invoice.paid", True),
        ("invoice.*", "invoice.payment.failed", True),  # any depth
        ("invoice.*", "invoice", False),  # not the prefix itself
        ("invoice.*", "invoice.", False),
        ("invoice.*", "invoices.paid", False),
        ("invoice.*", "invoicepaid", False),
        ("invoice.*", "x.invoice.paid", False),
        ("a.b.*", "a.b.c.d", True),
        ("a.b.*", "a.bc", False),
        ("*", "anything", True),
        ("*", "with.dots.and/slashes", True),
        ("*", "", True),
    ],
)
def test_matches(pattern: str, topic: str, matched: bool) -> None:
    validate_pattern(pattern)
    assert matches(pattern, topic) is matched


@pytest.mark.parametrize("pattern", ["invoice.paid", "invoice.*", "*", "orders/create", "a:b", "push"])
def test_valid_patterns(pattern: str) -> None:
    validate_pattern(pattern)  # does not raise
    router = Router()
    router.add(pattern, handler)
    topic = pattern.replace("*", "x")  # a topic the pattern must match
    assert [route.handler for route in router.fetch(topic)] == [handler]
    if pattern != "*":
        assert router.fetch("zz.unrelated") == ()


@pytest.mark.parametrize(
    "pattern",
    ["", "*.paid", "invoice*", "invoice.*.paid", "in*voice", ".*", "**", "a.*.*", " ", "a b", "a\n", None, 7],
)
def test_invalid_patterns(pattern: Any) -> None:
    with pytest.raises(ConfigurationError, match="invalid topic pattern"):
        validate_pattern(pattern)
    router = Router()
    with pytest.raises(ConfigurationError):
        router.add(pattern, handler)
    with pytest.raises(ConfigurationError):
        router.on(pattern)
    assert len(router) == 0


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        (
            "order.",
            "empty segment (a '.' at either end, or '..'); for every topic under 'order.' use 'order.*'",
        ),
        (".order", "empty segment"),
        ("a..b", "empty segment"),
        ("a..*", "empty segment"),
        ("a.b.", "use 'a.b.*'"),
    ],
)
def test_patterns_with_empty_segments_are_refused(pattern: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match="invalid topic pattern") as caught:
        Router().on(pattern)
    assert message in str(caught.value)


def test_on_used_without_parentheses_says_to_call_it_with_a_topic() -> None:
    router = Router()

    def paid(delivery: object) -> None: ...

    with pytest.raises(ConfigurationError) as caught:
        router.on(paid)  # type: ignore[arg-type]  # what a bare @router.on does
    message = str(caught.value)
    assert "not the handler " in message and "paid" in message
    assert '@endpoint.on("invoice.paid")' in message and "<function" not in message
    assert len(router) == 0


class Callable1:
    def __call__(self, delivery: Any) -> None: ...

    def method(self, delivery: Any) -> None: ...


def two_required(delivery: Any, extra: Any) -> None: ...


def one_with_default(delivery: Any, extra: Any = None) -> None: ...


def keyword_only(*, delivery: Any) -> None: ...


def varargs(*args: Any, **kwargs: Any) -> None: ...


def generator(delivery: Any) -> Iterator[None]:
    yield  # a generator's body never runs when it is only called: the worker would record done


async def async_generator(delivery: Any) -> AsyncIterator[None]:
    yield


class GeneratorCall:
    def __call__(self, delivery: Any) -> Iterator[None]:
        yield


@pytest.mark.parametrize(
    "good",
    [
        handler,
        async_handler,
        one_with_default,
        varargs,
        Callable1(),
        Callable1().method,
        functools.partial(two_required, extra=1),
        lambda d: None,
    ],
)
def test_handler_shapes_accepted(good: Any) -> None:
    check_handler(good)  # does not raise
    router = Router()
    router.add("x", good)
    assert len(router) == 1
    assert [route.handler for route in router.fetch("x")] == [good]


@pytest.mark.parametrize(
    "bad",
    [
        lambda: None,
        two_required,
        keyword_only,
        Callable1,
        "not callable",
        None,
        42,
        generator,
        async_generator,
        GeneratorCall(),
        functools.partial(generator),
    ],
)
def test_handler_shapes_refused(bad: Any) -> None:
    with pytest.raises(ConfigurationError):
        check_handler(bad)
    router = Router()
    with pytest.raises(ConfigurationError):
        router.add("x", bad)
    with pytest.raises(ConfigurationError):
        router.on("x")(bad)
    assert len(router) == 0


def test_on_needs_a_pattern() -> None:
    with pytest.raises(ConfigurationError):
        Router().on()


def test_on_checks_patterns_before_the_handler_is_seen() -> None:
    router = Router()
    with pytest.raises(ConfigurationError):
        router.on("ok", "bad*pattern")
    assert len(router) == 0


def test_decorator_returns_the_handler_and_registers_each_pattern() -> None:
    router = Router()
    decorated = router.on("a", "b.*")(handler)
    assert decorated is handler
    assert [(r.pattern, r.handler) for r in router.routes] == [("a", handler), ("b.*", handler)]
    assert router.routes[0].name == "handler"


def test_exact_wildcard_and_catch_all() -> None:
    router = Router()
    seen: list[str] = []

    def make(name: str) -> Any:
        def run(delivery: Any) -> None:
            seen.append(name)

        return run

    exact, prefix, anything = make("exact"), make("prefix"), make("any")
    router.add("order.created", exact)
    router.add("order.*", prefix)
    router.add("*", anything)
    table = {
        "order.created": [exact, prefix, anything],
        "order.refund.issued": [prefix, anything],
        "order": [anything],
        "customer.created": [anything],
    }
    for topic, handlers in table.items():
        assert [r.handler for r in router.fetch(topic)] == handlers, topic


def test_several_handlers_per_topic_run_in_registration_order() -> None:
    router = Router()
    router.add("t", other)
    router.add("t", handler)
    router.add("t", async_handler)
    assert [r.handler for r in router.fetch("t")] == [other, handler, async_handler]
    assert router.fetch("u") == ()


def test_aliases_are_matched_and_each_handler_runs_once() -> None:
    router = Router()
    router.on("pull_request.opened", "pull_request", "pull_request.*")(handler)
    router.add("pull_request", other)
    router.add("push", async_handler)
    found = router.fetch(["pull_request.opened", "pull_request"])
    assert [r.handler for r in found] == [handler, other]
    # The first route that matched is the one returned.
    assert found[0].pattern == "pull_request.opened"
    assert [r.handler for r in router.fetch(("pull_request",))] == [handler, other]
    assert router.fetch([]) == ()


def test_a_bound_method_registered_twice_runs_once() -> None:
    target = Callable1()
    router = Router()
    router.add("a", target.method)  # each attribute access makes a new bound-method object
    router.add("b", target.method)
    assert len(router.fetch(["a", "b"])) == 1
    # A different instance's method is a different handler.
    router.add("a", Callable1().method)
    assert len(router.fetch(["a", "b"])) == 2


def test_same_handler_with_different_models_is_still_one_handler() -> None:
    router = Router()
    router.add("a", handler, model=dict)
    router.add("a.*", handler)
    assert [r.model for r in router.fetch(["a", "a.x"])] == [dict]


def test_include_composes_routers() -> None:
    base, orders, customers = Router(), Router(), Router()
    base.add("*", async_handler)
    orders.add("order.*", handler)
    customers.add("customer.created", other)
    base.include(orders)
    base.include(customers)
    assert len(base) == 3
    assert [r.handler for r in base.fetch("order.paid")] == [async_handler, handler]
    assert [r.handler for r in base.fetch("customer.created")] == [async_handler, other]
    # The included router is not changed.
    assert len(orders) == 1 and len(customers) == 1


def test_routes_is_a_snapshot() -> None:
    router = Router()
    router.add("a", handler)
    routes = router.routes
    router.add("b", other)
    assert len(routes) == 1 and len(router.routes) == 2


segment = st.text(alphabet="abcdefgh_-/:", min_size=1, max_size=6)
topics = st.lists(segment, min_size=1, max_size=5).map(".".join)


@given(prefix=topics, rest=topics, other_topic=topics)
def test_prefix_wildcard_properties(prefix: str, rest: str, other_topic: str) -> None:
    pattern = prefix + ".*"
    validate_pattern(pattern)
    assert matches(pattern, f"{prefix}.{rest}")
    assert not matches(pattern, prefix)
    assert matches(pattern, other_topic) is other_topic.startswith(prefix + ".")
    assert matches("*", other_topic)
    assert matches(other_topic, other_topic)
    assert matches(prefix, other_topic) is (prefix == other_topic)


def test_fetch_remembers_matches_until_a_route_is_added() -> None:
    """fetch caches per topics; a route added later (or a router included) is seen at once."""
    router = Router()

    async def first(delivery: object) -> None:
        return None

    def second(delivery: object) -> None:
        return None

    def third(delivery: object) -> None:
        return None

    router.add("invoice.*", first)
    assert [r.handler for r in router.fetch("invoice.paid")] == [first]
    assert router.fetch("invoice.paid") is router.fetch(("invoice.paid",))  # the remembered tuple
    router.add("*", second)
    assert [r.handler for r in router.fetch("invoice.paid")] == [first, second]
    other = Router()
    other.add("invoice.paid", third)
    router.include(other)
    assert [r.handler for r in router.fetch("invoice.paid")] == [first, second, third]
    assert [route.is_async for route in router.fetch("invoice.paid")] == [True, False, False]


def test_fetch_cache_is_bounded() -> None:
    router = Router()
    router.add("*", lambda delivery: None)
    for number in range(routing.MAX_CACHED_TOPICS + 10):
        assert len(router.fetch(f"topic.{number}")) == 1
    assert len(router._found) <= routing.MAX_CACHED_TOPICS
