"""Signature helpers: HMAC digests, constant-time comparison, secret rotation, timestamp windows.

Every check raises a :class:`~hookreceiver.exceptions.SignatureError` (or ``StaleTimestamp``) on
failure and returns only on success. Nothing here reads a clock: ``now`` is always a parameter.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import SecretBytes, SecretStr

from hookreceiver.exceptions import ConfigurationError, SignatureError, StaleTimestamp

__all__ = [
    "Algorithm",
    "Encoding",
    "HmacHeader",
    "SecretValue",
    "Secrets",
    "check_timestamp",
    "constant_time_equal",
    "decode_signature",
    "encode_digest",
    "hmac_digest",
    "match_secret",
    "parse_timestamp",
    "verify_digest",
    "verify_hmac",
    "verify_token",
]

Algorithm = Literal["sha1", "sha256", "sha512"]
Encoding = Literal["hex", "base64"]
_ALGORITHMS = ("sha1", "sha256", "sha512")


SecretValue = str | bytes | SecretStr | SecretBytes
_ONE_SECRET = (str, bytes, SecretStr, SecretBytes)


def _secret_bytes(value: object) -> bytes:
    if isinstance(value, SecretStr | SecretBytes):
        value = value.get_secret_value()
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, bytes):
        return value
    # Only the type is named: the value itself might be a secret.
    raise ConfigurationError(
        f"a secret must be str or bytes (or a pydantic SecretStr/SecretBytes), not {type(value).__name__}"
    )


class Secrets:
    """One or more secrets for an endpoint, newest first; its repr never shows them.

    Each secret is ``str`` (used as UTF-8), ``bytes``, or a pydantic ``SecretStr``/``SecretBytes``
    as settings models hold them; anything else is a ``ConfigurationError``.
    """

    __slots__ = ("_values",)

    def __init__(self, secrets: SecretValue | Iterable[SecretValue]) -> None:
        if isinstance(secrets, _ONE_SECRET):
            items: list[object] = [secrets]
        elif isinstance(secrets, Iterable) and not isinstance(secrets, bytearray | memoryview):
            items = list(secrets)
        else:
            items = [secrets]  # reported by _secret_bytes with its type
        values = tuple(_secret_bytes(item) for item in items)
        if not values or any(not v for v in values):
            raise ConfigurationError("a secret is required and must not be empty")
        self._values = values

    @property
    def values(self) -> tuple[bytes, ...]:
        return self._values

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Secrets(<{len(self._values)} hidden>)"

    __str__ = __repr__


def hmac_digest(algorithm: Algorithm, key: bytes, message: bytes) -> bytes:
    """The raw HMAC of ``message`` under ``key``."""
    if algorithm not in _ALGORITHMS:
        raise ConfigurationError(f"unsupported HMAC algorithm {algorithm!r}")
    return hmac.new(key, message, getattr(hashlib, algorithm)).digest()


def encode_digest(digest: bytes, encoding: Encoding) -> str:
    """A digest as lower-case hex or standard base64."""
    if encoding == "hex":
        return digest.hex()
    return base64.b64encode(digest).decode("ascii")


def decode_signature(text: str, encoding: Encoding) -> bytes:
    """Decode a received signature; malformed text is a bad signature, not a crash."""
    try:
        if encoding == "hex":
            return bytes.fromhex(text)
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, binascii.Error, UnicodeEncodeError):
        raise SignatureError(f"signature is not valid {encoding}") from None


def constant_time_equal(a: bytes | str, b: bytes | str) -> bool:
    """Compare in time independent of where the inputs differ."""
    left = a.encode() if isinstance(a, str) else a
    right = b.encode() if isinstance(b, str) else b
    return hmac.compare_digest(left, right)


def match_secret(
    secrets: Secrets,
    expected: Callable[[bytes], Iterable[bytes | str]],
    received: Iterable[bytes | str],
    *,
    detail: str,
    reason: str = "bad_signature",
) -> int:
    """The index of the first secret for which a value ``expected(secret)`` equals a received one.

    The one place a provider tries its secrets: every secret is tried and every expected value
    compared with every received value in constant time, with no early exit, so timing reveals
    neither which secret matched nor how close a guess came. No match raises
    ``SignatureError(detail, reason=reason)``. ``expected`` may give several values per secret
    (Twilio signs two spellings of its URL); ``received`` may hold several (Stripe's ``v1`` list).
    """
    offered = list(received)
    hits = [
        any([constant_time_equal(value, sent) for value in expected(key) for sent in offered])
        for key in secrets.values
    ]
    if True in hits:
        return hits.index(True)
    raise SignatureError(detail, reason=reason)


def verify_digest(
    message: bytes,
    signatures: Sequence[bytes],
    *,
    secrets: Secrets,
    algorithm: Algorithm = "sha256",
) -> int:
    """Check decoded signatures against every secret; return the index of the secret that matched.

    Each secret is tried against each signature so both rotation styles work: a sender that sends
    one signature per secret (Stripe, Standard Webhooks) and a sender with one secret of several.
    """
    if not signatures:
        raise SignatureError("no signature to check", reason="missing_signature")
    return match_secret(
        secrets,
        lambda key: (hmac_digest(algorithm, key, message),),
        signatures,
        detail="signature does not match any configured secret",
    )


def verify_hmac(
    message: bytes,
    signature: str | None,
    *,
    secrets: Secrets,
    algorithm: Algorithm = "sha256",
    encoding: Encoding = "hex",
    prefix: str = "",
    header: str = "signature",
) -> int:
    """Verify one encoded signature such as ``sha256=<hex>``; return the matching secret's index."""
    if not signature:
        raise SignatureError(f"missing {header}", reason="missing_signature")
    signature = signature.strip()
    if prefix:
        if not signature.startswith(prefix):
            raise SignatureError(f"{header} does not start with {prefix!r}")
        signature = signature[len(prefix) :]
    decoded = decode_signature(signature, encoding)
    return verify_digest(message, [decoded], secrets=secrets, algorithm=algorithm)


@dataclass(frozen=True)
class HmacHeader:
    """A header holding ``prefix`` + the encoded HMAC of a message: a scheme described once.

    GitHub's ``X-Hub-Signature-256: sha256=<hex>``, Shopify's base64 ``X-Shopify-Hmac-Sha256``,
    Slack's ``X-Slack-Signature: v0=<hex>`` over ``v0:{timestamp}:{body}``. ``name`` is spelled as
    the provider documents it (error messages use it); ``header`` is its lower-cased form, as
    requests hold it. ``verify`` is the receiving side, ``value`` the sending side.
    """

    name: str
    algorithm: Algorithm = "sha256"
    encoding: Encoding = "hex"
    prefix: str = ""
    header: str = field(init=False, repr=False, compare=False)  # looked up on every request

    def __post_init__(self) -> None:
        if self.algorithm not in _ALGORITHMS:
            raise ConfigurationError(f"unsupported HMAC algorithm {self.algorithm!r}")
        if self.encoding not in ("hex", "base64"):
            raise ConfigurationError(f"unsupported signature encoding {self.encoding!r}")
        object.__setattr__(self, "header", self.name.lower())  # frozen: the dataclass way

    def verify(self, message: bytes, received: str | None, secrets: Secrets) -> int:
        """Check the header's value ``received`` against the HMAC of ``message`` under every
        secret; the index of the one that matched (``verify_hmac``)."""
        return verify_hmac(
            message,
            received,
            secrets=secrets,
            algorithm=self.algorithm,
            encoding=self.encoding,
            prefix=self.prefix,
            header=self.name,
        )

    def value(self, secret: bytes, message: bytes) -> str:
        """The header value a sender holding ``secret`` sends for ``message``."""
        return self.prefix + encode_digest(hmac_digest(self.algorithm, secret, message), self.encoding)


def verify_token(token: str | None, *, secrets: Secrets, header: str = "token") -> int:
    """Check a plain shared token (GitLab, Meta's verify token); return the matching secret's index.

    Every configured token is compared, in constant time, so timing reveals neither which one
    matched nor how much of it did.
    """
    if not token:
        raise SignatureError(f"missing {header}", reason="missing_signature")
    try:
        received = token.encode("latin-1")  # header text is latin-1: this gives the bytes sent
    except UnicodeEncodeError:
        received = token.encode()
    return match_secret(
        secrets,
        lambda value: (value,),
        (received,),
        detail=f"{header} does not match any configured token",
        reason="bad_token",
    )


def parse_timestamp(text: str | None, *, header: str = "timestamp", scale: float = 1.0) -> float:
    """A signed Unix timestamp (``scale=1000`` for milliseconds); malformed is a bad signature."""
    if text is None or not text.strip():
        raise SignatureError(f"missing {header}", reason="missing_timestamp")
    stripped = text.strip()
    # ASCII digits only, and few enough that the value stays a sane float (no OverflowError).
    if not (stripped.isascii() and stripped.lstrip("-").isdigit()) or len(stripped) > 18:
        raise SignatureError(f"{header} is not an integer", reason="bad_timestamp")
    return int(stripped) / scale


def check_timestamp(
    timestamp: float,
    *,
    now: float,
    tolerance: float,
    future_tolerance: float | None = None,
) -> None:
    """Reject a timestamp more than ``tolerance`` seconds in the past (or future).

    ``future_tolerance`` defaults to ``tolerance``; pass ``float("inf")`` to accept any future
    time as Stripe's SDK does. A tolerance of 0 or less turns the check off.
    """
    if tolerance <= 0:
        return
    ahead = tolerance if future_tolerance is None else future_tolerance
    skew = now - timestamp
    if skew > tolerance:
        raise StaleTimestamp(f"timestamp is {skew:.0f} s old; tolerance is {tolerance:.0f} s", skew=skew)
    if -skew > ahead:
        raise StaleTimestamp(
            f"timestamp is {-skew:.0f} s in the future; tolerance is {ahead:.0f} s", skew=skew
        )
