"""Forged, altered and replayed signatures against every provider's scheme, through the ASGI app:
each is refused with its exact status and reason, nothing is stored and no handler runs.

The schemes come from the provider scheme table (tests/providers/schemes.py), which a test keeps
complete, so a new provider is attacked here without being listed. Every case starts from a
request the provider's own ``sign()`` made (accepted as sent) and changes one thing an attacker
controls: the signature's count, its characters, its length, the body, the time, or the key.

Where the signature travels decides which attacks apply (``CARRIERS``):

- a header (most schemes): the header repeated, a valid one beside a forged one, look-alike
  characters, wrong lengths;
- the query (WeChat, WeCom, DingTalk): the same, on the query parameter; a repeated parameter
  keeps its last value, for the check and everything after it alike;
- a field of the JSON body (Adyen, Mailgun, SNS, Feishu/Lark's token): look-alikes and wrong
  lengths in the field. A repeated field is a repeated JSON key, which decodes to its last value
  before anything reads it, so there is no second copy for the check to disagree with.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from hookreceiver import HookReceiver, HttpRequest, MemoryStore, Settings
from hookreceiver.providers import Provider, receive_all
from tests.helpers import asgi_client
from tests.providers.schemes import CURRENT, NOW, OTHER, RETIRED, SCHEMES, Scheme, signed

pytestmark = pytest.mark.anyio

URL = "http://hooks.test/hook?tenant=7"

# Where each scheme's signature (or token) travels: ("header" | "query", name) or ("field", path).
FIELDS: dict[str, tuple[str | int, ...]] = {
    "adyen": ("notificationItems", 0, "NotificationRequestItem", "additionalData", "hmacSignature"),
    "feishu": ("header", "token"),
    "lark": ("header", "token"),
    "mailgun": ("signature", "signature"),
    "sns": ("Signature",),
}


def _carrier(scheme: Scheme) -> tuple[str, Any]:
    if scheme.headers:
        return ("header", scheme.headers[-1])
    if scheme.query:
        return ("query", scheme.query[-1])  # WeChat safe mode: msg_signature covers the body
    if scheme.name in FIELDS:
        return ("field", FIELDS[scheme.name])
    return ("unknown", None)  # a new scheme: see the test below


CARRIERS = {name: _carrier(scheme) for name, scheme in SCHEMES.items()}
NAMES = sorted(SCHEMES)
HEADER_SCHEMES = [n for n in NAMES if CARRIERS[n][0] == "header"]
QUERY_SCHEMES = [n for n in NAMES if CARRIERS[n][0] == "query"]

# What a refusal says, where it is not bad_signature: a token compared as a whole (bad_token), or a
# bearer token that no longer parses as a JWT. Each is the provider's documented reason.
REFUSED_AS = {
    "feishu": "bad_token",  # the Verification Token in the body
    "gitlab": "bad_token",
    "lark": "bad_token",
    "postmark": "bad_token",  # basic auth
    "pubsub": "bad_token",  # the bearer value is no longer a JWT (three base64url parts)
    "telegram": "bad_token",
}
# Pub/Sub: shortening or lengthening the JWT's last part leaves a token that parses, whose
# signature does not verify.
WRONG_LENGTH_AS = {"pubsub": "bad_signature"}
# A header that holds a list of signatures: a repeated header joins into one list (RFC 9110,
# 5.3), so the same valid signature twice is still valid. Everywhere else the joined value is
# not one signature, and is refused.
LIST_HEADERS = {
    "calendly",  # t=...,v1=... as Stripe's
    "gitlab+signing-token",
    "paddle",
    "standard-webhooks",
    "standard-webhooks+v1a",
    "stripe",
    "svix",
}
# Lists that skip an entry they cannot read: a look-alike character leaves no signature at all.
SKIPS_UNREADABLE = {"calendly", "paddle", "stripe"}


def _refused(name: str) -> tuple[int, str, int]:
    return (401, REFUSED_AS.get(name, "bad_signature"), 0)


def _provider(scheme: Scheme, labels: tuple[str, ...] = (CURRENT,), **options: Any) -> Provider:
    return scheme.receiver(list(labels), **options)


def _noop(delivery: object) -> None:
    return None


async def _send(
    scheme: Scheme,
    request: HttpRequest,
    *,
    headers: list[tuple[bytes, bytes]] | None = None,
    labels: tuple[str, ...] = (CURRENT,),
    options: dict[str, Any] | None = None,
) -> tuple[int, str, int]:
    """Post to an endpoint trusting ``labels``: status, reason (``accepted`` for a 2xx whatever
    the provider answers with), and how many deliveries reached the inbox."""
    store = MemoryStore(clock=lambda: NOW)
    receiver = HookReceiver(store=store, settings=Settings(), run_worker=False, clock=lambda: NOW)
    receiver.endpoint("/hook", _provider(scheme, labels, **(options or {}))).on("*")(_noop)
    raw = headers if headers is not None else [(k.encode(), v.encode()) for k, v in request.headers.items()]
    async with asgi_client(receiver, "http://hooks.test") as client:
        response = await client.request(request.method, request.url, content=request.body, headers=raw)
    queued = await store.take("probe", limit=100, wait=0)
    if response.is_success:
        return response.status_code, "accepted", len(queued)
    answer = response.json()
    return response.status_code, answer.get("error") or answer.get("status"), len(queued)


def _signed(name: str, label: str = CURRENT, *, timestamp: float = NOW) -> HttpRequest:
    return signed(SCHEMES[name], label, timestamp=timestamp, url=URL)


def _accepted(name: str, request: HttpRequest, labels: tuple[str, ...] = (CURRENT,)) -> tuple[int, str, int]:
    outcome = receive_all(_provider(SCHEMES[name], labels), request, endpoint="/hook", now=NOW)
    assert isinstance(outcome, tuple)
    return (200, "accepted", len(outcome))


# -- changing the signature where it travels -------------------------------------------------------


def _raw(request: HttpRequest) -> list[tuple[bytes, bytes]]:
    return [(k.encode(), v.encode("utf-8")) for k, v in request.headers.items()]


def _header_changed(
    request: HttpRequest, name: str, change: Callable[[str], str]
) -> list[tuple[bytes, bytes]]:
    return [(k.encode(), (change(v) if k == name else v).encode("utf-8")) for k, v in request.headers.items()]


def _query_pairs(request: HttpRequest) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(request.url).query, keep_blank_values=True)


def _with_pairs(request: HttpRequest, pairs: list[tuple[str, str]]) -> HttpRequest:
    query = urlencode(pairs)
    return replace(request, url=urlsplit(request.url)._replace(query=query).geturl(), query_string=query)


def _field(document: Any, path: tuple[str | int, ...]) -> tuple[Any, str | int]:
    for step in path[:-1]:
        document = document[step]
    return document, path[-1]


def _changed(request: HttpRequest, name: str, change: Callable[[str], str]) -> tuple[HttpRequest, Any]:
    """The request with its signature value changed where it travels, and the raw header list to
    send (``None``: the request's own headers)."""
    kind, where = CARRIERS[name]
    if kind == "header":
        return request, _header_changed(request, where, change)
    if kind == "query":
        pairs = [(k, change(v) if k == where else v) for k, v in _query_pairs(request)]
        return _with_pairs(request, pairs), None
    document = json.loads(request.body)
    parent, key = _field(document, where)
    parent[key] = change(parent[key])
    return replace(request, body=json.dumps(document, separators=(",", ":")).encode()), None


def _value(request: HttpRequest, name: str) -> str:
    kind, where = CARRIERS[name]
    if kind == "header":
        return request.headers[where]
    if kind == "query":
        return dict(_query_pairs(request))[where]
    parent, key = _field(json.loads(request.body), where)
    return str(parent[key])


_DIGEST = re.compile(r"(?:[0-9a-f]{40,}|[A-Za-z0-9+/_-]{20,}={0,2})")


def _mutate_digest(value: str, change: Callable[[str], str]) -> str:
    runs = list(_DIGEST.finditer(value))
    if not runs:  # a plain token
        return change(value)
    match = runs[-1]  # the last digest-looking run: after any t=/ts=/v1, prefix
    return value[: match.start()] + change(match.group()) + value[match.end() :]


def _lookalike(char: str) -> str:
    """A character that looks like ``char``: Cyrillic а/е/о/с or the fullwidth form."""
    return {"a": "\u0430", "e": "\u0435", "o": "\u043e", "c": "\u0441"}.get(char, chr(ord(char) + 0xFEE0))


def test_every_scheme_has_a_carrier_and_the_field_list_names_only_body_carriers() -> None:
    unknown = [name for name, (kind, _) in CARRIERS.items() if kind == "unknown"]
    assert not unknown, f"say where the signature travels: schemes.SIGNATURE_HEADERS or FIELDS: {unknown}"
    assert {n for n in NAMES if CARRIERS[n][0] == "field"} == set(FIELDS)
    for name in NAMES:  # the carrier holds the signature in the request as signed
        assert _value(_signed(name), name)


@pytest.mark.parametrize("name", NAMES)
async def test_the_unaltered_request_is_accepted(name: str) -> None:
    request = _signed(name)
    assert await _send(SCHEMES[name], request) == _accepted(name, request)


@pytest.mark.parametrize("name", HEADER_SCHEMES)
async def test_a_repeated_signature_header_is_one_joined_value(name: str) -> None:
    request = _signed(name)
    header = CARRIERS[name][1]
    twice = _raw(request) + [(header.encode(), request.headers[header].encode())]
    expected = _accepted(name, request) if name in LIST_HEADERS else _refused(name)
    assert await _send(SCHEMES[name], request, headers=twice) == expected


@pytest.mark.parametrize("name", HEADER_SCHEMES)
async def test_a_valid_signature_header_beside_a_forged_one_does_not_cover_a_changed_body(name: str) -> None:
    request = _signed(name)
    header = CARRIERS[name][1]
    forged = _signed(name, OTHER)
    both = _raw(request) + [(header.encode(), forged.headers[header].encode())]
    changed = replace(request, body=request.body.replace(b"}", b',"injected":1}', 1) or b"x")
    # Refused whatever the header holds: one joined value that is no signature (or token), or a
    # list of which neither entry covers the changed body.
    assert await _send(SCHEMES[name], changed, headers=both) == _refused(name)


@pytest.mark.parametrize("name", QUERY_SCHEMES)
async def test_a_repeated_signature_parameter_keeps_its_last_value_for_every_check(name: str) -> None:
    request = _signed(name)
    where = CARRIERS[name][1]
    pairs = _query_pairs(request)
    real = dict(pairs)[where]
    forged = _value(_signed(name, OTHER), name)
    same_twice = _with_pairs(request, [*pairs, (where, real)])
    assert await _send(SCHEMES[name], same_twice) == _accepted(name, request)
    forged_last = _with_pairs(request, [*pairs, (where, forged)])
    assert await _send(SCHEMES[name], forged_last) == _refused(name)


FIELD_SCHEMES = [n for n in NAMES if CARRIERS[n][0] == "field"]


def _repeated_key(request: HttpRequest, name: str, copy: HttpRequest, *, first: bool) -> HttpRequest:
    """The body with the top-level key holding the signature written twice: ``copy``'s value
    before (``first``) or after the request's own."""
    top = str(FIELDS[name][0])
    other = json.dumps({top: json.loads(copy.body)[top]}, separators=(",", ":"))[1:-1].encode()
    body = request.body.strip()
    assert body.startswith(b"{") and body.endswith(b"}")
    joined = b"{" + other + b"," + body[1:] if first else body[:-1] + b"," + other + b"}"
    return replace(request, body=joined)


@pytest.mark.parametrize("name", FIELD_SCHEMES)
async def test_a_repeated_signature_field_is_read_as_its_last_value_by_every_check(name: str) -> None:
    """A JSON key given twice decodes to its last value, for the signature check and for the
    payload alike: a forged copy first changes nothing, a forged copy last is what is checked."""
    request, forged = _signed(name), _signed(name, OTHER)
    assert await _send(SCHEMES[name], _repeated_key(request, name, forged, first=True)) == _accepted(
        name, request
    )
    assert await _send(SCHEMES[name], _repeated_key(request, name, forged, first=False)) == _refused(name)


@pytest.mark.parametrize("name", [n for n in QUERY_SCHEMES if SCHEMES[n].window is not None])
async def test_a_fresh_timestamp_appended_to_a_stale_query_does_not_revive_it(name: str) -> None:
    window = SCHEMES[name].window
    assert window is not None
    options: dict[str, Any] = {"tolerance": window.past} if window.default_off else {}
    stale = _signed(name, timestamp=NOW - window.past - 60)
    fresh = str(int(NOW * 1000)) if name == "dingtalk" else str(int(NOW))  # DingTalk counts ms
    revived = _with_pairs(stale, [*_query_pairs(stale), ("timestamp", fresh)])
    assert await _send(SCHEMES[name], revived, options=options) == _refused(name)
    assert await _send(SCHEMES[name], stale, options=options) == (401, window.reason, 0)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("where", ["first", "last"])
async def test_a_unicode_lookalike_in_the_signature_is_refused(name: str, where: str) -> None:
    request = _signed(name)

    def swap(digest: str) -> str:
        index = 0 if where == "first" else len(digest) - 1
        return digest[:index] + _lookalike(digest[index]) + digest[index + 1 :]

    changed, headers = _changed(request, name, lambda v: _mutate_digest(v, swap))
    expected = (401, "missing_signature", 0) if name in SKIPS_UNREADABLE else _refused(name)
    assert await _send(SCHEMES[name], changed, headers=headers) == expected


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "change",
    [lambda d: d[: len(d) // 2], lambda d: d[:-2], lambda d: d + d[:2], lambda d: d * 2, lambda d: ""],
    ids=["half", "two-short", "two-long", "doubled", "empty"],
)
async def test_a_signature_of_the_wrong_length_is_refused(name: str, change: Callable[[str], str]) -> None:
    request = _signed(name)
    changed, headers = _changed(request, name, lambda v: _mutate_digest(v, change))
    status, reason, queued = await _send(SCHEMES[name], changed, headers=headers)
    assert (status, queued) == (401, 0)
    # A value left empty (or only its scheme word) counts as missing; anything else is a bad
    # signature (or token).
    left = _mutate_digest(_value(request, name), change).strip().lower()
    emptied = left in ("", "basic", "bearer")
    assert reason == ("missing_signature" if emptied else WRONG_LENGTH_AS.get(name, _refused(name)[1]))


# -- keys and time -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [n for n in NAMES if SCHEMES[n].rotates])
async def test_a_request_signed_with_a_retired_key_is_refused(name: str) -> None:
    old = _signed(name, RETIRED)
    assert await _send(SCHEMES[name], old) == _refused(name)
    # ... and accepted while the old key is still listed (rotation), as the second one
    both = (CURRENT, RETIRED)
    assert await _send(SCHEMES[name], old, labels=both) == _accepted(name, old, both)


@pytest.mark.parametrize("name", [n for n in NAMES if SCHEMES[n].window is not None])
async def test_a_replay_outside_the_window_is_stale(name: str) -> None:
    window = SCHEMES[name].window
    assert window is not None
    options: dict[str, Any] = {"tolerance": window.past} if window.default_off else {}
    stale = _signed(name, timestamp=NOW - window.past - 1)
    assert await _send(SCHEMES[name], stale, options=options) == (401, window.reason, 0)


async def test_a_fresh_timestamp_added_to_a_stale_stripe_header_does_not_revive_it() -> None:
    stripe = SCHEMES["stripe"]
    stale = _signed("stripe", timestamp=NOW - 3600)
    revived = _header_changed(stale, "stripe-signature", lambda v: f"t={int(NOW)}," + v)
    assert await _send(stripe, stale, headers=revived) == (401, "stale_timestamp", 0)
    appended = _raw(stale) + [(b"stripe-signature", f"t={int(NOW)}".encode())]
    assert await _send(stripe, stale, headers=appended) == (401, "bad_signature", 0)
