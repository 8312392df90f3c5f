"""decode_json reads most bodies with orjson: it must say exactly what the json reading says.

The reference is ``_stdlib_json`` (json with our refusals), which decode_json also falls back to
for anything orjson refuses or could read differently. Values are compared by ``repr``, so an
integer read as a float (``1`` vs ``1.0``) or a key order that differs fails the test.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hookreceiver.core import decoding
from hookreceiver.core.decoding import decode_json
from hookreceiver.exceptions import PayloadError

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(codec="utf-8"), max_size=12)
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=25,
)
JSON_ALPHABET = ' \t\n\r{}[]:,"\\/-+.0123456789eEtrufalsnNIiyabcd\u00e9\U0001f600'


def verdict(read: Any, body: bytes) -> str:
    try:
        return "value " + repr(read(body))
    except PayloadError as exc:
        return f"refused {exc.reason}: {exc}"


def reference(body: bytes) -> Any:
    text = body.decode("utf-8")
    if not text or text.isspace():
        raise PayloadError("body is empty; JSON expected")
    return decoding._stdlib_json(text)


@settings(max_examples=300)
@given(values, st.booleans())
def test_any_json_value_is_read_as_json_reads_it(value: Any, ascii_only: bool) -> None:
    body = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8")
    assert verdict(decode_json, body) == verdict(reference, body)


@settings(max_examples=500)
@given(st.text(st.sampled_from(JSON_ALPHABET), min_size=1, max_size=40))
def test_any_text_gets_the_same_value_or_the_same_refusal(text: str) -> None:
    body = text.encode("utf-8")
    assert verdict(decode_json, body) == verdict(reference, body)


@pytest.mark.parametrize(
    "body",
    [
        b"[123456789012345678901234567890]",  # orjson: a float
        b"[-9223372036854775809]",  # past int64: orjson gives a float
        b"[18446744073709551615]",
        b'{"a":1e999}',
        b"[NaN]",
        b"[-Infinity]",
        b'{"a":"\\ud800"}',  # a lone surrogate escape: json reads it, our walk refuses it
        b'{"a":"\\ud83d\\ude00"}',
        b'{"a":1,"b":2,"a":3}',
        b"[" * 70 + b"]" * 70,
        b"[1.0000000000000002, -0.0, 1e-400, 2.5e-308]",
    ],
)
def test_edge_cases_read_the_same(body: bytes) -> None:
    assert verdict(decode_json, body) == verdict(reference, body)


@pytest.mark.parametrize("levels", [65, 2000, 1_000_000])
@pytest.mark.parametrize(("opening", "closing"), [(b"[", b"]"), (b'{"a":', b"}")])
def test_too_deep_never_reaches_orjson(levels: int, opening: bytes, closing: bytes) -> None:
    """orjson 3.8 recurses without a limit: a million levels crashed the whole process (SIGSEGV),
    so texts past the limit are refused on the json path, as before."""
    body = opening * levels + b"1" + closing * levels
    assert decoding._orjson_value(body, body.decode()) is decoding._NOT_READ
    assert verdict(decode_json, body) == verdict(reference, body)
    assert verdict(decode_json, body).startswith("refused undecodable_payload")


def test_orjson_reads_typical_bodies_and_json_the_rest() -> None:
    """The fast path is taken (else this whole module would test nothing new)."""

    def read(text: str) -> Any:
        return decoding._orjson_value(text.encode(), text)

    assert read('{"a": [1, 2.5, "x"]}') == {"a": [1, 2.5, "x"]}
    assert read('{"a": 123456789012345678}') == {"a": 123456789012345678}  # 18 digits fit
    assert read("[1234567890123456789]") is decoding._NOT_READ
    assert read('["x1234567890123456789"]') is decoding._NOT_READ  # a string too: json reads it
    assert read("[NaN]") is decoding._NOT_READ


@pytest.mark.parametrize("charset", ["latin-1", "shift_jis", "gbk"])
def test_other_charsets_read_the_same(charset: str) -> None:
    body = json.dumps({"n": 12345678901234567890123, "s": "éア"}, ensure_ascii=False)
    raw = body.encode(charset, errors="ignore")
    assert repr(decode_json(raw, charset)) == repr(decoding._stdlib_json(raw.decode(charset)))
