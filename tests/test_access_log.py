"""AccessLogRedactor: uvicorn's access line without query strings, its path escaped and cut."""

from __future__ import annotations

import logging

import pytest

from hookreceiver.logs import AccessLogRedactor


def record(*args: object) -> logging.LogRecord:
    return logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', args, None
    )


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("/wechat?signature=abc&timestamp=1&nonce=2", "/wechat?[redacted]"),
        ("/orders?token=t0k", "/orders?[redacted]"),
        ("/orders", "/orders"),
        ("/a b\r\nINFO forged", "/a\\x20b\\x0d\\x0aINFO\\x20forged"),
        ("/" + "x" * 500 + "?q=1", "/" + "x" * 199 + "...?[redacted]"),
    ],
)
def test_query_strings_are_redacted_and_paths_bounded(path: str, shown: str) -> None:
    item = record("127.0.0.1:5000", "POST", path, "1.1", 200)
    assert AccessLogRedactor().filter(item)
    assert item.getMessage() == f'127.0.0.1:5000 - "POST {shown} HTTP/1.1" 200'


def test_a_record_of_another_shape_is_dropped() -> None:
    assert not AccessLogRedactor().filter(record("GET /x?signature=s 200"))


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/webhooks/healthz", "/readyz?verbose=1"])
def test_health_probes_at_the_default_paths_are_not_logged(path: str) -> None:
    assert not AccessLogRedactor().filter(record("10.0.0.9:41000", "GET", path, "1.1", 200))
    assert not AccessLogRedactor().filter(record("10.0.0.9:41000", "HEAD", path, "1.1", 200))
    assert AccessLogRedactor().filter(record("10.0.0.9:41000", "POST", path, "1.1", 405))


def test_health_probes_follow_the_configured_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOKRECEIVER_HEALTH_PATH", "/live")
    monkeypatch.setenv("HOOKRECEIVER_READY_PATH", "")
    redactor = AccessLogRedactor()
    assert not redactor.filter(record("c", "GET", "/live", "1.1", 200))
    assert redactor.filter(record("c", "GET", "/healthz", "1.1", 404))
    assert redactor.filter(record("c", "GET", "/readyz", "1.1", 404))
