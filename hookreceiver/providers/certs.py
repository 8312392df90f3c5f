"""Fetched signing keys (Amazon SNS and PayPal certificates, Google's JWKS for Pub/Sub): an
allow-list, a pluggable fetcher, a cache.

A provider that signs with a certificate names its URL in the request. Trusting that URL blindly
would let anyone sign with their own certificate, so ``CertificateCache.get`` first asks the
provider's allow-list (``https`` and the provider's own hosts only), then returns a cached copy
or calls the fetcher. The cache keeps at most ``max_entries`` certificates for ``ttl`` seconds
(``now`` is passed in, as everywhere in the core); the oldest is dropped first.

``FetchedCache`` is that cache for any parsed document (``parse`` turns the fetched bytes into
it, raising ``ValueError`` on nonsense); ``CertificateCache`` is the one for PEM certificates.
``get(url, now=, max_age=)`` can ask for a fresher copy than the TTL, for a key set that may
have rotated (an unknown key id), without letting each request force a fetch.

The fetcher is any ``Callable[[str], bytes]``: tests inject one that serves a local certificate.
The default, ``fetch_https``, uses the standard library with a timeout, refuses redirects (a
redirect could leave the allow-list) and reads at most ``MAX_CERT_BYTES``. It blocks: the first
request per certificate waits for the fetch, later ones hit the cache.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from cryptography import x509

from hookreceiver.exceptions import SignatureError

__all__ = ["MAX_CERT_BYTES", "CertificateCache", "FetchedCache", "Fetcher", "fetch_https"]

Fetcher = Callable[[str], bytes]
MAX_CERT_BYTES = 64 * 1024
T = TypeVar("T")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # urllib then raises HTTPError for the 3xx


def fetch_https(url: str, *, timeout: float = 5.0) -> bytes:
    """GET ``url`` (already allow-listed) without following redirects; at most MAX_CERT_BYTES."""
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(url, timeout=timeout) as response:  # https only, allow-listed
            data: bytes = response.read(MAX_CERT_BYTES + 1)
    except urllib.error.HTTPError as exc:  # a 3xx (not followed) or an error status
        exc.close()
        raise OSError(f"HTTP {exc.code} from the certificate URL") from None
    return data


class FetchedCache(Generic[T]):
    """Parsed documents by URL: allow-listed, fetched once, kept ``ttl`` seconds, at most
    ``max_entries``. ``what`` names the document in error messages."""

    def __init__(
        self,
        *,
        allow: Callable[[str], bool],
        parse: Callable[[bytes], T],
        fetch: Fetcher = fetch_https,
        ttl: float = 3600.0,
        max_entries: int = 32,
        what: str = "signing key",
    ) -> None:
        self._allow = allow
        self._parse = parse
        self._fetch = fetch
        self.ttl = ttl
        self.max_entries = max_entries
        self.what = what
        self._entries: OrderedDict[str, tuple[float, T]] = OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(entries={len(self._entries)}, ttl={self.ttl:g}, max={self.max_entries})"
        )

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, url: str, *, now: float, max_age: float | None = None) -> T:
        """The document at ``url``, fetched unless a copy younger than the TTL (and than
        ``max_age``, if given) is cached. Raises ``SignatureError`` for a URL off the
        allow-list, a failed fetch or a document ``parse`` refuses."""
        if not self._allow(url):
            raise SignatureError(
                f"the {self.what} URL is not one this provider uses",
                reason="untrusted_certificate_url",
            )
        limit = self.ttl if max_age is None else min(self.ttl, max_age)
        with self._lock:
            entry = self._entries.get(url)
            if entry is not None and now - entry[0] < limit:
                return entry[1]
        try:
            data = self._fetch(url)
        except Exception:  # any failure of the fetcher is the same answer: cannot verify now
            raise SignatureError(
                f"the {self.what} could not be fetched", reason="certificate_unavailable"
            ) from None
        if len(data) > MAX_CERT_BYTES:
            raise SignatureError(f"the {self.what} is too large", reason="bad_certificate")
        try:
            parsed = self._parse(data)
        except ValueError:
            raise SignatureError(f"the {self.what} cannot be read", reason="bad_certificate") from None
        with self._lock:
            self._entries.pop(url, None)
            self._entries[url] = (now, parsed)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return parsed


class CertificateCache(FetchedCache[x509.Certificate]):
    """PEM certificates by URL (SNS, PayPal): a ``FetchedCache`` that parses PEM."""

    def __init__(
        self,
        *,
        allow: Callable[[str], bool],
        fetch: Fetcher = fetch_https,
        ttl: float = 3600.0,
        max_entries: int = 32,
    ) -> None:
        super().__init__(
            allow=allow,
            parse=x509.load_pem_x509_certificate,
            fetch=fetch,
            ttl=ttl,
            max_entries=max_entries,
            what="signing certificate",
        )
