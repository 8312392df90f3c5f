"""Key naming and URL parsing for :mod:`hookreceiver.stores.redis` (pure: no redis import).

Every key of one store starts with ``hookreceiver:{<namespace>}:``; the braces are the Redis
Cluster hash tag. Sender-controlled text (endpoint path and delivery id) enters keys only through
:func:`member_for`, which percent-encodes braces, ``%``, spaces and non-ASCII, so it is injective
and can never open or close a hash tag.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from hookreceiver.exceptions import ConfigurationError

__all__ = ["KEY_ROOT", "MAX_MEMBER_CHARS", "key_prefix", "member_for", "parse_url", "scrub"]

KEY_ROOT = "hookreceiver"
MAX_MEMBER_CHARS = 200  # longer members keep a readable head and a sha256 of the whole key
_NAMESPACE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_SAFE = "/:@!$&'()*+,;=-._~"
_OUR_OPTIONS = ("namespace", "visibility_timeout", "max_retained")
_SCHEMES = {"redis": "redis", "rediss": "rediss", "unix": "unix",
            "redis+cluster": "redis", "rediss+cluster": "rediss"}


def key_prefix(namespace: str) -> str:
    """``hookreceiver:{namespace}:``: the hash-tagged prefix of every key of one store."""
    if not _NAMESPACE.match(namespace):
        raise ConfigurationError(f"invalid redis namespace {namespace!r}: use 1-64 of [A-Za-z0-9._-]")
    return f"{KEY_ROOT}:{{{namespace}}}:"


def member_for(key: str) -> str:
    """The key-safe (injective, brace-free) name of a delivery key inside Redis keys."""
    member = quote(key, safe=_SAFE)
    if len(member) > MAX_MEMBER_CHARS:
        digest = hashlib.sha256(key.encode()).hexdigest()
        member = f"{member[:100]}~{digest}"
    return member


def scrub(message: str) -> str:
    """An error message fit for logs: any ``//user:password@`` part removed, length capped."""
    return re.sub(r"//[^@/\s]*@", "//***@", message)[:300]


def parse_url(url: str, namespace: str, visibility_timeout: float, max_retained: int
              ) -> tuple[str, bool, dict[str, Any]]:
    """Split a store URL into (URL for redis-py, is-cluster, store options from the query).

    Schemes: ``redis``, ``rediss`` (TLS), ``unix``, ``redis+cluster``, ``rediss+cluster``. Our
    options (``namespace``, ``visibility_timeout``, ``max_retained``) are taken out of the query;
    the rest goes to redis-py. Errors never quote the URL, which may hold a password.
    """
    parts = urlsplit(url)
    if parts.scheme not in _SCHEMES:
        raise ConfigurationError(f"unsupported redis URL scheme {parts.scheme!r}; use one of "
                                 + ", ".join(sorted(_SCHEMES)))
    query = parse_qsl(parts.query, keep_blank_values=True)
    ours = {name: value for name, value in query if name in _OUR_OPTIONS}
    rest = urlencode([(name, value) for name, value in query if name not in _OUR_OPTIONS])
    plain = urlunsplit((_SCHEMES[parts.scheme], parts.netloc, parts.path, rest, ""))
    try:
        options: dict[str, Any] = {
            "namespace": ours.get("namespace", namespace),
            "visibility_timeout": float(ours.get("visibility_timeout", visibility_timeout)),
            "max_retained": int(ours.get("max_retained", max_retained))}
    except ValueError as exc:
        raise ConfigurationError(f"bad store option in the redis URL: {exc}") from None
    return plain, parts.scheme.endswith("+cluster"), options
