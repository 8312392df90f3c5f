"""Request charsets: only ASCII-compatible text codecs are read; every other name is a 415.

Issue 13 item 1: a charset such as ``utf-7`` or ``unicode_escape`` turned ASCII bytes into lone
surrogates before the signature check. The refusal is the same in every decoder and in
``HttpRequest.form_pairs`` (what Twilio signs), so no path decodes with such a codec.
"""

from __future__ import annotations

from typing import Any

import pytest

from hookreceiver.core.decoding import (
    check_charset,
    decode_body,
    decode_form,
    decode_json,
    decode_xml,
)
from hookreceiver.core.delivery import HttpRequest
from hookreceiver.exceptions import PayloadError, UnsupportedContentType

ACCEPTED = [
    ("utf-8", "utf-8"),
    ("UTF8", "utf-8"),
    ("utf-8-sig", "utf-8-sig"),
    ("us-ascii", "ascii"),
    ("ISO-8859-1", "iso8859-1"),
    ("latin-1", "iso8859-1"),
    ("windows-1252", "cp1252"),
    ("koi8-r", "koi8-r"),
    ("GBK", "gbk"),
    ("gb2312", "gb2312"),
    ("gb18030", "gb18030"),
    ("big5", "big5"),
    ("shift_jis", "shift_jis"),
    ("euc-jp", "euc_jp"),
    ("euc-kr", "euc_kr"),
]

REFUSED = [
    "utf-7",
    "unicode_escape",
    "raw_unicode_escape",
    "utf-16",
    "utf-16le",
    "utf-16-be",
    "utf-32",
    "utf_32_le",
    "rot13",
    "rot_13",
    "base64",
    "base64_codec",
    "hex",
    "zlib",
    "bz2",
    "uu",
    "quopri",
    "idna",
    "punycode",
    "hz",
    "iso2022_jp",
    "iso2022_kr",
    "cp037",  # EBCDIC
    "cp500",
    "undefined",
    "no-such-charset",
    "",
    "x" * 200,
    "../../etc/passwd",
    "utf-8 ",
    "utf\x00-8",
]


@pytest.mark.parametrize(("name", "codec"), ACCEPTED)
def test_ascii_compatible_charsets_are_accepted(name: str, codec: str) -> None:
    assert check_charset(name) == codec


@pytest.mark.parametrize("name", REFUSED)
def test_other_charsets_are_refused_with_415(name: str) -> None:
    with pytest.raises(UnsupportedContentType) as info:
        check_charset(name)
    assert info.value.reason == "unsupported_charset"
    assert info.value.status_hint == 415
    assert len(info.value.detail) < 200  # the name is cut, the message stays short


@pytest.mark.parametrize("name", ["utf-7", "unicode_escape", "raw_unicode_escape", "utf-16", "rot13", "nope"])
@pytest.mark.parametrize(
    ("media", "body"),
    [
        ("application/json", b'{"type":"+2AA-"}'),
        ("application/x-www-form-urlencoded", b"Body=+2AA-"),
        ("text/xml", b"<r><a>+2AA-</a></r>"),
        ("text/xml", b'<?xml version="1.0" encoding="utf-8"?><r><a>1</a></r>'),  # the header still counts
    ],
)
def test_every_decoder_refuses_them(name: str, media: str, body: bytes) -> None:
    with pytest.raises(UnsupportedContentType) as info:
        decode_body(body, f"{media}; charset={name}")
    assert info.value.reason == "unsupported_charset"


@pytest.mark.parametrize("encoding", ["utf-7", "UTF-16", "rot13", "unicode_escape", "nope"])
def test_an_xml_declaration_naming_one_is_refused(encoding: str) -> None:
    with pytest.raises(UnsupportedContentType):
        decode_xml(f'<?xml version="1.0" encoding="{encoding}"?><r><a>1</a></r>'.encode())


@pytest.mark.parametrize(
    "call",
    [
        lambda: decode_json(b"{}", "utf-7"),
        lambda: decode_form(b"a=1", "unicode_escape"),
        lambda: decode_xml(b"<r/>", "raw_unicode_escape"),
    ],
)
def test_the_decoders_refuse_them_when_called_directly(call: Any) -> None:
    with pytest.raises(UnsupportedContentType):
        call()


def test_form_pairs_refuse_them_before_decoding() -> None:
    # what Twilio signs: refused before any text is made from the body
    request = HttpRequest(
        "POST",
        "http://h/twilio",
        "/twilio",
        {"content-type": "application/x-www-form-urlencoded; charset=utf-7"},
        "",
        b"Body=+2AA-",
    )
    with pytest.raises(UnsupportedContentType):
        _ = request.form_pairs


def test_accepted_charsets_still_decode() -> None:
    assert decode_body("n=中".encode("gb18030"), "application/x-www-form-urlencoded; charset=GB18030") == {
        "n": "中"
    }
    assert decode_body('{"n":"é"}'.encode("cp1252"), "application/json; charset=windows-1252") == {"n": "é"}
    assert decode_body('{"n":"é"}'.encode("utf-8-sig"), "application/json; charset=utf-8-sig") == {"n": "é"}


def test_bytes_that_are_not_in_an_accepted_charset_stay_a_400() -> None:
    with pytest.raises(PayloadError) as info:
        decode_json(b'{"a":"\xff"}', "utf-8")
    assert info.value.reason == "bad_charset" and info.value.status_hint == 400


# -- non-standard JSON ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b"NaN", b"[NaN]", b'{"a":Infinity}', b"-Infinity", b"1e999999", b'{"amount":-1e400}', b"[1E309]"],
)
def test_non_standard_json_numbers_are_refused(body: bytes) -> None:
    with pytest.raises(PayloadError) as info:
        decode_json(body)
    assert info.value.reason == "invalid_json" and info.value.status_hint == 400


def test_large_but_finite_numbers_and_strings_named_nan_are_fine() -> None:
    assert decode_json(b'[1.7976931348623157e308, 1e-999, "NaN", 12345678901234567890]') == [
        1.7976931348623157e308,
        0.0,
        "NaN",
        12345678901234567890,
    ]
