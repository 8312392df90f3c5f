"""Crash safety with real `hookreceiver worker` processes on a real Redis.

Handlers block until the test creates a ``release`` file, so the test knows which deliveries are
in the middle of their handlers when it kills a worker. Every handler run appends to files, which
the test counts: every admitted delivery must end DONE with exactly one finished run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hookreceiver import ClaimState
from hookreceiver.stores.redis import RedisStore
from tests.helpers import delivery

pytestmark = [pytest.mark.anyio, pytest.mark.redis, pytest.mark.e2e]

APP = '''
import asyncio, os, pathlib
from hookreceiver import Delivery, HookReceiver
from hookreceiver.providers import Generic

DIR = pathlib.Path(os.environ["CRASH_DIR"])
hooks = HookReceiver(run_worker=False)
orders = hooks.endpoint("/orders", Generic(secret="s", topic="body:type",
                                           delivery_id="header:x-request-id"))

@orders.on("*")
async def handle(delivery: Delivery) -> None:
    (DIR / "started" / f"{delivery.delivery_id}.{os.getpid()}").touch()
    while not (DIR / "release").exists():
        await asyncio.sleep(0.02)
    with open(DIR / "finished.log", "a") as log:
        log.write(f"{delivery.delivery_id} {os.getpid()}\\n")
'''

COUNT = 12


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "crash_app.py").write_text(APP)
    (tmp_path / "started").mkdir()
    return tmp_path


@pytest.fixture
def spawn(workdir: Path, redis_url: str, redis_namespace: str
          ) -> Iterator[Callable[[float], subprocess.Popen[bytes]]]:
    processes: list[subprocess.Popen[bytes]] = []

    def start(visibility_timeout: float) -> subprocess.Popen[bytes]:
        env = {**os.environ, "CRASH_DIR": str(workdir), "HOOKRECEIVER_SHUTDOWN_GRACE": "0.5",
               "HOOKRECEIVER_REDIS_URL":
                   f"{redis_url}?namespace={redis_namespace}&visibility_timeout={visibility_timeout}"}
        with (workdir / f"worker-{len(processes)}.log").open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "hookreceiver", "worker", "crash_app:hooks",
                 "--concurrency", "4", "--log-level", "warning"],
                cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=log)
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def started(workdir: Path, pid: int) -> set[str]:
    return {p.name.rsplit(".", 1)[0] for p in (workdir / "started").iterdir()
            if p.name.endswith(f".{pid}")}


def finished(workdir: Path) -> list[str]:
    log = workdir / "finished.log"
    return [line.split()[0] for line in log.read_text().splitlines()] if log.exists() else []


async def admit_all(redis_url: str, namespace: str) -> RedisStore:
    store = RedisStore.from_url(redis_url, namespace=namespace)
    for i in range(COUNT):
        await store.admit(delivery(f"c-{i}"))
    return store


async def all_done(store: RedisStore, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        states = [await store.state(f"/orders:c-{i}") for i in range(COUNT)]
        if all(s is ClaimState.DONE for s in states):
            return
        assert time.monotonic() < deadline, f"not all done: {states}"
        time.sleep(0.1)


async def test_sigkill_mid_handler_loses_nothing(
    workdir: Path, spawn: Callable[[float], subprocess.Popen[bytes]],
    redis_url: str, redis_namespace: str,
) -> None:
    store = await admit_all(redis_url, redis_namespace)
    try:
        victim = spawn(1.0)
        wait_for(lambda: len(started(workdir, victim.pid)) == 4, 20, "4 handlers to start")
        in_flight = started(workdir, victim.pid)
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        (workdir / "release").touch()

        survivor = spawn(1.0)
        await all_done(store, 30)
        runs = finished(workdir)
        assert sorted(runs) == sorted(f"c-{i}" for i in range(COUNT))  # each once, none lost
        assert in_flight <= started(workdir, survivor.pid)  # the killed ones ran again there
        survivor.send_signal(signal.SIGTERM)
        assert survivor.wait(15) == 0
    finally:
        await store.close()


async def test_sigterm_hands_in_flight_deliveries_back_at_once(
    workdir: Path, spawn: Callable[[float], subprocess.Popen[bytes]],
    redis_url: str, redis_namespace: str,
) -> None:
    store = await admit_all(redis_url, redis_namespace)
    try:
        first = spawn(600.0)  # no takeover within this test: only a hand-back can free the jobs
        wait_for(lambda: len(started(workdir, first.pid)) == 4, 20, "4 handlers to start")
        first.send_signal(signal.SIGTERM)
        assert first.wait(15) == 0  # graceful: waited 0.5 s, then handed the 4 back
        assert finished(workdir) == []
        assert "handed back 4 in-flight deliveries" in (workdir / "worker-0.log").read_text()
        (workdir / "release").touch()

        second = spawn(600.0)
        await all_done(store, 30)
        assert sorted(finished(workdir)) == sorted(f"c-{i}" for i in range(COUNT))
        second.send_signal(signal.SIGTERM)
        assert second.wait(15) == 0
    finally:
        await store.close()
