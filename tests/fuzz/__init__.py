"""Fuzz targets (hypothesis) for the decoders and every provider's verify and receive.

``python3 -m tests.fuzz --examples N`` runs each target for N examples (``--target`` picks some)
and prints a line per target; tests/hostile/test_fuzz.py runs every target briefly in the suite.

What each target holds to, whatever the input:

- ``decoders``: ``decode_body`` (any content type, any bytes) and ``decode_query`` return plain
  values that encode as UTF-8 JSON, or raise a ``DeliveryError``; nothing else escapes.
- ``verify:NAME``, one per entry of the provider scheme table (tests/providers/schemes.py: every
  provider class, and the second scheme of those with two), so a new provider gets a target
  without anyone listing it: a request the provider itself signed, then changed at random (body
  bytes, header values, headers dropped or repeated, query, method, URL), goes through
  ``receive_all``: it returns or raises a ``DeliveryError``, nothing else; a changed body is never
  accepted by a scheme whose signature covers the body, and where the signature covers an
  encrypted message instead (WeCom, DingTalk, WeChat safe mode), an accepted request always
  carries the original message.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hookreceiver.core.decoding import decode_body, decode_query
from hookreceiver.core.delivery import HttpRequest
from hookreceiver.exceptions import DeliveryError
from hookreceiver.providers import receive_all
from tests.providers.schemes import CURRENT, SCHEMES, signed

__all__ = ["TARGETS", "Tally", "run"]

NOW = 1_700_000_000.0


@dataclass
class Tally:
    """What one target saw: examples run, and how they ended (accepted or the refusal reason)."""

    examples: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def note(self, outcome: str) -> None:
        self.examples += 1
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/json; charset=utf-7",
        "application/json; charset=utf-16",
        "application/json; charset=unicode_escape",
        "application/json; charset=idna",
        "application/json; charset=nope",
        "text/json",
        "application/vnd.api+json",
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=latin-1",
        "application/x-www-form-urlencoded; charset=raw_unicode_escape",
        "text/xml",
        "application/xml; charset=gbk",
        "application/atom+xml",
        "text/plain",
        "",
    ]
) | st.text(max_size=40)

_XML_PARTS = [
    b"<?xml version='1.0' encoding='GBK'?>",
    b'<?xml version="1.0" encoding="utf-16"?>',
    b"<!DOCTYPE r [<!ENTITY a 'x'>]>",
    b"<r>",
    b"</r>",
    b"<a>",
    b"</a>",
    b"&a;",
    b"&#0;",
    b"&#xD800;",
    b"<![CDATA[x]]>",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"text",
]
_JSON_PARTS = [
    b"{",
    b"}",
    b"[",
    b"]",
    b'"',
    b":",
    b",",
    b"\\ud800",
    b"\\u0000",
    b"1e999",
    b"NaN",
    b"-0",
    b"9" * 50,
]
_FORM_PARTS = [b"a=1", b"&", b"=", b"%", b"%ff", b"%ed%a0%80", b"+", b"payload=", b"%7B%7D", b";"]
BODIES = (
    st.binary(max_size=600)
    | st.lists(st.sampled_from(_XML_PARTS), max_size=20).map(b"".join)
    | st.lists(st.sampled_from(_JSON_PARTS), max_size=30).map(b"".join)
    | st.lists(st.sampled_from(_FORM_PARTS), max_size=30).map(b"".join)
)


def _plain(value: Any) -> None:
    """A decoded value is plain data that writes out as UTF-8 JSON (no lone surrogates)."""
    json.dumps(value, ensure_ascii=False).encode("utf-8")


def fuzz_decoders(examples: int, tally: Tally) -> None:
    @_settings(examples)
    @given(body=BODIES, content_type=CONTENT_TYPES, query=st.text(max_size=80))
    def target(body: bytes, content_type: str, query: str) -> None:
        try:
            _plain(decode_query(query))
        except DeliveryError:
            pass
        try:
            _plain(decode_body(body, content_type))
            tally.note("decoded")
        except DeliveryError as exc:
            tally.note(exc.reason)

    target()


@st.composite
def _mutations(draw: st.DrawFn, original: HttpRequest) -> tuple[HttpRequest, bool]:
    """A changed copy of ``original``, and whether its body differs."""
    body = original.body
    choice = draw(st.sampled_from(["flip", "replace", "truncate", "append", "keep"]))
    if choice == "flip" and body:
        at = draw(st.integers(0, len(body) - 1))
        body = body[:at] + bytes([body[at] ^ draw(st.integers(1, 255))]) + body[at + 1 :]
    elif choice == "replace":
        body = draw(BODIES)
    elif choice == "truncate" and body:
        body = body[: draw(st.integers(0, len(body) - 1))]
    elif choice == "append":
        body = body + draw(st.binary(min_size=1, max_size=20))
    headers = dict(original.headers)
    for name in draw(st.lists(st.sampled_from(sorted(headers)), max_size=3, unique=True)) if headers else []:
        action = draw(st.sampled_from(["drop", "garble", "repeat", "empty"]))
        if action == "drop":
            del headers[name]
        elif action == "garble":
            headers[name] = draw(st.binary(max_size=90)).decode("latin-1")
        elif action == "repeat":
            headers[name] = headers[name] + ", " + headers[name]
        else:
            headers[name] = ""
    method, url = original.method, original.url
    if draw(st.integers(0, 9)) == 0:
        method = draw(st.sampled_from(["GET", "POST", "PUT"]))
    if draw(st.integers(0, 4)) == 0:
        url = original.url.split("?")[0] + "?" + draw(st.text(max_size=60))
    changed = replace(original, body=body, headers=headers, method=method, url=url)
    return changed, body != original.body


def fuzz_provider(name: str) -> Callable[[int, Tally], None]:
    scheme = SCHEMES[name]

    def run_target(examples: int, tally: Tally) -> None:
        provider = scheme.receiver([CURRENT])
        original = signed(scheme, timestamp=NOW)
        accepted = receive_all(provider, _reparsed(original), endpoint="/in", now=NOW)
        assert isinstance(accepted, tuple)  # the unchanged request passes
        payloads = [delivery.payload for delivery in accepted]

        @_settings(examples)
        @given(mutation=_mutations(original))
        def target(mutation: tuple[HttpRequest, bool]) -> None:
            request, body_changed = mutation
            request = _reparsed(request)
            try:
                outcome = receive_all(provider, request, endpoint="/in", now=NOW)
            except DeliveryError as exc:
                tally.note(exc.reason)
                return
            tally.note("accepted")
            assert not (body_changed and scheme.covers_body), "a changed body was accepted"
            if scheme.sealed and isinstance(outcome, tuple):
                assert [d.payload for d in outcome] == payloads, "an altered message was accepted"

        target()

    return run_target


def _reparsed(request: HttpRequest) -> HttpRequest:
    """The request as the ASGI layer builds it: the query string split off the URL."""
    _, _, query = request.url.partition("?")
    return replace(request, query_string=query)


TARGETS: dict[str, Callable[[int, Tally], None]] = {
    "decoders": fuzz_decoders,
    **{f"verify:{name}": fuzz_provider(name) for name in sorted(SCHEMES)},
}


def run(examples: int, names: list[str] | None = None, *, out: Callable[[str], None] = print) -> bool:
    """Run the targets (all, or ``names``) for ``examples`` each, a line for each and a total;
    True when none failed."""
    ok = True
    chosen = names or list(TARGETS)
    total = failed = 0
    for name in chosen:
        tally = Tally()
        started = time.perf_counter()
        try:
            TARGETS[name](examples, tally)
            verdict = "ok"
        except Exception as exc:  # hypothesis re-raises the shrunk failure; report it and go on
            verdict = f"FAILED: {type(exc).__name__}: {str(exc)[:300]}"
            ok = False
        seconds = time.perf_counter() - started
        common = ", ".join(f"{k}={v}" for k, v in sorted(tally.outcomes.items(), key=lambda kv: -kv[1])[:6])
        out(f"{name}: {verdict} ({tally.examples} calls in {seconds:.1f} s; {common})")
        total += tally.examples
        failed += verdict != "ok"
    providers = sum(name.startswith("verify:") for name in chosen)
    out(f"{len(chosen)} targets ({providers} provider schemes), {total} calls, {failed} failed")
    return ok
