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
