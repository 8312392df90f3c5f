"""Fixtures for everyone: the anyio backend, the shared Redis, and Redis servers of a test's own.

``redis_url`` points at the Redis the suite shares (127.0.0.1:6379, or
``HOOKRECEIVER_TEST_REDIS_URL``). Without one the Redis tests are skipped with a message saying
how to get one, except on CI (``CI`` set), where a missing Redis fails them: CI must not go green
by skipping. Tests that kill or restart Redis start their own server with :class:`RedisServer`.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from hypothesis import settings as hypothesis_settings

from tests.helpers import free_port
from tests.logwatch import LogWatch, install

# No per-example deadline: a loaded machine must not fail a property test by being slow (speed is
# measured in benchmarks/). On CI the examples are derandomized, so a run is repeatable; local
# runs keep exploring new examples.
hypothesis_settings.register_profile("hookreceiver", deadline=None)
hypothesis_settings.register_profile("ci", deadline=None, derandomize=True)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "hookreceiver")

DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/0"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
REDIS_TEST_PASSWORD = "r3dis-pa55-must-not-leak"  # private servers require it; no log may show it
HOW_TO_GET_REDIS = (
    "install and start one: `apt-get install redis-server` then "
    "`redis-server --daemonize yes`, or point HOOKRECEIVER_TEST_REDIS_URL at one"
)


LOG_WATCH = LogWatch()
install(LOG_WATCH)


@pytest.fixture(autouse=True)
def _no_secret_in_any_log_line(request: pytest.FixtureRequest) -> Iterator[LogWatch]:
    """Fail a test whose log records show a secret it configured or a signature it made."""
    LOG_WATCH.start_test()
    LOG_WATCH.watch([REDIS_TEST_PASSWORD], secret=True)
    LOG_WATCH.drawn = bool(getattr(getattr(request.node, "obj", None), "is_hypothesis_test", False))
    yield LOG_WATCH
    leaks = LOG_WATCH.leaks()
    if leaks:
        shown = "\n".join(f"  {kind}: {line[:300]}" for kind, line in leaks[:10])
        pytest.fail(f"{len(leaks)} log line(s) show a watched value:\n{shown}", pytrace=False)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _redis_answers(url: str) -> bool:
    try:
        with redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1) as client:
            return bool(client.ping())
    except (redis.RedisError, OSError):
        return False


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The shared test Redis; skips (fails on CI) when none answers."""
    url = os.environ.get("HOOKRECEIVER_TEST_REDIS_URL", DEFAULT_TEST_REDIS_URL)
    if not _redis_answers(url):
        message = f"Redis is missing: nothing answers at {url}; {HOW_TO_GET_REDIS}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.fixture
def redis_namespace(redis_url: str) -> Iterator[str]:
    """A fresh store namespace on the shared Redis; its keys are deleted afterwards."""
    namespace = f"test-{uuid.uuid4().hex[:12]}"
    yield namespace
    delete_namespace(redis_url, namespace)


def delete_namespace(url: str, namespace: str) -> None:
    with redis.Redis.from_url(url) as client:
        keys = list(client.scan_iter(match=f"hookreceiver:{{{namespace}}}:*"))
        if keys:
            client.delete(*keys)


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_cluster_port() -> int:
    """A free port whose cluster bus port (port + 10000) is free too."""
    for _ in range(200):
        port = random.randrange(20000, 50000)
        if _port_is_free(port) and _port_is_free(port + 10000):
            return port
    raise RuntimeError("no free port pair for a cluster node")


class RedisServer:
    """A ``redis-server`` of the test's own on a free port, to kill and restart at will."""

    def __init__(
        self, directory: Path, *, port: int | None = None, cluster: bool = False, password: str | None = None
    ) -> None:
        self.directory = directory
        self.port = port or (free_cluster_port() if cluster else free_port())
        self.cluster = cluster
        self.password = password
        self.process: subprocess.Popen[bytes] | None = None
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        command = [
            REDIS_SERVER,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.directory),
        ]
        if self.cluster:
            command += [
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",
                "--cluster-node-timeout",
                "2000",
            ]
        if self.password:
            command += ["--requirepass", self.password]
        deadline = time.monotonic() + timeout
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while not _redis_answers(self.url):
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            if self.process.poll() is not None:
                # A restart on the same port can lose a race for it (or for a cluster node's bus
                # port, port + 10000, which the kernel may have lent to an outgoing connection
                # meanwhile); try again until the deadline rather than fail the test.
                time.sleep(0.2)
                self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no shutdown save, clients see the connection drop."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A private, started, password-protected redis-server (needs the redis-server binary)."""
    if not Path(REDIS_SERVER).exists():
        message = f"redis-server is missing; {HOW_TO_GET_REDIS}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    server = RedisServer(tmp_path / "redis", password=REDIS_TEST_PASSWORD)
    server.start()
    try:
        yield server
    finally:
        server.kill()
