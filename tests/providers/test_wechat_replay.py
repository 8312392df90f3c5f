"""WeChat plain mode: a default timestamp window and a nonce cache (issue 13 item 5).

The plain-mode signature covers the token, timestamp and nonce, not the body: a signed URL
taken from a log let anyone post any body under it, for ever.
"""

from __future__ import annotations

import dataclasses

import pytest

from hookreceiver.core.delivery import Delivery
from hookreceiver.core.replay import NonceCache
from hookreceiver.exceptions import SignatureError, StaleTimestamp
from hookreceiver.providers import WeChat, receive

TOKEN = "wechat_token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx5823bf96d3bd56c7"
NOW = 1_700_000_000.0


def test_a_captured_url_with_another_body_is_refused() -> None:
    provider = WeChat(secret=TOKEN)
    request = provider.sign(
        {"Content": "hi"}, topic="text", delivery_id="1", timestamp=NOW, url="https://e/w"
    )
    assert isinstance(receive(provider, request, endpoint="/w", now=NOW), Delivery)
    again = receive(provider, request, endpoint="/w", now=NOW + 5)  # a retry: dedupe's business
    assert isinstance(again, Delivery) and again.delivery_id == "1"
    forged = dataclasses.replace(request, body=request.body.replace(b"hi", b"pay attacker"))
    with pytest.raises(SignatureError) as info:
        receive(provider, forged, endpoint="/w", now=NOW + 6)
    assert (info.value.reason, info.value.status_hint) == ("replayed_nonce", 401)


def test_after_the_window_the_timestamp_refuses_it() -> None:
    provider = WeChat(secret=TOKEN)
    request = provider.sign(
        {"Content": "hi"}, topic="text", delivery_id="1", timestamp=NOW, url="https://e/w"
    )
    forged = dataclasses.replace(request, body=request.body.replace(b"hi", b"later"))
    with pytest.raises(StaleTimestamp):
        receive(provider, forged, endpoint="/w", now=NOW + 1049)  # the 1,049 s old URL


def test_a_rejected_signature_does_not_fill_the_cache() -> None:
    cache = NonceCache()
    provider = WeChat(secret=TOKEN, nonces=cache)
    request = provider.sign(
        {"Content": "hi"}, topic="text", delivery_id="1", timestamp=NOW, url="https://e/w"
    )
    with pytest.raises(SignatureError):
        receive(WeChat(secret="other-token", nonces=cache), request, endpoint="/w", now=NOW)
    assert len(cache) == 0


def test_safe_mode_signs_the_body_so_it_needs_no_cache() -> None:
    cache = NonceCache()
    provider = WeChat(secret=TOKEN, aes_key=AES_KEY, app_id=APP_ID, nonces=cache)
    request = provider.sign(
        {"Content": "hi"}, topic="text", delivery_id="1", timestamp=NOW, url="https://e/w"
    )
    assert isinstance(receive(provider, request, endpoint="/w", now=NOW), Delivery)
    assert len(cache) == 0


def test_the_cache_window_follows_the_tolerance() -> None:
    assert WeChat(secret=TOKEN).nonces.window == 300
    assert WeChat(secret=TOKEN, tolerance=60).nonces.window == 60
    assert WeChat(secret=TOKEN, tolerance=0).nonces.window == 300  # window off: still a cache
