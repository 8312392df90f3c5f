"""Generic, against replays: a checked timestamp must be signed, and a topic or id the signature
does not cover is named in a warning when the provider is built.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import pytest

from hookreceiver.core.delivery import Delivery
from hookreceiver.exceptions import ConfigurationError, SignatureError
from hookreceiver.providers import Generic, receive

NOW = 1_700_000_000.0
URL = "https://example.com/hooks/orders"
SECRET = "s3cret-value-for-replays"


@pytest.mark.parametrize("template", [None, "{body}", "{id}.{body}", "{method} {url}\n{body}"])
def test_a_checked_but_unsigned_timestamp_is_refused(template: str | None) -> None:
    with pytest.raises(ConfigurationError, match="does not sign it"):
        Generic(secret=SECRET, timestamp_header="x-ts", signed_content=template, delivery_id="header:x-id")


@pytest.mark.parametrize(
    "options",
    [
        {"secret": SECRET, "signed_content": "{timestamp}.{body}"},
        {"secret": SECRET, "signed_content": "{body}", "tolerance": 0},  # read, never checked
        {"unsigned": True},  # nothing is verified at all (and the receiver says so)
    ],
)
def test_a_timestamp_header_is_accepted_when_signed_or_not_checked(options: dict[str, Any]) -> None:
    Generic(timestamp_header="x-ts", **options)


def test_a_rewritten_timestamp_on_an_old_capture_fails_the_signature() -> None:
    provider = Generic(
        secret=SECRET,
        timestamp_header="x-ts",
        delivery_id="header:x-id",
        signed_content="{id}.{timestamp}.{body}",
    )
    month_old = provider.sign(
        {"type": "t"}, topic="t", delivery_id="d-1", timestamp=NOW - 30 * 86_400, url=URL
    )
    refreshed = dataclasses.replace(month_old, headers={**month_old.headers, "x-ts": str(int(NOW))})
    with pytest.raises(SignatureError):
        receive(provider, refreshed, endpoint="/orders", now=NOW)


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and r.name.startswith("hookreceiver")
    ]


@pytest.mark.parametrize(
    ("options", "unsigned_options"),
    [
        ({"delivery_id": "header:x-id"}, ["delivery_id"]),
        ({"delivery_id": "query:id"}, ["delivery_id"]),
        ({"delivery_id": "header:x-id", "topic": "header:x-event"}, ["delivery_id", "topic"]),
        ({"delivery_id": "header:x-id", "signed_content": "{id}.{body}"}, []),
        ({"delivery_id": "query:id", "signed_content": "{url}.{body}"}, []),
        ({"delivery_id": "body:id"}, []),
        ({"delivery_id": "const:one", "topic": "const:order"}, []),
        ({"topic": "header:x-event", "signed_content": "{topic}.{body}"}, []),
        (
            {
                "delivery_id": "header:x-id",
                "signed_content": "{id}.{timestamp}.{body}",
                "timestamp_header": "x-ts",
            },
            [],
        ),
    ],
)
def test_unsigned_topic_and_id_sources_are_warned_about(
    options: dict[str, Any], unsigned_options: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="hookreceiver")
    Generic(secret=SECRET, **options)
    lines = _warnings(caplog)
    assert [
        next(o for o in ("delivery_id", "topic") if line.startswith(f"Generic {o}=")) for line in lines
    ] == unsigned_options
    for line in lines:
        assert "replayed" in line and "{timestamp}.{body}" in line
    assert SECRET not in caplog.text


def test_an_unsigned_endpoint_gets_no_source_warning(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="hookreceiver")
    Generic(unsigned=True, delivery_id="header:x-id", topic="header:x-event")
    assert _warnings(caplog) == []


def test_topic_placeholder_signs_the_topic_header() -> None:
    provider = Generic(
        secret=SECRET,
        topic="header:x-event",
        delivery_id="header:x-id",
        timestamp_header="x-ts",
        signed_content="{id}.{topic}.{timestamp}.{body}",
    )
    request = provider.sign({"n": 1}, topic="order.paid", delivery_id="d-1", timestamp=NOW, url=URL)
    delivery = receive(provider, request, endpoint="/orders", now=NOW)
    assert isinstance(delivery, Delivery)
    assert (delivery.topic, delivery.delivery_id) == ("order.paid", "d-1")
    for name, value in (("x-event", "order.refunded"), ("x-id", "d-2")):
        tampered = dataclasses.replace(request, headers={**request.headers, name: value})
        with pytest.raises(SignatureError):
            receive(provider, tampered, endpoint="/orders", now=NOW)


def test_topic_placeholder_needs_a_source_outside_the_body() -> None:
    with pytest.raises(ConfigurationError, match="signed_content uses {topic}: set topic"):
        Generic(secret=SECRET, topic="body:type", signed_content="{topic}.{body}")
