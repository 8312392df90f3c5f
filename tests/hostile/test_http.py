"""Lies told at the HTTP level, over raw sockets to a real uvicorn (both of its HTTP parsers).

These are what httpx would never send: a Content-Length that does not match the body, a chunked
body past the cap, 10,000 headers, a 1 MB header, paths with dot segments and encoded slashes.
Each answer is pinned exactly, and where the server (not hookreceiver) answers, the test says so.
Nothing a refused request carried is stored: the same delivery id sent properly afterwards is
``accepted``, not a ``duplicate``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import sys
from collections.abc import Iterator

import pytest

from tests.helpers import ServerProcess

pytestmark = pytest.mark.e2e

SECRET = "hostile-http-secret-3f9a1c"
PARSERS = ["httptools", "h11"]
# What uvicorn itself answers to a request its parser refuses (the app never sees it).
UVICORN_400 = (400, "text/plain; charset=utf-8", b"Invalid HTTP request received.")


@pytest.fixture(scope="module", params=PARSERS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    parser: str = request.param
    log = tmp_path_factory.mktemp(f"uvicorn-{parser}") / "server.log"
    process = ServerProcess("tests.cli_app:hooks", log, env={"CLI_APP_SECRET": SECRET})
    process.command = [
        sys.executable,
        "-m",
        "uvicorn",
        "tests.cli_app:hooks",
        "--host",
        "127.0.0.1",
        "--port",
        str(process.port),
        "--http",
        parser,
        "--log-level",
        "warning",
    ]
    process.parser = parser  # type: ignore[attr-defined]
    process.start()
    yield process
    process.kill()


def _parser(server: ServerProcess) -> str:
    return str(server.parser)  # type: ignore[attr-defined]


def _exchange(
    server: ServerProcess, data: bytes, *, half_close: bool = False, timeout: float = 10.0
) -> bytes:
    """Send raw bytes; read until the server closes, or until one whole response has arrived."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before reading everything
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        received = b""
        while not _complete(received):
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            received += chunk
        return received


def _complete(data: bytes) -> bool:
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


def _parse(data: bytes) -> tuple[int, str, bytes]:
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(b":") for line in lines[1:])}
    return status, headers.get(b"content-type", b"").decode(), body


def _json(data: bytes) -> tuple[int, str]:
    status, content_type, body = _parse(data)
    assert content_type == "application/json", data
    return status, json.loads(body)["error"]


def _body(delivery_id: str) -> bytes:
    # cli_app's Generic endpoint names no id source: a delivery is identified by its body's hash
    return json.dumps({"type": "order.created", "order": delivery_id}).encode()


def _head(delivery_id: str, extra: bytes = b"") -> bytes:
    digest = hmac.new(SECRET.encode(), _body(delivery_id), hashlib.sha256).hexdigest().encode()
    return (
        b"POST /orders HTTP/1.1\r\nHost: hooks.test\r\nContent-Type: application/json\r\n"
        b"X-Signature: " + digest + b"\r\nX-Request-Id: " + delivery_id.encode() + b"\r\n" + extra
    )


def _proper(server: ServerProcess, delivery_id: str) -> tuple[int, str]:
    """Send the delivery properly; its status word (``accepted`` if nothing was stored before)."""
    data = _exchange(server, _whole(delivery_id))
    status, _, body = _parse(data)
    return status, json.loads(body)["status"]


def _whole(delivery_id: str, extra: bytes = b"") -> bytes:
    body = _body(delivery_id)
    return _head(delivery_id, extra) + b"Content-Length: %d\r\n\r\n" % len(body) + body


def _id(server: ServerProcess, case: str) -> str:
    return f"{case}-{_parser(server)}"


def test_a_content_length_shorter_than_the_body_is_refused(server: ServerProcess) -> None:
    delivery_id = _id(server, "cl-short")
    body = _body(delivery_id)
    data = _exchange(server, _head(delivery_id) + b"Content-Length: %d\r\n\r\n" % (len(body) - 5) + body)
    if _parser(server) == "httptools":
        # the bytes past the declared length are read as a second request, which is garbage
        assert _parse(data) == UVICORN_400
    else:
        # h11 answers the first request (its body cut short: the signature fails) and keeps the rest
        assert _json(data) == (401, "bad_signature")
    assert _proper(server, delivery_id) == (200, "accepted")


def test_a_content_length_longer_than_the_body_gets_no_ack(server: ServerProcess) -> None:
    delivery_id = _id(server, "cl-long")
    body = _body(delivery_id)
    head = _head(delivery_id) + b"Content-Length: %d\r\n\r\n" % (len(body) + 100)
    assert _exchange(server, head + body, half_close=True) == b""  # the sender gave up: no answer
    assert _proper(server, delivery_id) == (200, "accepted")


def test_a_chunked_body_over_the_cap_is_413(server: ServerProcess) -> None:
    chunk = b"x" * 0x100000
    chunks = b"".join(b"100000\r\n" + chunk + b"\r\n" for _ in range(6)) + b"0\r\n\r\n"  # 6 MiB > 5 MiB
    head = _head(_id(server, "chunked")) + b"Transfer-Encoding: chunked\r\n\r\n"
    assert _json(_exchange(server, head + chunks)) == (413, "payload_too_large")


def test_ten_thousand_headers_are_431(server: ServerProcess) -> None:
    delivery_id = _id(server, "many-headers")
    many = b"".join(b"X-Filler-%d: v\r\n" % n for n in range(10_000))
    data = _exchange(server, _whole(delivery_id, many))
    # h11 refuses a head past 16 KiB itself only when it arrives in pieces (reads are 64 KiB);
    # when the whole head came in one read, the app got it. Either way it is refused.
    if _parser(server) == "httptools" or _parse(data) != UVICORN_400:
        assert _json(data) == (431, "headers_too_large")
    assert _proper(server, delivery_id) == (200, "accepted")


def test_a_one_megabyte_header_is_refused(server: ServerProcess) -> None:
    delivery_id = _id(server, "big-header")
    big = b"X-Big: " + b"a" * 1_000_000 + b"\r\n"
    data = _exchange(server, _whole(delivery_id, big))
    if _parser(server) == "httptools":
        assert _json(data) == (431, "headers_too_large")  # httptools passes it on; we refuse it
    else:
        assert _parse(data) == UVICORN_400  # h11 stops reading past 16 KiB of head
    assert _proper(server, delivery_id) == (200, "accepted")


# raw request target -> what answers: 404 where it names no endpoint; where it decodes to
# /orders it is the endpoint, so the signature check answers (here: none was sent).
ODD_PATHS = {
    b"/a/../orders": (404, "unknown_endpoint"),
    b"/./orders": (404, "unknown_endpoint"),
    b"//orders": (404, "unknown_endpoint"),
    b"/orders%2f..%2fadmin": (404, "unknown_endpoint"),
    b"/ORDERS": (404, "unknown_endpoint"),
    b"/orders;x": (404, "unknown_endpoint"),
    b"/orders%00": (404, "unknown_endpoint"),
    b"*": (404, "unknown_endpoint"),
    b"/orders%2F": (401, "missing_signature"),
    b"/%6frders": (401, "missing_signature"),
    b"/orders/": (401, "missing_signature"),
}


def test_odd_paths_reach_no_endpoint_but_their_own(server: ServerProcess) -> None:
    answers = {
        target: _json(
            _exchange(
                server,
                b"POST " + target + b" HTTP/1.1\r\nHost: hooks.test\r\nContent-Length: 0\r\n"
                b"Connection: close\r\n\r\n",
            )
        )
        for target in ODD_PATHS
    }
    assert answers == ODD_PATHS


def test_the_server_log_has_no_traceback(server: ServerProcess) -> None:
    assert "Traceback" not in server.log()
    assert SECRET not in server.log()
