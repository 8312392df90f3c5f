"""``hookreceiver --version`` and ``serve``'s startup store check and flags, on real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from hookreceiver import __version__
from tests.helpers import REPO_ROOT, ServerProcess, free_port

pytestmark = pytest.mark.e2e


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "HOOKRECEIVER_REDIS_URL"}
    return subprocess.run(
        [sys.executable, "-m", "hookreceiver", *args],
        cwd=REPO_ROOT,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"hookreceiver {__version__}"


def test_serve_exits_with_a_clear_error_when_redis_is_unreachable() -> None:
    url = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    result = run(
        "serve", "examples.quickstart:hooks", "--port", str(free_port()), env={"HOOKRECEIVER_REDIS_URL": url}
    )
    assert result.returncode != 0
    assert "the store does not answer" in result.stderr and "--no-check-store" in result.stderr
    assert "hunter2" not in result.stderr


def test_no_check_store_starts_anyway_and_readiness_says_unavailable(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    server = ServerProcess(
        "examples.quickstart:hooks",
        tmp_path / "serve.log",
        env={"HOOKRECEIVER_REDIS_URL": url},
        extra_args=["--no-check-store"],
    )
    try:
        server.start()
        ready = httpx.get(f"{server.url}/readyz", timeout=10)
        live = httpx.get(f"{server.url}/healthz", timeout=10)
    finally:
        server.kill()
    assert live.status_code == 200
    assert ready.status_code == 503 and ready.json()["store"] == "unreachable"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workers", "0"], "must be at least 1"),
        (["--workers", "2"], "--workers > 1 needs a shared store"),
        (["--header-timeout", "0"], "must be a positive number"),
        (["--header-timeout", "inf"], "must be a positive number"),
        (["--limit-concurrency", "-1"], "must be 0 or more"),
        (["--max-header-size", "0"], "must be at least 1"),
        (["--http", "zttp"], "invalid choice"),
    ],
)
def test_serve_refuses_bad_workers(args: list[str], message: str) -> None:
    result = run("serve", "examples.quickstart:hooks", "--port", str(free_port()), *args)
    assert result.returncode == 2 and message in result.stderr


@pytest.mark.redis
def test_serve_with_two_workers_and_a_root_path(tmp_path: Path, redis_url: str) -> None:
    server = ServerProcess(
        "examples.quickstart:hooks",
        tmp_path / "serve.log",
        env={"HOOKRECEIVER_REDIS_URL": redis_url},
        extra_args=["--workers", "2", "--root-path", "/hooks", "--forwarded-allow-ips", "127.0.0.1"],
    )
    try:
        server.start()
        # the proxy stripped /hooks: the server is called without it, and routes below it
        live = httpx.get(f"{server.url}/healthz", timeout=10)
    finally:
        server.terminate()
    assert live.status_code == 200 and live.json() == {"status": "ok"}
    assert "Started parent process" in server.log()
