"""Decoders: JSON, form, XML (defusedxml), query strings and content types, on raw bytes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hookreceiver.core.decoding import (
    MAX_FORM_FIELDS,
    MAX_JSON_DEPTH,
    MAX_XML_DEPTH,
    MAX_XML_ELEMENTS,
    Format,
    decode_body,
    decode_form,
    decode_json,
    decode_query,
    decode_xml,
    media_format,
    parse_content_type,
)
from hookreceiver.exceptions import DeliveryError, PayloadError, UnsupportedContentType

# -- content types -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "media", "params"),
    [
        ("application/json", "application/json", {}),
        ("application/json; charset=utf-8", "application/json", {"charset": "utf-8"}),
        ('Text/XML ; Charset="GBK" ; boundary=x', "text/xml", {"charset": "GBK", "boundary": "x"}),
        ("", "", {}),
        ("application/json;;", "application/json", {}),
    ],
)
def test_parse_content_type(value: str, media: str, params: dict[str, str]) -> None:
    assert parse_content_type(value) == (media, params)


@pytest.mark.parametrize(
    ("media", "fmt"),
    [
        ("application/json", "json"),
        ("text/json", "json"),
        ("application/vnd.github+json", "json"),
        ("application/cloudevents+json", "json"),
        ("application/x-www-form-urlencoded", "form"),
        ("application/xml", "xml"),
        ("text/xml", "xml"),
        ("application/atom+xml", "xml"),
        ("text/plain", None),
        ("multipart/form-data", None),
        ("application/octet-stream", None),
        ("", None),
        ("application/jsonx", None),
    ],
)
def test_media_format(media: str, fmt: Format | None) -> None:
    assert media_format(media) == fmt


@pytest.mark.parametrize("content_type", ["text/plain", "", "multipart/form-data; boundary=x", "image/png"])
def test_decode_body_unsupported_type(content_type: str) -> None:
    with pytest.raises(UnsupportedContentType) as info:
        decode_body(b"{}", content_type)
    assert info.value.status_hint == 415
    assert info.value.reason == "unsupported_content_type"


def test_decode_body_accept_limits_formats() -> None:
    assert decode_body(b"a=1", "application/x-www-form-urlencoded", accept=frozenset({"form"})) == {"a": "1"}
    with pytest.raises(UnsupportedContentType):
        decode_body(b"{}", "application/json", accept=frozenset({"xml"}))


@pytest.mark.parametrize(
    ("body", "content_type", "value"),
    [
        (b'{"a":1}', "application/json", {"a": 1}),
        (b'{"a":1}', "application/vnd.api+json", {"a": 1}),
        ('{"n":"é"}'.encode("latin-1"), "application/json; charset=ISO-8859-1", {"n": "é"}),
        ('{"n":"中"}'.encode("gbk"), "application/json; charset=gbk", {"n": "中"}),
        (b"a=1&a=2&b=", "application/x-www-form-urlencoded", {"a": ["1", "2"], "b": ""}),
        (b"n=%D6%D0", "application/x-www-form-urlencoded; charset=gbk", {"n": "中"}),
        (b"<r><a>1</a></r>", "application/xml", {"a": "1"}),
        (b"<r><a>1</a></r>", "application/soap+xml", {"a": "1"}),
    ],
)
def test_decode_body_dispatches_by_type_and_charset(body: bytes, content_type: str, value: Any) -> None:
    assert decode_body(body, content_type) == value


# -- JSON ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "value"),
    [
        (b'{"type":"x","n":[1,2.5,null,true]}', {"type": "x", "n": [1, 2.5, None, True]}),
        (b"[1]", [1]),
        (b'"text"', "text"),
        (b' \r\n{"a":{}}\r\n', {"a": {}}),
        ('{"ü":"\\u00fc"}'.encode(), {"ü": "ü"}),
    ],
)
def test_decode_json(body: bytes, value: Any) -> None:
    assert decode_json(body) == value


@pytest.mark.parametrize(
    ("body", "charset", "reason"),
    [
        (b"", "utf-8", "undecodable_payload"),
        (b"  \n", "utf-8", "undecodable_payload"),
        (b'{"a":', "utf-8", "undecodable_payload"),
        (b"{'a': 1}", "utf-8", "undecodable_payload"),
        (b'{"a":"\xff"}', "utf-8", "bad_charset"),
        (b"\xc3\x28", "utf-8", "bad_charset"),
        (b"1" * 5000, "utf-8", "undecodable_payload"),  # integer longer than Python allows
        (b"[" * 200_000 + b"]" * 200_000, "utf-8", "undecodable_payload"),  # recursion limit
    ],
)
def test_decode_json_failures(body: bytes, charset: str, reason: str) -> None:
    with pytest.raises(PayloadError) as info:
        decode_json(body, charset)
    assert info.value.reason == reason
    assert info.value.status_hint == 400


def nested(depth: int) -> bytes:
    """A JSON value ``depth`` levels deep, alternating lists and objects."""
    value: Any = 0
    for level in range(depth - 1):
        value = [value] if level % 2 else {"k": value}
    return json.dumps(value).encode()


def test_json_depth_limit() -> None:
    assert decode_json(nested(MAX_JSON_DEPTH)) is not None
    with pytest.raises(PayloadError, match="deeper"):
        decode_json(nested(MAX_JSON_DEPTH + 1))


# -- form ----------------------------------------------------------------------------------

# GitHub's form-encoded variant of its sample (PROVIDERS.md, known-answer vectors).
GITHUB_FORM = (
    b"payload=%7B%22action%22%3A%22opened%22%2C%22number%22%3A1%2C%22repository%22%3A"
    b"%7B%22full_name%22%3A%22octo%2Frepo%22%7D%7D"
)


@pytest.mark.parametrize(
    ("body", "value"),
    [
        (b"a=1", {"a": "1"}),
        (b"a=1&b=two+words&c=%26%3D", {"a": "1", "b": "two words", "c": "&="}),
        (b"a=1&a=2&a=3", {"a": ["1", "2", "3"]}),
        (b"a=&b", {"a": "", "b": ""}),
        (b"", {}),
        (GITHUB_FORM, {"action": "opened", "number": 1, "repository": {"full_name": "octo/repo"}}),
        (b"payload=%5B1%2C2%5D", [1, 2]),
        # Only a lone `payload` field is unwrapped.
        (b"payload=%7B%7D&x=1", {"payload": "{}", "x": "1"}),
        (b"payload=%7B%7D&payload=%7B%7D", {"payload": ["{}", "{}"]}),
        # A lone `payload` that is not JSON stays a plain form field.
        (b"payload=hello+world", {"payload": "hello world"}),
    ],
)
def test_decode_form(body: bytes, value: Any) -> None:
    assert decode_form(body) == value


def test_decode_form_without_unwrapping() -> None:
    assert decode_form(GITHUB_FORM, unwrap_payload=False) == {
        "payload": '{"action":"opened","number":1,"repository":{"full_name":"octo/repo"}}'
    }


@pytest.mark.parametrize(
    ("body", "charset"),
    [
        (b"a=%ff", "utf-8"),
        (b"a=\xff", "utf-8"),
        (b"a=1&" * MAX_FORM_FIELDS + b"z=1", "utf-8"),
        (b"payload=%7Bbroken", "utf-8"),  # claims to be a JSON object but is not
    ],
)
def test_decode_form_failures(body: bytes, charset: str) -> None:
    with pytest.raises(PayloadError):
        decode_form(body, charset)


# -- XML -----------------------------------------------------------------------------------

WECHAT_TEXT = (
    b"<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oUser123]]>"
    b"</FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
    b"<Content><![CDATA[hello]]></Content><MsgId>23456789012345678</MsgId></xml>"
)


@pytest.mark.parametrize(
    ("body", "value"),
    [
        (
            WECHAT_TEXT,
            {
                "ToUserName": "gh_0123456789ab",
                "FromUserName": "oUser123",
                "CreateTime": "1700000000",
                "MsgType": "text",
                "Content": "hello",
                "MsgId": "23456789012345678",
            },
        ),
        (
            b"<xml><Item><A>1</A></Item><Item><A>2</A></Item><Item><A>3</A></Item></xml>",
            {"Item": [{"A": "1"}, {"A": "2"}, {"A": "3"}]},
        ),
        (b"<r><a>1</a><a>2</a><b/></r>", {"a": ["1", "2"], "b": ""}),
        (b'<r x="attr"><a k="v">1</a></r>', {"a": "1"}),
        (b"<r>\n  <a>\n    <b>deep</b>\n  </a>\n</r>\n", {"a": {"b": "deep"}}),
        (b"<a>only text</a>", {"a": "only text"}),
        (b"<r><c><![CDATA[<not>a tag</not> & more]]></c></r>", {"c": "<not>a tag</not> & more"}),
        # The XML declaration names the encoding (expat knows single-byte codecs and UTF-8/16).
        ('<?xml version="1.0" encoding="windows-1252"?><r><n>€</n></r>'.encode("cp1252"), {"n": "€"}),
        ('<?xml version="1.0" encoding="UTF-16"?><r><n>中</n></r>'.encode("utf-16"), {"n": "中"}),
        (b"<r><a>&amp;&lt;&#20013;</a></r>", {"a": "&<中"}),  # predefined and numeric refs are fine
    ],
)
def test_decode_xml(body: bytes, value: dict[str, Any]) -> None:
    assert decode_xml(body) == value


XML_ATTACKS = {
    "billion_laughs": (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        b"<lolz>&lol3;</lolz>"
    ),
    "external_entity": (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r>&xxe;</r>'
    ),
    "internal_entity": b'<!DOCTYPE r [<!ENTITY e "value">]><r><a>&e;</a></r>',
    "external_dtd": b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://127.0.0.1/evil.dtd"><r/>',
    "parameter_entity": (b'<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1/x"> %p;]><r/>'),
    "bare_doctype": b"<!DOCTYPE r><r><a>1</a></r>",
    "undefined_entity": b"<r><a>&nope;</a></r>",
    "not_xml": b"{json: true}",
    "unclosed": b"<r><a>1</a>",
    "empty": b"",
    "blank": b"  \n",
    "two_roots": b"<a/><b/>",
}


@pytest.mark.parametrize("body", XML_ATTACKS.values(), ids=XML_ATTACKS.keys())
def test_decode_xml_refuses(body: bytes) -> None:
    with pytest.raises(PayloadError) as info:
        decode_xml(body)
    assert info.value.status_hint == 400


def test_xml_element_limit() -> None:
    # The root counts as one element: MAX_XML_ELEMENTS - 1 children fit, one more does not.
    def doc(children: int) -> bytes:
        return b"<xml>" + b"<a>1</a>" * children + b"</xml>"

    assert decode_xml(doc(MAX_XML_ELEMENTS - 1)) == {"a": ["1"] * (MAX_XML_ELEMENTS - 1)}
    with pytest.raises(PayloadError, match="more than") as info:
        decode_xml(doc(MAX_XML_ELEMENTS))
    assert info.value.status_hint == 400


def test_xml_element_limit_counts_nested_elements() -> None:
    inner = b"<b><c/><c/></b>" * (MAX_XML_ELEMENTS // 3 + 1)  # three elements each
    with pytest.raises(PayloadError, match="more than"):
        decode_xml(b"<xml>" + inner + b"</xml>")


def test_repeated_names_keep_every_value_in_order() -> None:
    # Repeated tags and form names grow one list (in place); every value stays, in order.
    values = [str(i) for i in range(MAX_FORM_FIELDS)]
    assert decode_xml(b"<xml>" + b"".join(b"<a>%s</a>" % v.encode() for v in values) + b"<b>x</b></xml>") == {
        "a": values,
        "b": "x",
    }
    assert decode_form("&".join(f"a={v}" for v in values).encode()) == {"a": values}
    assert decode_xml(b"<x><a><k>1</k></a><a><k>2</k></a></x>") == {"a": [{"k": "1"}, {"k": "2"}]}


def test_xml_depth_limit() -> None:
    def doc(depth: int) -> bytes:
        return b"<a>" * depth + b"x" + b"</a>" * depth

    assert decode_xml(doc(MAX_XML_DEPTH))
    with pytest.raises(PayloadError, match="deeper"):
        decode_xml(doc(MAX_XML_DEPTH + 1))
    with pytest.raises(PayloadError):
        decode_xml(doc(50_000))


# -- query ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "value"),
    [
        ("", {}),
        ("a=1&b=2", {"a": "1", "b": "2"}),
        ("a=1&a=2", {"a": "2"}),
        ("hub.mode=subscribe&hub.challenge=x%20y", {"hub.mode": "subscribe", "hub.challenge": "x y"}),
        ("flag&empty=", {"flag": "", "empty": ""}),
    ],
)
def test_decode_query(query: str, value: dict[str, str]) -> None:
    assert decode_query(query) == value


def test_decode_query_field_limit() -> None:
    with pytest.raises(PayloadError):
        decode_query("&".join(f"k{i}=v" for i in range(MAX_FORM_FIELDS + 1)))


# -- properties: arbitrary bytes raise only our errors -------------------------------------

CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-16",
    "application/json; charset=latin-1",
    "application/json; charset=idna",
    "application/json; charset=utf-7",
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=gbk",
    "application/x-www-form-urlencoded; charset=punycode",
    "application/x-www-form-urlencoded; charset=utf-7",
    "text/xml",
    "text/xml; charset=gbk",
    "application/xml; charset=utf-7",
    "application/atom+xml; charset=utf-8",
    "text/plain",
    "",
]

xmlish = st.lists(
    st.sampled_from(
        [
            b"<a>",
            b"</a>",
            b"<b/>",
            b"<!DOCTYPE a>",
            b"&x;",
            b"<![CDATA[",
            b"]]>",
            b"\xff",
            b"x",
            b'<?xml version="1.0" encoding="utf-16"?>',
            b"&#0;",
            b"&amp;",
        ]
    ),
    max_size=30,
).map(b"".join)
formish = st.lists(
    st.sampled_from(
        [
            b"a=",
            b"payload=",
            b"%7B",
            b"%7D",
            b"%ff",
            b"&",
            b"=",
            b"%",
            b"+",
            b"1",
            b"%2B2AA-",
            b"%5Cud800",
            b"%ED%A0%80",
        ]
    ),
    max_size=30,
).map(b"".join)
jsonish = st.lists(
    st.sampled_from(
        [
            b"{",
            b"}",
            b"[",
            b"]",
            b'"',
            b":",
            b",",
            b"1",
            b"\\u",
            b"\xff",
            b"nul",
            b"\\ud800",
            b"\\uDBFF",
            b"\\udc00",
            b"\\ud83d\\ude00",
            b"\\\\",
            b"+2AA-",
        ]
    ),
    max_size=40,
).map(b"".join)
any_body = st.one_of(st.binary(max_size=512), xmlish, formish, jsonish)


@given(body=any_body, content_type=st.sampled_from(CONTENT_TYPES))
def test_decode_body_raises_only_delivery_errors(body: bytes, content_type: str) -> None:
    try:
        value = decode_body(body, content_type)
    except DeliveryError:
        return
    json.dumps(value, ensure_ascii=False).encode("utf-8")  # valid text only: no lone surrogates


@given(body=st.one_of(st.binary(max_size=512), xmlish))
def test_decode_xml_raises_only_payload_errors(body: bytes) -> None:
    try:
        assert isinstance(decode_xml(body), dict)
    except (PayloadError, UnsupportedContentType):  # 415 for a declared encoding we do not read
        pass


@given(query=st.text(max_size=300))
def test_decode_query_raises_only_payload_errors(query: str) -> None:
    try:
        decode_query(query)
    except PayloadError:
        pass


@given(
    value=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=30,
    )
)
def test_json_round_trip(value: Any) -> None:
    assert decode_json(json.dumps(value).encode()) == value
