"""Health probes are not logged: not by us, not in uvicorn's access log (a real ``serve``)."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from tests.helpers import ServerProcess, asgi_client, make_receiver

SECRET = "health-logs-secret-5c1e-not-for-logs"


@pytest.mark.anyio
async def test_probes_at_the_default_paths_write_no_log_line(caplog: pytest.LogCaptureFixture) -> None:
    receiver, _ = make_receiver()
    caplog.set_level(logging.DEBUG, logger="hookreceiver")
    async with asgi_client(receiver) as client:
        for path in ("/healthz", "/readyz"):
            assert (await client.get(path)).status_code == 200
            assert (await client.head(path)).status_code == 200
    assert [
        r.getMessage() for r in caplog.records if "healthz" in r.getMessage() or "readyz" in r.getMessage()
    ] == []


@pytest.mark.e2e
def test_serve_logs_no_probe_but_every_other_request(tmp_path: Path) -> None:
    server = ServerProcess("tests.cli_app:hooks", tmp_path / "server.log", env={"CLI_APP_SECRET": SECRET})
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            for path in ("/healthz", "/readyz", "/healthz", "/readyz"):
                assert client.get(path).status_code == 200
            assert client.get("/after-the-probes").status_code == 404
        server.wait_for_log("/after-the-probes")  # the access line of the request that follows
        log = server.log()
    finally:
        server.kill()
    assert '"GET /after-the-probes HTTP/1.1" 404' in log
    assert "/healthz" not in log and "/readyz" not in log
