"""The suite-wide log watch: no configured secret, signature or query-string token in any log line.

A handler on the root logger keeps every record of the receiving side (``hookreceiver``,
``uvicorn``, ``starlette``, ``asyncio``, the root logger, examples' own loggers), without
touching a logger's level; the sending side (``httpx``/``httpcore``, the test's own client,
which logs the URLs it calls) is left out: each test logs at the levels it sets (many set
DEBUG with ``caplog.set_level``), so the suite exercises what it exercises, nothing more.

What must not appear is learned as the suite runs, by watching two library entry points (they
run as usual; the watch only notes values):

- every ``Secrets`` built (each provider keeps its secrets there): the secret values, suite-wide;
- every ``HttpRequest.outgoing`` (every provider's ``sign()`` returns one): the values of its
  signature and token headers and of signature-like query parameters, for the test that made them.

Values shorter than ``MIN_LENGTH`` are not watched (a test secret like ``"s"`` is in every line),
nor plain numbers (the ``t=`` of a Stripe header is a timestamp, logged as ``sent_at``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from hookreceiver.core.delivery import HttpRequest
from hookreceiver.core.signing import Secrets

__all__ = ["MIN_LENGTH", "SENDER_LOGGERS", "LogWatch", "install", "watchable"]

MIN_LENGTH = 10
SENDER_LOGGERS = frozenset({"httpx", "httpcore"})
# Header names whose values are signatures, digests or tokens (not Twilio's idempotency token,
# which is a delivery id and logged as one).
_SECRET_HEADER = re.compile(r"signature|hmac|token|authorization|secret|^x-sig", re.IGNORECASE)
_NOT_SECRET_HEADER = re.compile(r"idempotency", re.IGNORECASE)
_SECRET_QUERY = {"signature", "msg_signature", "sign", "sig", "token", "access_token", "secret", "key"}
# A header such as "t=1700000000,v1=<hex>" or "sha256=<hex>": each part is watched by itself.
_PARTS = re.compile(r"[,; ]+|(?<=[a-z0-9])=")


class LogWatch(logging.Handler):
    """Keeps the text of every record; ``leaks()`` says which watched values it contains."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.lines: list[str] = []
        self.secrets: set[str] = set()
        self.signatures: set[str] = set()  # of the running test
        # A property test's secrets are drawn, not configured: Hypothesis draws strings from the
        # constants of the project's code, so one can be "multipart/form-data", which a later
        # test's refusal rightly logs. They are watched for the running test only.
        self.drawn = False
        self.drawn_secrets: set[str] = set()
        self._formatter = logging.Formatter()

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.split(".")[0] in SENDER_LOGGERS:
            return
        try:
            text = f"{record.name} {record.levelname} {record.getMessage()}"
        except Exception:  # a bad format string is the logging call's problem, not ours
            text = f"{record.name} {record.levelname} {record.msg!r} {record.args!r}"
        if record.exc_info:
            text += "\n" + self._formatter.formatException(record.exc_info)
        self.lines.append(text)

    def start_test(self, *, drawn: bool = False) -> None:
        """A new test begins; ``drawn``: a property test, whose secrets are drawn by Hypothesis."""
        self.lines.clear()
        self.signatures.clear()
        self.drawn_secrets.clear()
        self.drawn = drawn

    def watch(self, values: Iterable[str], *, secret: bool) -> None:
        if secret:
            target = self.drawn_secrets if self.drawn else self.secrets
        else:
            target = self.signatures
        target.update(v for v in values if watchable(v))

    def leaks(self) -> list[tuple[str, str]]:
        """(kind, line) for each captured line holding a watched value (the value left out)."""
        if not self.lines:
            return []
        text = "\n".join(self.lines)
        found = [("secret", v) for v in self.secrets | self.drawn_secrets if v in text]
        found += [("signature", v) for v in self.signatures if v in text]
        return [(kind, line) for kind, value in found for line in self.lines if value in line]


def watchable(value: str) -> bool:
    """Long enough to be no accident, and not a number (a signed timestamp or nonce is no secret)."""
    return len(value) >= MIN_LENGTH and not value.isdigit()


def _signature_values(headers: Mapping[str, str], url: str) -> list[str]:
    values: list[str] = []
    for name, value in headers.items():
        if _SECRET_HEADER.search(name) and not _NOT_SECRET_HEADER.search(name):
            values.append(value)
            values.extend(part for part in _PARTS.split(value) if part)
            if name.lower() == "authorization":
                values.extend(value.split()[1:])  # "Basic <base64>"
    for name, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        if name.lower() in _SECRET_QUERY:
            values.append(value)
    return values


def install(watch: LogWatch) -> None:
    """Attach ``watch`` to the root logger and note what Secrets and HttpRequest.outgoing see."""
    logging.getLogger().addHandler(watch)
    original_init = Secrets.__init__
    original_outgoing = HttpRequest.outgoing.__func__  # type: ignore[attr-defined]

    def noting_init(self: Secrets, secrets: Any) -> None:
        original_init(self, secrets)
        watch.watch((v.decode("utf-8", "replace") for v in self.values), secret=True)

    def noting_outgoing(cls: type[HttpRequest], *args: Any, **kwargs: Any) -> HttpRequest:
        request: HttpRequest = original_outgoing(cls, *args, **kwargs)
        watch.watch(_signature_values(request.headers, request.url), secret=False)
        return request

    Secrets.__init__ = noting_init  # type: ignore[method-assign]
    HttpRequest.outgoing = classmethod(noting_outgoing)  # type: ignore[method-assign, assignment]
