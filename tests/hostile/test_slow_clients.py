"""Slow clients against a real ``serve``: a trickled body is cut off with a 408 and holds only its
own connection; a flood of slow connections does not stop valid deliveries (the figure for 1,000
comes from ``python3 -m tests.soak.slow_clients``; this is the small form).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import ServerProcess
from tests.soak.slow_clients import flood

pytestmark = pytest.mark.e2e

SECRET = "slow-test-secret-51d0e2"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(
        "tests.cli_app:hooks",
        tmp_path / "serve.log",
        env={"CLI_APP_SECRET": SECRET, "HOOKRECEIVER_BODY_TIMEOUT": "3"},
    )
    process.start()
    yield process
    process.kill()


def _deliver(server: ServerProcess, n: int) -> str:
    body = json.dumps({"type": "order.created", "order": f"beside-trickle-{n}"}).encode()
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = httpx.post(
        f"{server.url}/orders",
        content=body,
        headers={"content-type": "application/json", "x-signature": digest},
        timeout=10,
    )
    return f"{response.status_code} {response.json().get('status') or response.json().get('error')}"


def test_a_trickled_body_is_cut_off_with_408_and_holds_only_its_own_connection(server: ServerProcess) -> None:
    head = (
        b"POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    )
    answers_beside: list[str] = []
    received = b""
    sent = 0
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head)
        sock.settimeout(0.2)
        while sent < 1000:
            try:
                sock.sendall(b"x")
            except OSError:
                break
            sent += 1
            if len(answers_beside) < 5:  # other senders, on their own connections, meanwhile
                answers_beside.append(_deliver(server, sent))
            try:
                received = sock.recv(65536)
            except TimeoutError:
                continue
            break
        sock.settimeout(10)
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except OSError:
            pass
    assert answers_beside == ["200 accepted"] * 5
    assert sent < 1000  # cut off before its declared body was complete
    status_line, _, rest = received.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 408 Request Timeout"
    assert json.loads(rest.partition(b"\r\n\r\n")[2])["error"] == "body_timeout"
    assert "Traceback" not in server.log()


def test_a_hundred_slow_connections_do_not_stop_valid_deliveries(tmp_path: Path) -> None:
    report = flood(tmp_path, connections=100, deliveries=20, body_timeout=5)
    print("\n".join(report.lines()))
    assert report.opened == 100
    assert (report.acknowledged, dict(report.failed)) == (20, {})
    assert report.slow_endings == {"408 body_timeout": 100}
