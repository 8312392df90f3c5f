"""Forged, altered and replayed signatures against the HMAC providers: each is refused with its
exact status and reason, nothing is stored and no handler runs.

Every case starts from a request the provider's own ``sign()`` made (so it is accepted as sent)
and changes one thing an attacker controls: the signature header's count, its characters, its
length, the body, the time, or the secret that signed it.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable

import pytest

from hookreceiver import HookReceiver, HttpRequest, MemoryStore, Settings
from hookreceiver.providers import PROVIDERS, Provider
from hookreceiver.testing.signing import build_request
from tests.helpers import NOW, asgi_client

pytestmark = pytest.mark.anyio

SECRET = "hostile-current-secret-5b1e9d"
RETIRED = "hostile-retired-secret-0c7a42"
URL = "http://hooks.test/hook"
WHSEC = "whsec_" + base64.b64encode(b"hostile-standard-webhooks-key!!").decode()

# provider name -> the header carrying its signature (or token)
SIGNATURE_HEADERS = {
    "coinbase": "x-cc-webhook-signature",
    "generic": "x-signature",
    "github": "x-hub-signature-256",
    "gitlab": "x-gitlab-token",
    "meta": "x-hub-signature-256",
    "paddle": "paddle-signature",
    "paystack": "x-paystack-signature",
    "razorpay": "x-razorpay-signature",
    "shopify": "x-shopify-hmac-sha256",
    "slack": "x-slack-signature",
    "square": "x-square-hmacsha256-signature",
    "standard-webhooks": "webhook-signature",
    "stripe": "stripe-signature",
    "telegram": "x-telegram-bot-api-secret-token",
}
# Which carry a token rather than a digest (so the reason is bad_token).
TOKENS = {"gitlab", "telegram"}
# Stripe and Paddle take several signatures in one header; a repeated header joins into one
# list (RFC 9110, 5.3), so the same valid signature twice is still valid. Everywhere else the
# joined value is not one signature, and is refused.
LIST_HEADERS = {"stripe", "paddle", "standard-webhooks"}


def _secret(name: str, which: str = SECRET) -> str:
    if name == "standard-webhooks":
        return WHSEC if which == SECRET else "whsec_" + base64.b64encode(which.encode()).decode()
    return which


def _provider(name: str, secrets: list[str]) -> Provider:
    return PROVIDERS[name](secret=secrets if len(secrets) > 1 else secrets[0])


async def _send(
    name: str,
    request: HttpRequest,
    *,
    headers: list[tuple[bytes, bytes]] | None = None,
    body: bytes | None = None,
    secrets: list[str] | None = None,
) -> tuple[int, str, int]:
    """Post to an endpoint verifying with ``secrets`` (the current one): status, reason, and how
    many deliveries reached the inbox (what a worker would hand to the handlers)."""
    store = MemoryStore(clock=lambda: NOW)
    receiver = HookReceiver(store=store, settings=Settings(), run_worker=False, clock=lambda: NOW)
    receiver.endpoint("/hook", _provider(name, secrets or [_secret(name)])).on("*")(_noop)
    raw = headers if headers is not None else [(k.encode(), v.encode()) for k, v in request.headers.items()]
    async with asgi_client(receiver, "http://hooks.test") as client:
        response = await client.request(
            request.method, request.url, content=request.body if body is None else body, headers=raw
        )
    answer = response.json()
    queued = await store.take("probe", limit=10, wait=0)
    return response.status_code, answer.get("error") or answer.get("status"), len(queued)


def _noop(delivery: object) -> None:
    return None


def _signed(name: str, *, timestamp: float = NOW, secret: str = SECRET) -> HttpRequest:
    return build_request(
        _provider(name, [_secret(name, secret)]), url=URL, timestamp=timestamp, delivery_id=None
    )


def _with_header(request: HttpRequest, name: str, change: Callable[[str], str]) -> list[tuple[bytes, bytes]]:
    return [
        (k.encode(), (change(v) if k.lower() == name else v).encode("utf-8"))
        for k, v in request.headers.items()
    ]


_DIGEST = re.compile(r"(?:[0-9a-f]{40,}|[A-Za-z0-9+/]{27,}={0,2})")


def _mutate_digest(value: str, change: Callable[[str], str]) -> str:
    runs = list(_DIGEST.finditer(value))
    if not runs:  # a plain token
        return change(value)
    match = runs[-1]  # the last digest-looking run: after any t=/ts= prefix
    return value[: match.start()] + change(match.group()) + value[match.end() :]


def _lookalike(char: str) -> str:
    """A character that looks like ``char``: Cyrillic а/е/о/с or the fullwidth form."""
    return {"a": "\u0430", "e": "\u0435", "o": "\u043e", "c": "\u0441"}.get(char, chr(ord(char) + 0xFEE0))


NAMES = sorted(SIGNATURE_HEADERS)


def _refused(name: str) -> tuple[int, str, int]:
    return (401, "bad_token" if name in TOKENS else "bad_signature", 0)


@pytest.mark.parametrize("name", NAMES)
async def test_the_unaltered_request_is_accepted(name: str) -> None:
    assert await _send(name, _signed(name)) == (200, "accepted", 1)


@pytest.mark.parametrize("name", NAMES)
async def test_a_repeated_signature_header_is_one_joined_value(name: str) -> None:
    request = _signed(name)
    header = SIGNATURE_HEADERS[name]
    raw = [(k.encode(), v.encode()) for k, v in request.headers.items()]
    twice = raw + [(header.encode(), request.headers[header].encode())]
    expected = (200, "accepted", 1) if name in LIST_HEADERS else _refused(name)
    assert await _send(name, request, headers=twice) == expected


@pytest.mark.parametrize("name", NAMES)
async def test_a_valid_signature_header_beside_a_forged_one_does_not_cover_a_changed_body(name: str) -> None:
    request = _signed(name)
    header = SIGNATURE_HEADERS[name]
    forged = _signed(name, secret="attacker-guess-000000000000")
    raw = [(k.encode(), v.encode()) for k, v in request.headers.items()]
    both = raw + [(header.encode(), forged.headers[header].encode())]
    changed = request.body.replace(b"}", b',"injected":1}', 1) if request.body else b"x"
    assert await _send(name, request, headers=both, body=changed) == _refused(name)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("where", ["first", "last"])
async def test_a_unicode_lookalike_in_the_signature_is_refused(name: str, where: str) -> None:
    request = _signed(name)

    def swap(digest: str) -> str:
        index = 0 if where == "first" else len(digest) - 1
        return digest[:index] + _lookalike(digest[index]) + digest[index + 1 :]

    changed = _with_header(request, SIGNATURE_HEADERS[name], lambda v: _mutate_digest(v, swap))
    # Stripe and Paddle skip a list entry that is not hex, which leaves no signature at all.
    expected = (401, "missing_signature", 0) if name in {"stripe", "paddle"} else _refused(name)
    assert await _send(name, request, headers=changed) == expected


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "change",
    [lambda d: d[: len(d) // 2], lambda d: d[:-2], lambda d: d + d[:2], lambda d: d * 2, lambda d: ""],
    ids=["half", "two-short", "two-long", "doubled", "empty"],
)
async def test_a_signature_of_the_wrong_length_is_refused(name: str, change: Callable[[str], str]) -> None:
    request = _signed(name)
    changed = _with_header(request, SIGNATURE_HEADERS[name], lambda v: _mutate_digest(v, change))
    status, reason, queued = await _send(name, request, headers=changed)
    assert (status, queued) == (401, 0)
    # a header left empty counts as missing; anything else is a bad signature (or token)
    emptied = _mutate_digest(request.headers[SIGNATURE_HEADERS[name]], change) == ""
    assert reason == ("missing_signature" if emptied else _refused(name)[1])


@pytest.mark.parametrize("name", NAMES)
async def test_a_request_signed_with_a_retired_secret_is_refused(name: str) -> None:
    old = _signed(name, secret=RETIRED)
    assert await _send(name, old) == _refused(name)
    # ... and accepted while the old secret is still listed (rotation), as the second one
    assert await _send(name, old, secrets=[_secret(name), _secret(name, RETIRED)]) == (200, "accepted", 1)


# provider -> (a timestamp just outside its window, the window); the rest sign no time.
WINDOWS = {
    "stripe": (NOW - 301, 300),
    "slack": (NOW + 301, 300),
    "paddle": (NOW - 6, 5),
    "standard-webhooks": (NOW - 301, 300),
}


@pytest.mark.parametrize("name", sorted(WINDOWS))
async def test_a_replay_outside_the_window_is_stale(name: str) -> None:
    stale, _ = WINDOWS[name]
    assert await _send(name, _signed(name, timestamp=stale)) == (401, "stale_timestamp", 0)


async def test_a_fresh_timestamp_added_to_a_stale_stripe_header_does_not_revive_it() -> None:
    stale = _signed("stripe", timestamp=NOW - 3600)
    revived = _with_header(stale, "stripe-signature", lambda v: f"t={int(NOW)}," + v)
    assert await _send("stripe", stale, headers=revived) == (401, "stale_timestamp", 0)
    appended = [(k.encode(), v.encode()) for k, v in stale.headers.items()] + [
        (b"stripe-signature", f"t={int(NOW)}".encode())
    ]
    assert await _send("stripe", stale, headers=appended) == (401, "bad_signature", 0)
