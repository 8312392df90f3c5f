"""NonceCache: the same signed nonce with other content is a replay; with the same, a retry."""

from __future__ import annotations

import pytest

from hookreceiver.core.replay import NonceCache
from hookreceiver.exceptions import ConfigurationError, SignatureError

NOW = 1_700_000_000.0


def test_same_nonce_same_content_is_a_retry_and_other_content_is_refused() -> None:
    cache = NonceCache(window=300)
    cache.check("ts:sig", "n1", b"<xml>a</xml>", now=NOW)
    cache.check("ts:sig", "n1", b"<xml>a</xml>", now=NOW + 1)  # WeChat's retry of the same message
    with pytest.raises(SignatureError) as info:
        cache.check("ts:sig", "n1", b"<xml>forged</xml>", now=NOW + 2)
    assert (info.value.reason, info.value.status_hint) == ("replayed_nonce", 401)
    cache.check("ts:sig", "n2", b"<xml>forged</xml>", now=NOW + 2)  # another nonce is another request
    cache.check("other:sig", "n1", b"<xml>forged</xml>", now=NOW + 2)  # so is another signed key


def test_entries_expire_after_the_window() -> None:
    cache = NonceCache(window=300)
    cache.check("k", "n", b"a", now=NOW)
    with pytest.raises(SignatureError):
        cache.check("k", "n", b"b", now=NOW + 299)
    cache.check("k", "n", b"b", now=NOW + 300)  # forgotten: the timestamp window refuses it by now
    assert len(cache) == 1


def test_the_cache_is_bounded_oldest_first() -> None:
    cache = NonceCache(window=300, max_entries=3)
    for number in range(5):
        cache.check("k", str(number), b"a", now=NOW)
    assert len(cache) == 3
    cache.check("k", "0", b"other", now=NOW)  # forgotten
    with pytest.raises(SignatureError):
        cache.check("k", "4", b"other", now=NOW)


@pytest.mark.parametrize(("window", "size"), [(0, 10), (-1, 10), (10, 0)])
def test_bad_configuration(window: float, size: int) -> None:
    with pytest.raises(ConfigurationError):
        NonceCache(window=window, max_entries=size)


def test_repr_shows_no_nonces() -> None:
    cache = NonceCache()
    cache.check("secret-ish-key", "nonce-7", b"a", now=NOW)
    assert "nonce-7" not in repr(cache) and "entries=1" in repr(cache)
