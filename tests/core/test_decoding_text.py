"""Decoders and text: only valid Unicode comes out, and XML honours the content type's charset.

A mirror of ``hookreceiver/core/decoding.py`` beside ``test_decoding.py``: this module covers what
happens between bytes and text (lone surrogates, charsets, XML declarations and byte order marks).
"""

from __future__ import annotations

import codecs
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hookreceiver.core.decoding import decode_body, decode_form, decode_json, decode_query, decode_xml
from hookreceiver.exceptions import DeliveryError, PayloadError


def assert_valid_text(value: Any) -> None:
    """The value can be written out as UTF-8 JSON: no lone surrogate anywhere in it."""
    json.dumps(value, ensure_ascii=False).encode("utf-8")


# -- lone surrogates never come out of a decoder --------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"type":"\\ud800"}',
        b'{"type":"order.\\uDFFF"}',
        b'{"\\udc00":1}',
        b'["ok","\\uDBFF"]',
        b'{"a":{"b":["x","\\ud83d"]}}',
        b'"\\ude00\\ud83d"',  # a pair in the wrong order is two lone halves
    ],
)
def test_json_lone_surrogate_escapes_are_refused(body: bytes) -> None:
    with pytest.raises(PayloadError, match="surrogate") as info:
        decode_json(body)
    assert info.value.status_hint == 400 and info.value.reason == "undecodable_payload"


@pytest.mark.parametrize(
    ("body", "value"),
    [
        (b'"\\ud83d\\ude00"', "\U0001f600"),
        (b'{"k":"\\uD834\\uDD1E"}', {"k": "\U0001d11e"}),
        (b'"\\\\ud800"', "\\ud800"),
    ],  # an escaped backslash: the text `\ud800`, not a surrogate
)
def test_json_surrogate_pairs_and_escaped_backslashes_are_fine(body: bytes, value: Any) -> None:
    assert decode_json(body) == value


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"type":"+2AA-"}', "application/json; charset=utf-7"),  # UTF-7 can spell a lone surrogate
        (b'{"type":"\\\\ud800"}', "application/json; charset=unicode_escape"),
        (b"a=%2B2AA-", "application/x-www-form-urlencoded; charset=utf-7"),
        (b"+2AA-=1", "application/x-www-form-urlencoded; charset=utf-7"),
        (b"payload=%5B%22%5Cud800%22%5D", "application/x-www-form-urlencoded"),
        (b"payload=%2B2AA-", "application/x-www-form-urlencoded; charset=utf-7"),
        (b"<r><a>&#xD800;</a></r>", "text/xml"),
        (b"<r><a>+2AA-</a></r>", "text/xml; charset=utf-7"),
    ],
)
def test_no_decoder_path_lets_a_surrogate_through(body: bytes, content_type: str) -> None:
    with pytest.raises(DeliveryError):  # 400, or 415 for a charset that can spell a surrogate
        decode_body(body, content_type)


def test_query_strings_decode_to_valid_text() -> None:
    value = decode_query("a=%ED%A0%80&%ED%B0%80=b&c=%ff")  # UTF-8 bytes of lone surrogates, and junk
    assert_valid_text(value)
    assert set(value) == {"a", "\ufffd\ufffd\ufffd", "c"}


def test_form_values_are_valid_text() -> None:
    with pytest.raises(PayloadError):
        decode_form(b"a=%ED%A0%80")  # strict UTF-8: the bytes of a surrogate are not text


# -- XML: the content type's charset, the declaration and the byte order mark ---------------

LATIN1_DOC = "<r><n>café</n></r>"
CHINESE_DOC = "<xml><Content>中文消息</Content></xml>"
GBK_DECLARATION = '<?xml version="1.0" encoding="GBK"?>'


@pytest.mark.parametrize(
    ("body", "content_type", "value"),
    [
        # No declaration: the charset parameter says how to read the bytes.
        (LATIN1_DOC.encode("latin-1"), "text/xml; charset=iso-8859-1", {"n": "café"}),
        (LATIN1_DOC.encode("latin-1"), "application/xml; charset=Latin-1", {"n": "café"}),
        (CHINESE_DOC.encode("gbk"), "text/xml; charset=GBK", {"Content": "中文消息"}),
        (CHINESE_DOC.encode("gb18030"), 'text/xml; charset="gb18030"', {"Content": "中文消息"}),
        # A declaration expat cannot read by itself (GBK), with or without the charset parameter.
        ((GBK_DECLARATION + CHINESE_DOC).encode("gbk"), "text/xml", {"Content": "中文消息"}),
        ((GBK_DECLARATION + CHINESE_DOC).encode("gbk"), "text/xml; charset=GBK", {"Content": "中文消息"}),
        (
            "<?xml version='1.0' encoding='shift_jis' standalone='yes'?><r><n>日本</n></r>".encode(
                "shift_jis"
            ),
            "text/xml",
            {"n": "日本"},
        ),
        # A declaration of its own wins over the parameter.
        (
            '<?xml version="1.0" encoding="windows-1252"?><r><n>€</n></r>'.encode("cp1252"),
            "text/xml; charset=utf-8",
            {"n": "€"},
        ),
        # A byte order mark wins over both (expat reads UTF-16 by its BOM).
        ('<?xml version="1.0" encoding="UTF-16"?><r><n>中</n></r>'.encode("utf-16"), "text/xml", {"n": "中"}),
        ("<r><n>中</n></r>".encode("utf-16"), "text/xml", {"n": "中"}),
        (codecs.BOM_UTF8 + "<r><n>é</n></r>".encode(), "text/xml; charset=iso-8859-1", {"n": "é"}),
        # Plain UTF-8, with and without a declaration that says so.
        ('<?xml version="1.0" encoding="utf-8"?><r><n>é</n></r>'.encode(), "text/xml", {"n": "é"}),
        ("<r><n>é</n></r>".encode(), "text/xml; charset=utf-8", {"n": "é"}),
    ],
)
def test_xml_charset_sources(body: bytes, content_type: str, value: dict[str, Any]) -> None:
    assert decode_body(body, content_type) == value


@pytest.mark.parametrize(
    ("body", "charset", "reason"),
    [
        (b"<r>\xff\xfe\xfd</r>", "gbk", "bad_charset"),  # not GBK
        ((GBK_DECLARATION + "<r>\xff</r>").encode("latin-1") + b"\x81", None, "bad_charset"),
        (b"<r><a>1</a>", "gbk", "undecodable_payload"),  # decodes, but is not XML
    ],
)
def test_xml_charset_failures(body: bytes, charset: str | None, reason: str) -> None:
    with pytest.raises(PayloadError) as info:
        decode_xml(body, charset)
    assert info.value.reason == reason


@pytest.mark.parametrize(
    "doc",
    [
        '<!DOCTYPE r [<!ENTITY e "value">]><r><a>&e;</a></r>',
        '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
        "<!DOCTYPE r><r><a>1</a></r>",
    ],
)
@pytest.mark.parametrize("declared", [True, False])
def test_re_encoded_documents_are_still_defused(doc: str, declared: bool) -> None:
    body = ((GBK_DECLARATION if declared else "") + doc).encode("gbk")
    with pytest.raises(PayloadError):
        decode_xml(body, None if declared else "gbk")


@given(
    st.lists(
        st.sampled_from(["a", "u", "d", "8", "\\", '"', "\ud800", "\udfff", "\U0001f600"]), max_size=12
    ).map("".join)
)
def test_json_with_escapes_is_refused_exactly_when_it_spells_a_lone_surrogate(text: str) -> None:
    body = json.dumps({"s": text}).encode()  # ensure_ascii: every non-ASCII char is a \u escape
    parsed = json.loads(body)["s"]  # the stdlib joins an escaped high+low pair into one character
    lone = any("\ud800" <= char <= "\udfff" for char in parsed)
    if lone:
        with pytest.raises(PayloadError):
            decode_json(body)
    else:
        assert decode_json(body) == {"s": parsed}
