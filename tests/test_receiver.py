"""HookReceiver and Endpoint: configuration errors at build time, fast ack, inline replies."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import pytest

from hookreceiver import ConfigurationError, Delivery, HookReceiver, Outcome, Reply, Settings
from hookreceiver.providers import Generic
from tests.helpers import SECRET, asgi_client, generic, make_receiver, post, sign


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# -- startup errors, not runtime surprises ----------------------------------------------------


def test_a_signed_provider_without_a_secret_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="unsigned=True"):
        Generic(signature_header="x-signature")
    with pytest.raises(ConfigurationError):
        Generic(secret="")


@pytest.mark.parametrize("second", ["/orders", "/orders/"])
def test_duplicate_endpoint_path(second: str) -> None:
    receiver = HookReceiver(settings=Settings())
    receiver.endpoint("/orders", generic())
    with pytest.raises(ConfigurationError, match="already taken"):
        receiver.endpoint(second, generic())


@pytest.mark.parametrize("path", ["orders", "", "http://x/orders"])
def test_endpoint_path_must_be_absolute(path: str) -> None:
    with pytest.raises(ConfigurationError, match="must start with"):
        HookReceiver(settings=Settings()).endpoint(path, generic())


@pytest.mark.parametrize("path", ["/orders?x=1", "/orders#top", "/my orders", "/orders\n", "/a\tb"])
def test_endpoint_path_without_query_fragment_or_whitespace(path: str) -> None:
    with pytest.raises(ConfigurationError, match="endpoint path"):
        HookReceiver(settings=Settings()).endpoint(path, generic())


@pytest.mark.parametrize(
    "options",
    [{"max_body_size": 0}, {"max_body_size": -1}, {"max_attempts": 0}, {"max_attempts": -3}],
)
def test_endpoint_limits_must_be_positive(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match="must be a positive"):
        HookReceiver(settings=Settings()).endpoint("/x", generic(), **options)


def test_endpoint_needs_a_provider() -> None:
    with pytest.raises(ConfigurationError, match="Provider protocol"):
        HookReceiver(settings=Settings()).endpoint("/x", object())  # type: ignore[arg-type]


@pytest.mark.parametrize("pattern", ["order.**", "*.created", "order created", "", "a.*.b", "**"])
def test_invalid_topic_pattern(pattern: str) -> None:
    _, endpoint = make_receiver()
    with pytest.raises(ConfigurationError, match="invalid topic pattern"):
        endpoint.on(pattern)


def no_args() -> None: ...


def two_args(a: Delivery, b: Delivery) -> None: ...


def keyword_only(*, delivery: Delivery) -> None: ...


@pytest.mark.parametrize("handler", [no_args, two_args, keyword_only, 42])
def test_handler_of_the_wrong_shape(handler: Any) -> None:
    _, endpoint = make_receiver()
    with pytest.raises(ConfigurationError):
        endpoint.on("*")(handler)
    with pytest.raises(ConfigurationError):
        endpoint.respond(handler)


def test_only_one_inline_handler_per_endpoint() -> None:
    _, endpoint = make_receiver()
    endpoint.respond(lambda d: None)
    with pytest.raises(ConfigurationError, match="already has an inline handler"):
        endpoint.respond(lambda d: None)


def test_unsigned_endpoint_must_be_explicit_and_warns(caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(ConfigurationError, match="not both"):
        Generic(secret=SECRET, unsigned=True)
    receiver = HookReceiver(settings=Settings())
    with caplog.at_level(logging.WARNING, logger="hookreceiver"):
        receiver.endpoint("/open", Generic(unsigned=True))
    assert "endpoint /open accepts UNSIGNED deliveries" in caplog.text


def test_reprs_never_show_the_secret() -> None:
    receiver, endpoint = make_receiver()
    for value in (receiver, endpoint, endpoint.provider, receiver.settings):
        assert SECRET not in repr(value) and SECRET not in str(value)


def test_endpoint_options_override_settings() -> None:
    settings = Settings(max_body_size=1000, max_attempts=7, retry_base_delay=3.0)
    receiver = HookReceiver(settings=settings)
    default = receiver.endpoint("/a", generic())
    custom = receiver.endpoint("/b", generic(), max_body_size=10, max_attempts=2)
    assert (default.max_body_size, default.retry.max_attempts, default.retry.base_delay) == (1000, 7, 3.0)
    assert (custom.max_body_size, custom.retry.max_attempts) == (10, 2)


@pytest.mark.anyio
async def test_a_handler_that_returns_a_generator_fails_instead_of_counting_as_done() -> None:
    receiver, endpoint = make_receiver()
    ran: list[str] = []

    def steps(delivery: Delivery) -> Iterator[None]:
        ran.append(delivery.delivery_id)
        yield

    endpoint.on("*")(lambda delivery: steps(delivery))  # passes the shape check; returns a generator
    async with asgi_client(receiver) as client:
        await post(client, sign({}, delivery_id="g-1"))
    [outcome] = await receiver.worker.run_once()
    assert outcome.status == "retry" and isinstance(outcome.error, TypeError)
    assert "generator" in str(outcome.error) and ran == []


# -- inline reply values ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("ok", Reply(b"ok")),
        (b"\x00\x01", Reply(b"\x00\x01", content_type="application/octet-stream")),
        ({"a": 1}, Reply(b'{"a":1}', content_type="application/json")),
        ([1, 2], Reply(b"[1,2]", content_type="application/json")),
        (Reply.xml("<x/>", status=201), Reply(b"<x/>", 201, "text/xml; charset=utf-8")),
    ],
)
def test_reply_from_value(value: Any, expected: Reply | None) -> None:
    assert Reply.from_value(value) == expected


def test_reply_from_value_refuses_other_types() -> None:
    with pytest.raises(TypeError, match="returned int"):
        Reply.from_value(42)


# -- the 2xx goes out before a slow handler finishes ------------------------------------------


def waiting_handler(release: anyio.Event, finished: list[str]) -> Callable[[Delivery], Any]:
    async def slow(delivery: Delivery) -> None:
        await release.wait()
        finished.append(delivery.delivery_id)

    return slow


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["async", "sync"])
async def test_ack_is_sent_before_a_slow_handler_finishes(kind: str) -> None:
    receiver, endpoint = make_receiver(run_worker=True)
    finished: list[str] = []
    outcome_seen = anyio.Event()
    outcomes: list[Outcome] = []
    release_async = anyio.Event()
    release_sync = threading.Event()

    if kind == "async":
        endpoint.on("*")(waiting_handler(release_async, finished))
    else:

        @endpoint.on("*")
        def slow_sync(delivery: Delivery) -> None:
            release_sync.wait(timeout=30)
            finished.append(delivery.delivery_id)

    def listen(outcome: Outcome) -> None:
        outcomes.append(outcome)
        outcome_seen.set()

    receiver.worker.listeners.append(listen)
    try:
        async with asgi_client(receiver) as client:
            with anyio.fail_after(10):
                response = await post(client, sign({}, delivery_id="slow-1"))
            # The response is here while the handler still waits for the event we hold.
            assert response.status_code == 200 and response.json()["status"] == "accepted"
            assert finished == []
            release_async.set()
            release_sync.set()
            with anyio.fail_after(10):
                await outcome_seen.wait()
        assert finished == ["slow-1"] and outcomes[0].status == "done"
    finally:
        release_sync.set()
        await receiver.stop()
