"""Key naming for :mod:`hookreceiver.stores.redis` (pure: no redis import); URLs: redis_connect.py.

Every key of one store starts with ``hookreceiver:{<namespace>}:``; the braces are the Redis
Cluster hash tag. Sender-controlled text (endpoint path and delivery id) enters keys only through
:func:`member_for`, which percent-encodes braces, ``%``, spaces and non-ASCII, so it is injective
and can never open or close a hash tag.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import quote

from hookreceiver.exceptions import ConfigurationError

__all__ = ["KEY_ROOT", "MAX_MEMBER_CHARS", "key_prefix", "member_for", "scrub"]

KEY_ROOT = "hookreceiver"
MAX_MEMBER_CHARS = 200  # longer members keep a readable head and a sha256 of the whole key
_NAMESPACE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_SAFE = "/:@!$&'()*+,;=-._~"


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
