"""Issue 13 over real HTTP: a ``hookreceiver serve`` process, attacked as the internet would.

One server (``tests.sec_app``) runs for the module; tests that need other settings or flags start
their own. Each test is a regression test for one defect the issue found by probing.
"""

from __future__ import annotations

import hashlib
import hmac
import socket
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


# -- item 3: slow clients and exhaustion -------------------------------------------------------


@pytest.fixture(scope="module")
def tight(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The same receiver with a 1 s body deadline and a 100 kB budget for unverified bodies."""
    process = ServerProcess(
        "tests.sec_app:hooks",
        tmp_path_factory.mktemp("tight") / "serve.log",
        env={
            "HOOKRECEIVER_BODY_TIMEOUT": "1",
            "HOOKRECEIVER_MAX_BODY_SIZE": "60000",
            "HOOKRECEIVER_MAX_BUFFERED_BYTES": "100000",
        },
    )
    process.start()
    yield process
    process.kill()


def connect(server: ServerProcess) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    return sock


def head(path: str, **headers: str) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        "Host: 127.0.0.1",
        *(f"{k.replace('_', '-')}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def answer(sock: socket.socket) -> tuple[int, bytes]:
    """Read until the server closes the connection: the status and everything it sent."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return int(data.split(b" ", 2)[1]), data


def test_a_body_shorter_than_its_content_length_is_a_408(tight: ServerProcess) -> None:
    # the issue: Content-Length 100 bytes over the body got no answer for 90 s and more
    with connect(tight) as sock:
        sock.sendall(head("/orders", content_length="200", content_type="application/json") + b"x" * 100)
        status, data = answer(sock)  # the server closes the connection after its answer
    assert status == 408 and b'"error":"body_timeout"' in data and b"connection: close" in data.lower()


def test_a_trickled_body_is_a_408(tight: ServerProcess) -> None:
    # the issue: 1 byte every 0.7 s was read for 50 s and accepted
    with connect(tight) as sock:
        sock.sendall(head("/orders", content_length="1000", content_type="application/json"))
        sock.settimeout(0.3)
        data = b""
        for _ in range(300):  # at most ~90 s of trickling; the deadline is 1 s
            try:
                sock.sendall(b"x")
            except OSError:  # closed by the server after its answer
                break
            try:
                if chunk := sock.recv(65536):
                    data += chunk
                    break
            except TimeoutError:
                continue
        sock.settimeout(30)
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except OSError:
            pass
    assert data.startswith(b"HTTP/1.1 408") and b'"error":"body_timeout"' in data


def test_bodies_in_flight_share_one_budget(tight: ServerProcess) -> None:
    # the issue: 150 connections each holding 5 MiB - 1 byte added 1 GB of RSS
    holders = []
    try:
        for _ in range(2):  # 2 x 50 kB reserved of the 100 kB budget, bodies never finished
            sock = connect(tight)
            sock.sendall(head("/orders", content_length="50000", content_type="application/json") + b"[")
            holders.append(sock)
        status = 0
        for _ in range(100):  # until both holders are being read (their requests are in flight)
            response = httpx.post(f"{tight.url}/orders", content=b"x" * 1000, timeout=10)
            if (status := response.status_code) == 503:
                break
            time.sleep(0.05)
        assert status == 503 and response.json()["error"] == "busy"
        assert response.headers["retry-after"] == "5"
    finally:
        for sock in holders:
            sock.close()
    # the holders are answered (408) or gone: their bytes are released, a delivery gets through
    body = b'{"type":"order.created"}'
    signature = hmac.new(TOKEN.encode(), body, hashlib.sha256).hexdigest()
    for _ in range(100):
        ok = httpx.post(
            f"{tight.url}/orders",
            content=body,
            headers={
                "content-type": "application/json",
                "x-signature": signature,
                "x-request-id": "budget-1",
            },
            timeout=10,
        )
        if ok.status_code != 503:
            break
        time.sleep(0.1)
    assert ok.status_code == 200 and ok.json()["status"] in ("accepted", "duplicate")


@pytest.mark.parametrize(
    "framing",
    [
        {"content_length": "5", "transfer_encoding": "chunked"},
        {"transfer_encoding": "chunked", "content_length": "5"},
    ],
)
def test_content_length_with_chunked_is_refused(server: ServerProcess, framing: dict[str, str]) -> None:
    # smuggling: a proxy framing by Content-Length, the server by chunks, would disagree
    with connect(server) as sock:
        sock.sendall(head("/orders", content_type="application/json", **framing) + b"5\r\nhello\r\n0\r\n\r\n")
        status, data = answer(sock)
    assert status == 400


# -- item 3: serve's connection limits ---------------------------------------------------------


@pytest.fixture(scope="module", params=["httptools", "h11"])
def guarded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """serve with a 1 s header deadline and room for 4 connections, on either parser."""
    process = ServerProcess(
        "tests.sec_app:hooks",
        tmp_path_factory.mktemp(f"guarded-{request.param}") / "serve.log",
        extra_args=["--http", request.param, "--header-timeout", "1", "--limit-concurrency", "4"],
    )
    process.start()
    yield process
    process.kill()


def closed_by_server(sock: socket.socket, trickle: bytes = b"") -> bool:
    """Whether the server closes the connection (sending ``trickle`` a byte at a time meanwhile)."""
    sock.settimeout(0.25)
    for _ in range(240):  # ~60 s at most; the deadline is 1 s
        if trickle:
            try:
                sock.sendall(trickle[:1])
            except OSError:
                return True
            trickle = trickle[1:] or b"x"
        try:
            if sock.recv(65536) == b"":
                return True
        except TimeoutError:
            continue
        except OSError:
            return True
    return False


def test_a_connection_that_sends_nothing_is_closed(guarded: ServerProcess) -> None:
    # the issue: 1,100 idle connections used up the file descriptors
    with connect(guarded) as sock:
        assert closed_by_server(sock)


def test_headers_trickled_a_byte_at_a_time_are_cut_off(guarded: ServerProcess) -> None:
    with connect(guarded) as sock:
        sock.sendall(b"POST /orders HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        assert closed_by_server(sock, trickle=b"X-Slow: " + b"a" * 1000)


def test_the_deadline_starts_again_after_each_response(guarded: ServerProcess) -> None:
    with connect(guarded) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        sock.settimeout(30)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")  # half a request, then nothing
        assert closed_by_server(sock)


def test_oversized_headers_are_refused(guarded: ServerProcess) -> None:
    with connect(guarded) as sock:
        sock.sendall(head("/orders", content_length="2", x_big="b" * 100_000) + b"{}")
        status, _ = answer(sock)
    assert status in (400, 431)


def test_connections_past_the_limit_get_503_until_idle_ones_are_closed(guarded: ServerProcess) -> None:
    idle = [connect(guarded) for _ in range(4)]
    try:
        status = 0
        for _ in range(100):  # until the server has accepted all four
            if (status := httpx.get(f"{guarded.url}/healthz", timeout=10).status_code) == 503:
                break
            time.sleep(0.02)
        assert status == 503
        assert all(closed_by_server(sock) for sock in idle)  # the header deadline frees them
    finally:
        for sock in idle:
            sock.close()
    assert httpx.get(f"{guarded.url}/healthz", timeout=10).status_code == 200


def test_content_length_with_chunked_is_refused_by_the_app_too(guarded: ServerProcess) -> None:
    # h11 would read this request by its chunks: the receiver refuses it itself, and closes
    with connect(guarded) as sock:
        sock.sendall(
            head("/orders", content_type="application/json", content_length="5", transfer_encoding="chunked")
            + b"5\r\nhello\r\n0\r\n\r\n"
        )
        status, data = answer(sock)
    assert status == 400
    if b"application/json" in data:  # h11: our own answer (httptools refuses it while parsing)
        assert b'"error":"ambiguous_length"' in data and b"connection: close" in data.lower()


def test_headers_under_the_cap_pass_even_split_across_reads(guarded: ServerProcess) -> None:
    request = head("/healthz", x_fine="f" * 10_000).replace(b"POST", b"GET", 1)
    with connect(guarded) as sock:
        for start in range(0, len(request), 1000):
            sock.sendall(request[start : start + 1000])
        sock.settimeout(30)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
