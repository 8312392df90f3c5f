"""Shared test helpers: a Generic endpoint, signed requests for it, and a fake clock.

Everything here builds real objects (a real receiver, a real MemoryStore, real HMAC signatures);
nothing is mocked.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from hookreceiver import Delivery, HookReceiver, HttpRequest, MemoryStore, Settings, Store
from hookreceiver.providers import Generic
from hookreceiver.receiver import Endpoint

SECRET = "tEsT-s3cret-do-not-log-7f2c"
NOW = 1_700_000_000.0
BASE_URL = "http://hooks.test"


class FakeClock:
    """A clock tests move by hand; pass it as ``clock=`` to stores and receivers."""

    def __init__(self, start: float = NOW) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def generic(**options: Any) -> Generic:
    """A Generic provider: topic in ``body:type``, id in ``X-Request-Id``, HMAC-SHA256 hex."""
    defaults: dict[str, Any] = {
        "secret": SECRET,
        "signature_header": "x-signature",
        "topic": "body:type",
        "delivery_id": "header:x-request-id",
    }
    defaults.update(options)
    return Generic(**defaults)


def make_receiver(
    *,
    store: Store | None = None,
    clock: FakeClock | None = None,
    run_worker: bool = False,
    **endpoint_options: Any,
) -> tuple[HookReceiver, Endpoint]:
    """A receiver with one Generic endpoint at ``/orders`` on a MemoryStore sharing ``clock``."""
    clock = clock or FakeClock()
    store = store if store is not None else MemoryStore(clock=clock)
    provider_options = endpoint_options.pop("provider", {})
    receiver = HookReceiver(store=store, settings=Settings(), run_worker=run_worker, clock=clock)
    endpoint = receiver.endpoint("/orders", generic(**provider_options), **endpoint_options)
    return receiver, endpoint


def sign(
    payload: Any,
    *,
    topic: str = "order.created",
    delivery_id: str | None = "d-1",
    provider: Generic | None = None,
    url: str = f"{BASE_URL}/orders",
    timestamp: float = NOW,
) -> HttpRequest:
    """The request a sender configured like ``provider`` would send."""
    signer = provider or generic()
    return signer.sign(payload, topic=topic, delivery_id=delivery_id, timestamp=timestamp, url=url)


def signed_headers(
    body: bytes, content_type: str = "application/json", delivery_id: str = "d-1", secret: str = SECRET
) -> dict[str, str]:
    """Headers that sign ``body`` exactly as :func:`generic` expects, whatever the body is."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"content-type": content_type, "x-signature": digest, "x-request-id": delivery_id}


async def post(
    client: httpx.AsyncClient, request: HttpRequest, headers: Mapping[str, str] | None = None
) -> httpx.Response:
    """Send a signed HttpRequest through an httpx client (ASGITransport or real HTTP)."""
    merged = {**request.headers, **(headers or {})}
    return await client.request(request.method, request.url, content=request.body, headers=merged)


def asgi_client(app: Any, base_url: str = BASE_URL) -> httpx.AsyncClient:
    """An httpx client that calls ``app`` in-process over real HTTP semantics."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


def delivery(
    delivery_id: str = "d-1",
    *,
    topic: str = "order.created",
    endpoint: str = "/orders",
    payload: Any = None,
    received_at: float = NOW,
) -> Delivery:
    """A Delivery value as the pipeline would build it (for store and worker tests)."""
    payload = {"type": topic, "n": 1} if payload is None else payload
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Delivery(
        endpoint=endpoint,
        provider="generic",
        topic=topic,
        delivery_id=delivery_id,
        payload=payload,
        body=body,
        url=f"{BASE_URL}{endpoint}",
        headers={"content-type": "application/json"},
        content_type="application/json",
        received_at=received_at,
    )


async def wait_for_record(caplog: pytest.LogCaptureFixture, text: str, *, timeout: float = 20.0) -> None:
    """Wait until a captured log record's message contains ``text`` (a background task logged it)."""
    deadline = time.monotonic() + timeout
    while not any(text in record.getMessage() for record in caplog.records):
        if time.monotonic() > deadline:
            raise AssertionError(f"no log record with {text!r} within {timeout} s:\n{caplog.text}")
        await anyio.sleep(0.02)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


REPO_ROOT = Path(__file__).resolve().parent.parent


class ServerProcess:
    """``python -m hookreceiver serve SPEC`` in a subprocess on a free port, logging to a file."""

    def __init__(
        self,
        spec: str,
        log_path: Path,
        *,
        env: Mapping[str, str] | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.command = [
            sys.executable,
            "-m",
            "hookreceiver",
            "serve",
            spec,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            *extra_args,
        ]
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> None:
        """Start the server and wait until it answers HTTP (any status)."""
        with open(self.log_path, "wb") as log_file:
            self.process = subprocess.Popen(
                self.command, cwd=REPO_ROOT, env=self.env, stdout=log_file, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log()}")
            try:
                httpx.get(self.url + "/", timeout=1.0)
                return
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    self.kill()
                    raise RuntimeError(f"server did not answer within {timeout}s:\n{self.log()}") from None
                time.sleep(0.1)

    def terminate(self, timeout: float = 20.0) -> int:
        """SIGTERM, as a process manager would; returns the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = 10.0) -> str:
        """Wait until ``text`` shows up in the server's log; returns the whole log."""
        deadline = time.monotonic() + timeout
        while text not in (log := self.log()):
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not in the server log:\n{log}")
            time.sleep(0.05)
        return log
