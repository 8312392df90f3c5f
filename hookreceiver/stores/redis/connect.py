"""How a RedisStore connects: URL parsing and client options (a ``Plan``), then the clients.

A store uses two clients. Commands (admission, recording, outcomes) go through one with a short
``timeout`` (default 3 s) and no retry after a timeout, so a hung Redis answers the sender with a
503 long before the sender gives up. Blocking inbox reads (XREADGROUP BLOCK, at most MAX_BLOCK)
go through a second, small pool whose socket timeout is the longest block plus that timeout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis.exceptions as redis_errors
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from hookreceiver.exceptions import ConfigurationError

__all__ = [
    "COMMAND_TIMEOUT",
    "FAILURES",
    "MAX_BLOCK",
    "POOL_SIZE",
    "READER_POOL_SIZE",
    "Plan",
    "allowed_query_keys",
    "connect",
    "parse_url",
    "plan",
]

COMMAND_TIMEOUT = 3.0  # seconds one command (or connecting) may take before the store gives up
MAX_BLOCK = 5.0  # longest XREADGROUP BLOCK
POOL_SIZE = 64  # command connections per process
READER_POOL_SIZE = 8  # blocking-read connections per process (one per waiting worker loop)
# Every exception type redis-py defines (several, e.g. RedisClusterException, are not RedisError),
# plus socket errors and timeouts: all of them mean "the store is unavailable" to our callers.
FAILURES: tuple[type[Exception], ...] = (
    *(
        cls
        for cls in vars(redis_errors).values()
        if isinstance(cls, type) and issubclass(cls, Exception) and cls.__module__ == redis_errors.__name__
    ),
    OSError,
    TimeoutError,
)
_OUR_OPTIONS = ("namespace", "visibility_timeout", "max_retained", "timeout")
# redis-py connection options a URL query may carry (each is a keyword of redis-py's connection
# classes and of RedisCluster; a test keeps this list honest). Anything else is refused at startup:
# redis-py would pass it on unchecked and every command would fail. Left out on purpose:
# retry_on_timeout (see above) and decode_responses/encoding (the store reads raw bytes).
_REDIS_OPTIONS = (
    "client_name",
    "db",
    "health_check_interval",
    "max_connections",
    "password",
    "protocol",
    "socket_connect_timeout",
    "socket_keepalive",
    "socket_read_size",
    "socket_timeout",
    "username",
)
_TLS_OPTIONS = (
    "ssl_ca_certs",
    "ssl_ca_data",
    "ssl_cert_reqs",
    "ssl_certfile",
    "ssl_check_hostname",
    "ssl_ciphers",
    "ssl_keyfile",
    "ssl_min_version",
)  # rediss:// only
_SCHEMES = {
    "redis": "redis",
    "rediss": "rediss",
    "unix": "unix",
    "redis+cluster": "redis",
    "rediss+cluster": "rediss",
}


@dataclass(frozen=True)
class Plan:
    """What to connect to and how: the URL for redis-py, cluster or not, and our own options."""

    url: str
    cluster: bool
    store_options: Mapping[str, Any]
    timeout: float = COMMAND_TIMEOUT

    def client_options(self, *, blocking: bool) -> dict[str, Any]:
        """Socket timeouts for the command client, or for the blocking-read client."""
        return {
            "socket_timeout": self.timeout + (MAX_BLOCK if blocking else 0.0),
            "socket_connect_timeout": self.timeout,
        }

    def pool_options(self, *, blocking: bool) -> dict[str, Any]:
        """Pool size, and how long to wait for a free connection (as long as a command)."""
        return {"max_connections": READER_POOL_SIZE if blocking else POOL_SIZE, "timeout": self.timeout}


def parse_url(
    url: str, namespace: str, visibility_timeout: float, max_retained: int
) -> tuple[str, bool, dict[str, Any]]:
    """Split a store URL into (URL for redis-py, is-cluster, store options from the query).

    Schemes: ``redis``, ``rediss`` (TLS), ``unix``, ``redis+cluster``, ``rediss+cluster``. Our
    options (``namespace``, ``visibility_timeout``, ``max_retained``, ``timeout``) are taken out
    of the query; redis-py's connection options go to redis-py; any other key is a
    ConfigurationError. Errors never quote the URL, which may hold a password.
    """
    parts = urlsplit(url)
    if parts.scheme not in _SCHEMES:
        raise ConfigurationError(
            f"unsupported redis URL scheme {parts.scheme!r}; use one of " + ", ".join(sorted(_SCHEMES))
        )
    query = parse_qsl(parts.query, keep_blank_values=True)
    _check_query_keys([name for name, _ in query], tls=parts.scheme.startswith("rediss"))
    ours = {name: value for name, value in query if name in _OUR_OPTIONS}
    rest = urlencode([(name, value) for name, value in query if name not in _OUR_OPTIONS])
    plain = urlunsplit((_SCHEMES[parts.scheme], parts.netloc, parts.path, rest, ""))
    try:
        options: dict[str, Any] = {
            "namespace": ours.get("namespace", namespace),
            "visibility_timeout": float(ours.get("visibility_timeout", visibility_timeout)),
            "max_retained": int(ours.get("max_retained", max_retained)),
        }
        if "timeout" in ours:
            options["timeout"] = float(ours["timeout"])
    except ValueError as exc:
        raise ConfigurationError(f"bad store option in the redis URL: {exc}") from None
    return plain, parts.scheme.endswith("+cluster"), options


def allowed_query_keys(*, tls: bool) -> tuple[str, ...]:
    """The query keys a store URL accepts: our store options, then redis-py's (TLS ones for rediss)."""
    return _OUR_OPTIONS + tuple(sorted(_REDIS_OPTIONS + (_TLS_OPTIONS if tls else ())))


def _check_query_keys(names: list[str], *, tls: bool) -> None:
    """Refuse unknown keys (typos such as ``namepsace``) by name; values are never quoted."""
    allowed = allowed_query_keys(tls=tls)
    unknown = [name for name in dict.fromkeys(names) if name not in allowed]
    if unknown:
        hint = " (TLS options need rediss://)" if not tls and set(unknown) & set(_TLS_OPTIONS) else ""
        raise ConfigurationError(
            f"unknown option{'s' if len(unknown) > 1 else ''} in the redis URL query: "
            f"{', '.join(repr(name[:40]) for name in unknown)}{hint}; allowed: {', '.join(allowed)}"
        )


def plan(
    url: str, *, namespace: str, visibility_timeout: float, max_retained: int, options: Mapping[str, Any]
) -> Plan:
    """The connection plan for ``url``; keyword ``options`` win over the URL query."""
    plain, cluster, store_options = parse_url(url, namespace, visibility_timeout, max_retained)
    store_options.update(options)
    timeout = float(store_options.pop("timeout", COMMAND_TIMEOUT))
    if not timeout > 0:
        raise ConfigurationError("the redis store timeout must be a positive number of seconds")
    return Plan(plain, cluster, store_options, timeout)


def connect(how: Plan, *, blocking: bool) -> Redis | RedisCluster:
    """A client for ``how``: retried on a dropped connection, never after a timeout (a hung
    Redis must turn into a prompt 503, not three long waits)."""
    retry = Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=2, supported_errors=(RedisConnectionError,))
    options = how.client_options(blocking=blocking)
    if how.cluster:
        return RedisCluster.from_url(how.url, retry=retry, **options)
    pool = BlockingConnectionPool.from_url(
        how.url, retry=retry, **how.pool_options(blocking=blocking), **options
    )
    return Redis(connection_pool=pool)
