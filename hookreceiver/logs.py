"""Structured log lines: the fields each outcome line carries, and a JSON formatter.

Every outcome (accepted, duplicate, unrouted, rejected, handled, retry, dead) is one line on the
standard ``logging`` logger ``hookreceiver``, so your own handlers and formatters apply. The text
message reads ``key=value``; the same values ride on the record as ``record.hookreceiver`` (a
dict), which :class:`JsonFormatter` writes out as one JSON object per line. Field values come from
the request only as the topic, delivery id and path, never a header, body, query string or secret.
:class:`AccessLogRedactor` holds uvicorn's access line to the same rule.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from hookreceiver.core.delivery import Delivery
from hookreceiver.logtext import loggable
from hookreceiver.settings import Settings

__all__ = ["FIELDS", "AccessLogRedactor", "JsonFormatter", "job_fields", "request_fields"]

FIELDS = "hookreceiver"  # the LogRecord attribute holding an outcome line's fields


def request_fields(
    *,
    endpoint: str,
    outcome: str,
    status: int,
    duration: float,
    provider: str | None = None,
    topic: str | None = None,
    delivery_id: str | None = None,
    reason: str | None = None,
    secret_index: int | None = None,
    verified: bool = True,
) -> dict[str, Any]:
    """The ``extra=`` of one receive-path line (``endpoint`` includes the mount prefix)."""
    return {
        FIELDS: {
            "event": outcome,
            "endpoint": endpoint,
            "provider": provider,
            "topic": topic,
            "delivery_id": delivery_id,
            "id_verified": verified,
            "status": status,
            "reason": reason,
            "duration_ms": round(duration * 1000, 3),
            "secret_index": secret_index,
        }
    }


def job_fields(delivery: Delivery, outcome: str, duration: float, error: str | None = None) -> dict[str, Any]:
    """The ``extra=`` of one worker line (``error`` is the exception's type name only)."""
    return {
        FIELDS: {
            "event": outcome,
            "endpoint": delivery.endpoint,
            "provider": delivery.provider,
            "topic": delivery.topic,
            "delivery_id": delivery.delivery_id,
            "attempt": delivery.attempt,
            "duration_ms": round(duration * 1000, 3),
            "error": error,
        }
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the outcome fields if any."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, FIELDS, None)
        if isinstance(fields, dict):
            data.update({k: v for k, v in fields.items() if v is not None})
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=True, default=str)


# The longest path an access line shows; past it the path is cut and ends in "...".
ACCESS_PATH_LIMIT = 200


class AccessLogRedactor(logging.Filter):
    """uvicorn's access line without the query string, its path escaped and cut.

    Query strings carry credentials (WeChat's ``signature=``, ``msg_signature=``, a ``?token=``),
    so the line shows ``/wechat?[redacted]``. A record of a shape this filter does not know is
    dropped rather than written unredacted. Health probes (a GET or HEAD of a path ending in
    ``Settings.health_path`` or ``ready_path``, under any mount prefix) are dropped too: a load
    balancer asks every few seconds. ``hookreceiver serve`` installs it on the
    ``uvicorn.access`` logger; with uvicorn run directly, add it there yourself.
    """

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        settings = Settings()
        self.probes = tuple(path for path in (settings.health_path, settings.ready_path) if path)

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if not (isinstance(args, tuple) and len(args) == 5):
            return False
        client, method, full_path, version, status = args
        path, query, _ = str(full_path).partition("?")
        if method in ("GET", "HEAD") and self.probes and path.endswith(self.probes):
            return False
        shown = loggable(path, ACCESS_PATH_LIMIT) + ("?[redacted]" if query else "")
        record.args = (client, loggable(method, 16), shown, loggable(version, 8), status)
        return True
