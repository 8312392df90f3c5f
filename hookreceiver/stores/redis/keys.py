"""Key naming for :mod:`hookreceiver.stores.redis` (pure: no redis import); URLs: connect.py.

Every key of one store starts with ``hookreceiver:{<namespace>}:``; the braces are the Redis
Cluster hash tag. Sender-controlled text (endpoint path and delivery id) enters keys only through
:func:`member_for`, which percent-encodes braces, ``%``, spaces and non-ASCII, so it is injective
and can never open or close a hash tag.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import quote

import hookreceiver.defaults as defaults
from hookreceiver.exceptions import ConfigurationError

__all__ = [
    "CLAIM",
    "DEAD",
    "DEFAULT_NAMESPACE",
    "DELAYED",
    "GROUP",
    "INBOX",
    "KEY_ROOT",
    "MAX_MEMBER_CHARS",
    "MAX_RECLAIMS",
    "MAX_RETAINED",
    "RETENTION",
    "SETTLED",
    "STATS",
    "VISIBILITY_TIMEOUT",
    "key_prefix",
    "member_for",
    "scrub",
    "split_receipt",
]

KEY_ROOT = "hookreceiver"
# Key names after the prefix (the store's module docstring says what each holds), the
# consumer group, and the defaults of the store's limits and TTLs.
CLAIM, INBOX, DELAYED, DEAD, SETTLED = "claim:", "inbox", "delayed", "dead", "settled"
STATS = "stats"  # hash of cumulative counters, no TTL: a handful of fields per namespace
GROUP = "workers"
DEFAULT_NAMESPACE = "default"
RETENTION = defaults.RETENTION  # seconds a settled claim (done or dead) is kept
VISIBILITY_TIMEOUT = 60.0  # seconds without a heartbeat before another worker takes a job over
MAX_RECLAIMS = 5  # takeovers in a row of one delivery before it is buried as "worker lost"
MAX_RETAINED = 100_000  # done claims kept (with their bytes) before the oldest are dropped early
MAX_MEMBER_CHARS = 200  # longer members keep a readable head and a sha256 of the whole key
_NAMESPACE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_SAFE = "/:@!$&'()*+,;=-._~"


def key_prefix(namespace: str) -> str:
    """``hookreceiver:{namespace}:``: the hash-tagged prefix of every key of one store."""
    if not _NAMESPACE.fullmatch(namespace):  # fullmatch: "$" alone lets a trailing newline in
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


def split_receipt(receipt: str) -> tuple[str, str, str]:
    """A job receipt ``entry#gen#run`` as (inbox entry id, claim generation, run)."""
    entry_id, _, rest = receipt.partition("#")
    gen, _, run = rest.partition("#")
    return entry_id, gen, run
