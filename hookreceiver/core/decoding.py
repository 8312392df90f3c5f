"""Payload decoders: JSON, form, XML (through defusedxml only) and the GET query string.

Every decoder takes raw bytes and returns plain Python values (dicts, lists, strings, numbers), so
a decoded payload can be stored as JSON. Every failure raises ``PayloadError`` or
``UnsupportedContentType``; no other exception escapes, whatever the bytes.
"""

from __future__ import annotations

import codecs
import json
import re
from typing import Any, Literal
from urllib.parse import parse_qsl
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

import defusedxml
import defusedxml.ElementTree

from hookreceiver.exceptions import PayloadError, UnsupportedContentType

__all__ = [
    "Format",
    "MAX_FORM_FIELDS",
    "MAX_JSON_DEPTH",
    "MAX_XML_DEPTH",
    "MAX_XML_ELEMENTS",
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


def _text(body: bytes, charset: str) -> str:
    try:
        codec = codecs.lookup(charset).name
        text = body.decode(codec)
    except LookupError:
        raise PayloadError(f"unknown charset {charset!r}", reason="bad_charset") from None
    except UnicodeError:  # not only UnicodeDecodeError: codecs such as idna raise the base class
        raise PayloadError(f"body is not valid {charset}", reason="bad_charset") from None
    if codec in _SURROGATE_FREE:
        return text
    return _check_text(text, "body")  # UTF-7 and the escape codecs can spell lone surrogates


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


def decode_json(body: bytes, charset: str = "utf-8") -> Any:
    """Decode a JSON body, with a nesting limit; an empty body is an error."""
    text = _text(body, charset)
    if not text or text.isspace():  # (strip() would copy a large body)
        raise PayloadError("body is empty; JSON expected")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise PayloadError(f"body is not valid JSON: {str(exc)[:80]}") from None
    # Surrogates can only come from escapes (_text refused raw ones), so most bodies skip the check.
    _walk(value, MAX_JSON_DEPTH, strings=_has_surrogate_escape(text))
    return value


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
    if encoding is None:
        return body
    try:
        if codecs.lookup(encoding).name == "utf-8":
            return body
    except LookupError:
        raise PayloadError(f"unknown charset {encoding!r}", reason="bad_charset") from None
    text = _DECLARATION_TEXT.sub("", _text(body, encoding), count=1)
    return text.encode("utf-8")


def decode_xml(body: bytes, charset: str | None = None) -> dict[str, Any]:
    """Decode XML through defusedxml into a dict of the root's children.

    ``<xml><MsgType>text</MsgType></xml>`` becomes ``{"MsgType": "text"}``; repeated tags become
    lists; attributes are dropped. Entities, DTDs and external references are refused.
    ``charset`` (from the content type) is used when the document declares no encoding itself.
    """
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
