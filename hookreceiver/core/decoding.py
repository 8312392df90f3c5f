"""Payload decoders: JSON, form, XML (through defusedxml only) and the GET query string.

Every decoder takes raw bytes and returns plain Python values (dicts, lists, strings, numbers), so
a decoded payload can be stored as JSON. Every failure raises ``PayloadError`` or
``UnsupportedContentType``; no other exception escapes, whatever the bytes.
"""

from __future__ import annotations

import codecs
import functools
import json
import math
import re
from typing import Any, Literal
from urllib.parse import parse_qsl
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

import defusedxml
import defusedxml.ElementTree
import orjson

from hookreceiver.exceptions import PayloadError, UnsupportedContentType

__all__ = [
    "Format",
    "MAX_FORM_FIELDS",
    "MAX_JSON_DEPTH",
    "MAX_XML_DEPTH",
    "MAX_XML_ELEMENTS",
    "check_charset",
    "decode_body",
    "decode_form",
    "decode_json",
    "decode_query",
    "decode_xml",
    "media_format",
    "parse_content_type",
]

Format = Literal["json", "form", "xml"]
MAX_JSON_DEPTH = 64
MAX_FORM_FIELDS = 1000
MAX_XML_DEPTH = 32
# Elements per XML document: a real notification has tens; a flood of tiny elements costs far more
# memory and CPU than its bytes suggest, so parsing stops at the first one past the limit.
MAX_XML_ELEMENTS = 10_000

_FORMATS: dict[str, Format] = {
    "application/json": "json",
    "text/json": "json",
    "application/x-www-form-urlencoded": "form",
    "application/xml": "xml",
    "text/xml": "xml",
}


def parse_content_type(value: str) -> tuple[str, dict[str, str]]:
    """Split ``text/xml; charset=GBK`` into ``("text/xml", {"charset": "GBK"})``."""
    media, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for part in rest.split(";"):
        name, sep, val = part.partition("=")
        if sep:
            params[name.strip().lower()] = val.strip().strip('"')
    return media.strip().lower(), params


def media_format(media_type: str) -> Format | None:
    """The decoder for a media type: ``+json`` and ``+xml`` suffixes count too."""
    if media_type in _FORMATS:
        return _FORMATS[media_type]
    if media_type.endswith("+json"):
        return "json"
    if media_type.endswith("+xml"):
        return "xml"
    return None


# A lone UTF-16 surrogate is a str Python can hold but not encode: it must never leave a decoder,
# or whatever writes it out later (the JSON ack, a log line, a store) fails on it.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _has_surrogate_escape(text: str) -> bool:
    """Whether JSON text holds a ``\\uD800``-``\\uDFFF`` escape (how json.loads makes a surrogate).

    Hops from backslash to backslash with str.find (a memchr), far faster than a regex scan of
    a large body; an escaped backslash is skipped as a pair.
    """
    index = text.find("\\")
    while index >= 0:
        if text[index + 1 : index + 3] in ("ud", "uD") and text[index + 3 : index + 4] in _HIGH_NIBBLE:
            return True
        index = text.find("\\", index + 2)
    return False


_HIGH_NIBBLE = frozenset("89abcdefABCDEF")


def _check_text(text: str, what: str) -> str:
    if _SURROGATE.search(text):
        raise PayloadError(f"{what} contains a lone surrogate, which is not text")
    return text


# Codecs whose strict decoding can never yield a surrogate, so their text needs no scan.
_SURROGATE_FREE = frozenset({"utf-8", "ascii", "latin-1", "iso8859-1"})
# A charset name as senders write it; anything else is refused before the codec registry sees it
# (a lookup imports a module of the ``encodings`` package named after the charset).
_CHARSET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,39}")
_ASCII = bytes(range(128))
# ASCII text that ASCII-incompatible codecs read as something else: UTF-7 shifts, escapes of the
# escape codecs, HZ and ISO-2022 shifts, IDNA/punycode labels.
_PROBES = (_ASCII, b"+AGE-", b"\\u0041\\x41\\101\\N{DIGIT ONE}", b"~{", b"\x1b$B", b"xn--bcher-kva.de")


@functools.lru_cache(maxsize=64)
def _ascii_compatible(codec: str) -> bool:
    """Whether ``codec`` is a text codec that reads every ASCII byte as itself, in any context."""
    if not getattr(codecs.lookup(codec), "_is_text_encoding", True):
        return False  # bytes-to-bytes and str-to-str codecs: base64, zlib, rot13 ...
    try:
        alone = all(bytes([byte]).decode(codec) == chr(byte) for byte in _ASCII)
        together = all(probe.decode(codec) == probe.decode("ascii") for probe in _PROBES)
        return alone and together
    except (UnicodeError, ValueError, TypeError, LookupError):
        return False


def check_charset(charset: str) -> str:
    """The codec of a request's ``charset``, if it is an ASCII-compatible text codec.

    Anything else is refused with ``UnsupportedContentType`` (415, ``unsupported_charset``):
    unknown names, byte codecs (``base64``, ``rot13`` ...), and codecs in which ASCII bytes mean
    something else (``utf-7``, ``unicode_escape``, ``raw_unicode_escape``, ``utf-16``/``utf-32``,
    ``hz``, ``iso2022_*``, ``idna``, EBCDIC code pages): those can spell lone surrogates or text
    that differs from what every ASCII-reading check sees. UTF-8, Latin-1, the Windows code
    pages, GBK/GB18030, Big5, Shift_JIS, EUC-* and the like pass.
    """
    try:
        if _CHARSET_NAME.fullmatch(charset) and _ascii_compatible(codec := codecs.lookup(charset).name):
            return codec
    except LookupError:
        pass
    raise UnsupportedContentType(
        f"charset {charset[:40]!r} is not supported; send UTF-8 (or another ASCII-compatible charset)",
        reason="unsupported_charset",
    )


def _text(body: bytes, charset: str) -> str:
    codec = check_charset(charset)
    try:
        text = body.decode(codec)
    except UnicodeError:  # not only UnicodeDecodeError: codecs such as idna raise the base class
        raise PayloadError(f"body is not valid {codec}", reason="bad_charset") from None
    if codec in _SURROGATE_FREE:
        return text
    return _check_text(text, "body")  # defence in depth: no accepted codec should make one


def _walk(value: Any, limit: int, *, strings: bool) -> None:
    """Enforce the nesting limit; with ``strings``, refuse lone surrogates in keys and strings."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            raise PayloadError(f"JSON nests deeper than {limit} levels")
        if isinstance(item, dict):
            if strings:
                for key in item:
                    _check_text(key, "a JSON key")
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
        elif strings and isinstance(item, str):
            _check_text(item, "a JSON string")


def _constant(name: str) -> Any:
    raise PayloadError(f"{name} is not a JSON value (RFC 8259 has no NaN or Infinity)", reason="invalid_json")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise PayloadError(f"the number {text[:40]} is too large for a float", reason="invalid_json")
    return value


def decode_json(body: bytes, charset: str = "utf-8") -> Any:
    """Decode a JSON body, with a nesting limit; an empty body is an error.

    Only standard JSON (RFC 8259): ``NaN``, ``Infinity`` and numbers too large for a float (``1e999``,
    which Python would read as infinity) are refused as ``invalid_json``, since no JSON encoder
    of a sender writes them and a store or handler could not write them back out as JSON.
    """
    text = _text(body, charset)
    if not text or text.isspace():  # (strip() would copy a large body)
        raise PayloadError("body is empty; JSON expected")
    value = _orjson_value(body, text)
    return _stdlib_json(text) if value is _NOT_READ else value


_NOT_READ = object()
# One pass maps digits to "0", opening brackets to "[" and the rest to " ": 19 zeros in a row are
# an integer that may pass 64 bits (orjson reads it as a float), the "[" count bounds the nesting.
# Ten times faster than regexes; in the ASCII-compatible charsets accepted these bytes mean the
# same, and a multibyte character's byte taken for one only sends the text to json.
_DIGIT_BYTES = bytes(0x30 if 0x30 <= b <= 0x39 else 0x5B if b in b"[{" else 0x20 for b in range(256))
_LONG_DIGITS = b"0" * 19


def _orjson_value(body: bytes, text: str) -> Any:
    """``text`` (``body`` decoded) read by orjson, or ``_NOT_READ`` where json could differ.

    orjson is about three times faster than ``json``. Where it reads a text it gives the same
    value (a property test holds the two to it), except for integers past 64 bits, which it turns
    into floats: texts with 19 digits in a row go to ``json``. Texts nesting past the limit never
    reach orjson (some releases recurse without a limit and crash the process on a text a million
    levels deep), and whatever orjson refuses (NaN, lone surrogate escapes, ``1e999``, bad syntax)
    goes to ``json`` too, so refusals and their messages are exactly what :func:`_stdlib_json`
    says. orjson refuses lone surrogate escapes, so a value it read needs no walk for them.
    """
    shape = body.translate(_DIGIT_BYTES)
    if _LONG_DIGITS in shape:
        return _NOT_READ
    if shape.count(b"[") >= MAX_JSON_DEPTH and _nests_deeper(text, MAX_JSON_DEPTH):
        return _NOT_READ
    try:
        return orjson.loads(text)
    except ValueError:  # orjson.JSONDecodeError, and a text it cannot encode back to UTF-8
        return _NOT_READ


def _stdlib_json(text: str) -> Any:
    """The reference reading of a JSON text: ``json`` with our limits and refusals."""
    try:
        value = json.loads(text, parse_constant=_constant, parse_float=_finite)
    except (ValueError, RecursionError) as exc:
        raise PayloadError(f"body is not valid JSON: {str(exc)[:80]}") from None
    # Surrogates can only come from escapes (_text refused raw ones), so most bodies skip the check.
    if _has_surrogate_escape(text):
        _walk(value, MAX_JSON_DEPTH, strings=True)
    elif _nests_deeper(text, MAX_JSON_DEPTH):
        raise PayloadError(f"JSON nests deeper than {MAX_JSON_DEPTH} levels")
    return value


# A JSON string (escapes included); any other run of value characters (a number, true, ...);
# what separates values; one leaf: a value marker or a pair of brackets with nothing between.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_SCALAR = re.compile(r"[^\[\]{}\s,:]+")
_SEPARATORS = re.compile(r"[\s,:]+")
_LEAF = re.compile(r"0|\[\]|\{\}")


def _nests_deeper(text: str, limit: int) -> bool:
    """Whether valid JSON ``text`` nests deeper than ``limit``, read from the text, not the value.

    Depth counts as the walk over values would: a scalar or an empty container is one level,
    a container one more than its deepest member. Fewer than ``limit`` brackets cannot nest past
    it (the usual case: two counts). Otherwise every string and scalar becomes one marker, the
    separators go, and each pass strips the leaves (markers and empty pairs): the number of
    passes to empty the text is its depth. It all runs in C, unlike a walk over every decoded
    value, which cost more than the decoding itself.
    """
    if text.count("[") + text.count("{") < limit:
        return False
    shape = _SEPARATORS.sub("", _SCALAR.sub("0", _JSON_STRING.sub("0", text)))
    for _ in range(limit):
        if not shape:
            return False
        shape = _LEAF.sub("", shape)
    return bool(shape)


def _add(mapping: dict[str, Any], name: str, value: Any) -> None:
    """Set ``name``; a repeated name becomes a list, grown in place (copying it is quadratic).

    The values given here (strings, dicts) are never lists, so a list means "already repeated".
    """
    if name not in mapping:
        mapping[name] = value
    elif isinstance(previous := mapping[name], list):
        previous.append(value)
    else:
        mapping[name] = [previous, value]


def decode_form(body: bytes, charset: str = "utf-8", *, unwrap_payload: bool = True) -> Any:
    """Decode ``application/x-www-form-urlencoded``.

    A name sent once maps to a string, a repeated name to a list of strings. With
    ``unwrap_payload``, a body whose only field is ``payload`` holding a JSON object or array
    (GitHub's form variant, Slack interactivity) decodes to that JSON value.
    """
    text = _text(body, charset)
    try:
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            strict_parsing=False,
            encoding=charset,
            errors="strict",
            max_num_fields=MAX_FORM_FIELDS,
        )
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError(f"form body cannot be decoded: {str(exc)[:80]}") from None
    form: dict[str, Any] = {}
    for name, value in pairs:
        _check_text(name, "a form field name")  # percent-escapes are decoded with the charset too
        _check_text(value, "a form field")
        _add(form, name, value)
    if unwrap_payload and list(form) == ["payload"] and isinstance(form["payload"], str):
        # Only a JSON object or array is unwrapped; any other lone `payload` stays a form field.
        if form["payload"].lstrip()[:1] in ("{", "["):
            return decode_json(form["payload"].encode())
    return form


def _element_value(element: Element, depth: int) -> Any:
    if depth > MAX_XML_DEPTH:
        raise PayloadError(f"XML nests deeper than {MAX_XML_DEPTH} levels")
    children = list(element)
    if not children:
        return (element.text or "").strip() if element.text and element.text.strip() else ""
    result: dict[str, Any] = {}
    for child in children:
        _add(result, child.tag, _element_value(child, depth + 1))
    return result


class _CountingBuilder(TreeBuilder):
    """A tree builder that refuses a document past ``MAX_XML_ELEMENTS`` as soon as it gets there."""

    def __init__(self) -> None:
        super().__init__()
        self.elements = 0

    def start(self, tag: Any, attrs: dict[Any, Any]) -> Element:
        self.elements += 1
        if self.elements > MAX_XML_ELEMENTS:
            raise PayloadError(f"XML has more than {MAX_XML_ELEMENTS} elements")
        return super().start(tag, attrs)


_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# An XML declaration in an ASCII-compatible encoding, and the encoding it names.
_DECLARATION = re.compile(rb"""<\?xml\s[^>]*?\bencoding\s*=\s*["']([A-Za-z][\w.:-]*)["']""")
_DECLARATION_TEXT = re.compile(r"^\ufeff?<\?xml\b.*?\?>", re.DOTALL)


def _xml_bytes(body: bytes, charset: str | None) -> bytes:
    """The document as bytes expat reads correctly: UTF-8 unless expat can tell by itself.

    Order (RFC 7303): a byte order mark, else the document's own declaration, else the content
    type's charset, else UTF-8. Expat knows the BOMs and UTF-8 itself; for any other encoding the
    text is decoded here and handed over as UTF-8 without its declaration (expat cannot read GBK,
    Shift_JIS ... and ignores the charset parameter it never sees).
    """
    if body.startswith(_BOMS):
        return body
    match = _DECLARATION.match(body)
    encoding = match.group(1).decode("ascii") if match else charset
    if encoding is None or check_charset(encoding) == "utf-8":
        return body
    text = _DECLARATION_TEXT.sub("", _text(body, encoding), count=1)
    return text.encode("utf-8")


def decode_xml(body: bytes, charset: str | None = None) -> dict[str, Any]:
    """Decode XML through defusedxml into a dict of the root's children.

    ``<xml><MsgType>text</MsgType></xml>`` becomes ``{"MsgType": "text"}``; repeated tags become
    lists; attributes are dropped. Entities, DTDs and external references are refused.
    ``charset`` (from the content type) is used when the document declares no encoding itself;
    it must pass :func:`check_charset` either way, like the declaration's encoding.
    """
    if charset is not None:
        check_charset(charset)
    if not body.strip():
        raise PayloadError("body is empty; XML expected")
    body = _xml_bytes(body, charset)
    try:
        parser = defusedxml.ElementTree.DefusedXMLParser(target=_CountingBuilder(), forbid_dtd=True)
        parser.feed(body)
        root = parser.close()
    except (ParseError, defusedxml.DefusedXmlException, ValueError, LookupError) as exc:
        raise PayloadError(f"body is not acceptable XML: {type(exc).__name__}") from None
    value = _element_value(root, 1)
    return value if isinstance(value, dict) else {root.tag: value}


def decode_query(query_string: str) -> dict[str, str]:
    """The GET query string as a dict; a repeated name keeps its last value."""
    try:
        return dict(parse_qsl(query_string, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS))
    except ValueError as exc:
        raise PayloadError(f"query string cannot be decoded: {str(exc)[:80]}") from None


def decode_body(body: bytes, content_type: str, *, accept: frozenset[Format] | None = None) -> Any:
    """Decode a body by its content type; ``accept`` limits which formats the endpoint takes."""
    media, params = parse_content_type(content_type)
    fmt = media_format(media)
    if fmt is None or (accept is not None and fmt not in accept):
        shown = media or "(none)"
        raise UnsupportedContentType(f"content type {shown!r} is not accepted here")
    charset = params.get("charset") or None
    if fmt == "json":
        return decode_json(body, charset or "utf-8")
    if fmt == "form":
        return decode_form(body, charset or "utf-8")
    return decode_xml(body, charset)
