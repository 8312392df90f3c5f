"""The ASGI app under hostile input: nothing posted yields a 5xx, and odd text cannot break the ack.

A mirror of ``hookreceiver/asgi.py`` beside ``test_asgi.py`` (the status policy): arbitrary
requests, lone surrogates and charsets over ``httpx.ASGITransport``, and a bug of our own.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hookreceiver import HookReceiver, HttpRequest, MemoryStore, Settings
from hookreceiver.providers import BaseProvider, Identity
from tests.helpers import NOW, asgi_client, make_receiver, signed_headers
from tests.test_asgi import noop

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# -- nothing posted yields a 5xx ---------------------------------------------------------------

header_names = st.sampled_from(["content-type", "x-signature", "x-request-id", "content-encoding",
                                "x-timestamp", "host", "x-forwarded-host", "x-other"])
header_values = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40) | st.binary(
    max_size=40).filter(lambda raw: not any(c in raw for c in b"\r\n\x00"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.binary(max_size=600),
    headers=st.dictionaries(header_names, header_values, max_size=6),
    sign_it=st.booleans(),
    content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded",
                                  "text/xml", "application/xml; charset=gbk", "text/plain",
                                  "application/json; charset=nope", ""]),
    method=st.sampled_from(["POST", "GET", "PUT", "DELETE", "PATCH"]),
    path=st.sampled_from(["/orders", "/orders/", "/", "/other", "/orders/x"]),
)
async def test_arbitrary_requests_never_give_5xx(
    body: bytes, headers: dict[str, str | bytes], sign_it: bool, content_type: str, method: str,
    path: str,
) -> None:
    receiver, endpoint = make_receiver(max_body_size=512,
                                       provider={"timestamp_header": "x-timestamp"})
    endpoint.on("*")(noop)
    sent: dict[str, str | bytes] = {"content-type": content_type, **headers}
    if sign_it:
        sent.update({k: v for k, v in signed_headers(body, content_type).items()
                     if k not in ("content-type",)})
        sent["x-timestamp"] = str(int(NOW))
    async with asgi_client(receiver) as client:
        raw = [(k.encode(), v if isinstance(v, bytes) else v.encode()) for k, v in sent.items()]
        response = await client.request(method, path, content=body, headers=raw)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert set(response.json()) == {"error", "detail"}


class _BrokenProvider(BaseProvider):
    """A provider with a bug: it fails on every request after verifying nothing."""

    name = "broken"

    def verify(self, request: HttpRequest, *, now: float) -> int | None:
        return None

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        raise RuntimeError("bug in a provider")


async def test_a_bug_in_our_code_is_a_500_with_a_json_body_so_the_sender_retries(
    caplog: pytest.LogCaptureFixture,
) -> None:
    receiver = HookReceiver(store=MemoryStore(), settings=Settings(), run_worker=False)
    receiver.endpoint("/broken", _BrokenProvider())
    async with asgi_client(receiver) as client:
        response = await client.post("/broken", content=b"{}",
                                     headers={"content-type": "application/json"})
    assert response.status_code == 500
    assert response.json()["error"] == "internal_error"
    assert "bug in a provider" in caplog.text and "endpoint=/broken" in caplog.text
