"""Issue 13 over real HTTP: a ``hookreceiver serve`` process, attacked as the internet would.

One server (``tests.sec_app``) runs for the module; tests that need other settings or flags start
their own. Each test is a regression test for one defect the issue found by probing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from hookreceiver.providers import Twilio, WeChat
from tests.helpers import ServerProcess
from tests.sec_app import TOKEN

pytestmark = pytest.mark.e2e

SMS = {"MessageSid": "SM77", "SmsStatus": "received", "From": "+15550001111", "Body": "hi"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess("tests.sec_app:hooks", tmp_path_factory.mktemp("sec") / "serve.log")
    process.start()
    yield process
    process.kill()


# -- item 1: charsets ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "charset", ["utf-7", "unicode_escape", "raw_unicode_escape", "utf-16", "rot13", "nope"]
)
def test_twilio_with_a_charset_that_spells_surrogates_is_a_415(server: ServerProcess, charset: str) -> None:
    # the curl: `Body=+2AA-` in UTF-7 is a lone surrogate; it was a 500 with a traceback
    response = httpx.post(
        f"{server.url}/twilio",
        content=b"Body=+2AA-",
        headers={
            "content-type": f"application/x-www-form-urlencoded; charset={charset}",
            "x-twilio-signature": "AAAA",
        },
        timeout=10,
    )
    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_charset"
    assert "Traceback" not in server.log()


@pytest.mark.parametrize(
    ("path", "content_type", "body"),
    [
        ("/orders", "application/json; charset=utf-7", b'{"type":"+2AA-"}'),
        ("/orders", "application/x-www-form-urlencoded; charset=unicode_escape", b"type=\\ud800"),
        ("/wechat?signature=x&timestamp=1&nonce=1", "text/xml; charset=utf-7", b"<xml/>"),
    ],
)
def test_every_endpoint_refuses_such_charsets(
    server: ServerProcess, path: str, content_type: str, body: bytes
) -> None:
    headers = {"content-type": content_type, "x-signature": "00"}
    response = httpx.post(f"{server.url}{path}", content=body, headers=headers, timeout=10)
    # refused by the signature check (401) or the charset (415): never a 500
    assert response.status_code in (401, 415), response.text
    assert "Traceback" not in server.log()


# -- item 2: Twilio's URL variants -----------------------------------------------------------


def test_a_twilio_request_replayed_with_the_default_port_is_one_delivery(server: ServerProcess) -> None:
    # Twilio signed http://example.com/twilio; the same bytes arrive with and without ":80"
    request = Twilio(secret=TOKEN).sign(
        SMS, topic="message.received", timestamp=0, url="http://example.com/twilio"
    )
    answers = []
    for host in ("example.com", "example.com:80", "example.com:80"):
        answers.append(
            httpx.post(
                f"{server.url}/twilio",
                content=request.body,
                headers={**request.headers, "host": host},
                timeout=10,
            )
        )
    assert [a.status_code for a in answers] == [200, 200, 200]
    log = server.wait_for_log("handled endpoint=/twilio delivery_id=SM77:received:")
    assert log.count("duplicate endpoint=/twilio") == 2
    assert log.count("accepted endpoint=/twilio") == 1
    assert log.count("handled endpoint=/twilio delivery_id=SM77:") == 1


# -- item 5: secrets in server output, WeChat plain-mode replays -----------------------------


def test_the_access_log_shows_no_query_string_and_a_bounded_path(server: ServerProcess) -> None:
    wechat = WeChat(secret=TOKEN).sign(
        {"Content": "hi"}, topic="text", delivery_id="5001", timestamp=time.time(), url=f"{server.url}/wechat"
    )
    assert (
        httpx.post(wechat.url, content=wechat.body, headers=dict(wechat.headers), timeout=10).status_code
        == 200
    )
    signature = parse_qs(urlsplit(wechat.url).query)["signature"][0]
    assert httpx.get(f"{server.url}/orders?token=tok-3c1f9e-in-a-query", timeout=10).status_code == 405
    long_path = "/" + "p" * 5000
    assert httpx.get(f"{server.url}{long_path}?msg_signature=ms-77a0", timeout=10).status_code == 404
    log = server.wait_for_log('"GET /orders?[redacted] HTTP/1.1" 405')
    assert '"POST /wechat?[redacted] HTTP/1.1" 200' in log
    for secret in (signature, "tok-3c1f9e-in-a-query", "ms-77a0", "signature=", "token=", "p" * 300):
        assert secret not in log
    assert "p" * 200 + "..." in log  # the path is cut, not dropped


def test_a_captured_wechat_url_cannot_carry_another_body(server: ServerProcess) -> None:
    request = WeChat(secret=TOKEN).sign(
        {"Content": "real"},
        topic="text",
        delivery_id="5002",
        timestamp=time.time(),
        url=f"{server.url}/wechat",
    )
    headers = dict(request.headers)
    first = httpx.post(request.url, content=request.body, headers=headers, timeout=10)
    retry = httpx.post(request.url, content=request.body, headers=headers, timeout=10)
    forged_body = request.body.replace(b"real", b"forged").replace(b"5002", b"5003")
    forged = httpx.post(request.url, content=forged_body, headers=headers, timeout=10)
    assert (first.status_code, first.text) == (200, "success")
    assert (retry.status_code, retry.text) == (200, "success")  # the same message again: a duplicate
    assert forged.status_code == 401 and forged.json()["error"] == "replayed_nonce"
    log = server.wait_for_log("handled endpoint=/wechat delivery_id=5002")
    assert "delivery_id=5003" not in log.replace("delivery_id=5003 (unverified)", "")


def test_an_old_wechat_url_is_refused(server: ServerProcess) -> None:
    # the case: a URL copied from a log, 1,049 s old, was accepted with a forged body
    request = WeChat(secret=TOKEN).sign(
        {"Content": "x"},
        topic="text",
        delivery_id="5004",
        timestamp=time.time() - 1049,
        url=f"{server.url}/wechat",
    )
    response = httpx.post(request.url, content=request.body, headers=dict(request.headers), timeout=10)
    assert response.status_code == 401 and response.json()["error"] == "stale_timestamp"
