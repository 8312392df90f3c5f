"""End to end: the quickstart served by ``python -m hookreceiver serve`` in a real process.

Deliveries go over real HTTP; the handler's log line is read from the server's own output; the
server stops on SIGTERM after its lifespan shutdown, exiting 0.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hookreceiver import HttpRequest
from tests.helpers import ServerProcess, generic

pytestmark = pytest.mark.e2e

E2E_SECRET = "e2e-secret-9c1d-never-logged"


def signed(url: str, delivery_id: str, *, secret: str = E2E_SECRET) -> HttpRequest:
    # configured like examples/quickstart.py's endpoint: the id header is signed with the body
    provider = generic(secret=secret, signed_content="{id}.{body}")
    return provider.sign(
        {"order": 7}, topic="order.created", delivery_id=delivery_id, timestamp=0, url=f"{url}/orders"
    )


def send(request: HttpRequest) -> httpx.Response:
    return httpx.post(request.url, content=request.body, headers=dict(request.headers), timeout=10)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(
        "examples.quickstart:hooks", tmp_path / "server.log", env={"QUICKSTART_SECRET": E2E_SECRET}
    )
    process.start()
    yield process
    process.kill()


def test_quickstart_serves_dedupes_rejects_and_stops_cleanly(server: ServerProcess) -> None:
    first = send(signed(server.url, "e2e-1"))
    assert first.status_code == 200
    assert first.json() == {"status": "accepted", "delivery_id": "e2e-1", "topic": "order.created"}
    server.wait_for_log("handled topic=order.created delivery_id=e2e-1 attempt=1")

    again = send(signed(server.url, "e2e-1"))
    assert again.status_code == 200 and again.json()["status"] == "duplicate"

    forged = send(signed(server.url, "e2e-2", secret="not-the-secret"))
    assert forged.status_code == 401 and forged.json()["error"] == "bad_signature"
    server.wait_for_log("reason=bad_signature")

    wrong_method = httpx.get(f"{server.url}/orders", timeout=10)
    assert wrong_method.status_code == 405 and wrong_method.headers["allow"] == "POST"

    assert server.terminate() == 0
    log = server.log()
    assert "Application shutdown complete" in log
    assert log.count("handled topic=order.created delivery_id=e2e-1") == 1  # the duplicate did not run
    assert "Traceback" not in log
    assert E2E_SECRET not in log


def test_quickstart_without_a_secret_uses_a_logged_dev_default(tmp_path: Path) -> None:
    server = ServerProcess(
        "examples.quickstart:hooks", tmp_path / "server.log", env={"QUICKSTART_SECRET": ""}
    )
    server.start()
    try:
        response = send(signed(server.url, "dev-1", secret="quickstart-dev-secret"))
        assert response.status_code == 200 and response.json()["status"] == "accepted"
        server.wait_for_log("handled topic=order.created delivery_id=dev-1")
        assert server.terminate() == 0
    finally:
        server.kill()
    log = server.log()
    assert "QUICKSTART_SECRET is not set" in log
    assert "quickstart-dev-secret" not in log
