"""Crash safety with real `hookreceiver worker` processes on a real Redis.

Handlers block until the test creates a ``release`` file, so the test knows which deliveries are
in the middle of their handlers when it kills a worker. Every handler run appends to files, which
the test counts: every admitted delivery must end DONE with exactly one finished run.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hookreceiver import ClaimState
from hookreceiver.stores.redis import RedisStore
from tests.helpers import delivery

pytestmark = [pytest.mark.anyio, pytest.mark.redis, pytest.mark.e2e]

APP = """
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
"""

COUNT = 12


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "crash_app.py").write_text(APP)
    (tmp_path / "started").mkdir()
    return tmp_path


@dataclass(frozen=True)
class WorkerProcess:
    """A ``hookreceiver worker`` subprocess and the file its log goes to."""

    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def report(self, lines: int = 40) -> str:
        """Its exit code (or that it still runs) and the tail of its log, for a failure message."""
        code = self.process.poll()
        state = "still running" if code is None else f"exited with {code}"
        tail = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        return f"worker {self.pid} {state}; last lines of {self.log_path.name}:\n" + "\n".join(tail)

    def check_alive(self, what: str) -> None:
        if self.process.poll() is not None:
            pytest.fail(f"the worker died while waiting for {what}: {self.report()}")


@pytest.fixture
def spawn(workdir: Path, redis_url: str, redis_namespace: str) -> Iterator[Callable[[float], WorkerProcess]]:
    processes: list[subprocess.Popen[bytes]] = []

    def start(visibility_timeout: float) -> WorkerProcess:
        env = {
            **os.environ,
            "CRASH_DIR": str(workdir),
            "HOOKRECEIVER_SHUTDOWN_GRACE": "0.5",
            "HOOKRECEIVER_REDIS_URL": (
                f"{redis_url}?namespace={redis_namespace}&visibility_timeout={visibility_timeout}"
            ),
        }
        log_path = workdir / f"worker-{len(processes)}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "hookreceiver",
                    "worker",
                    "crash_app:hooks",
                    "--concurrency",
                    "4",
                    "--log-level",
                    "warning",
                ],
                cwd=workdir,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        processes.append(process)
        return WorkerProcess(process, log_path)

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def wait_for(condition: Callable[[], bool], timeout: float, what: str, worker: WorkerProcess) -> None:
    """Wait until ``condition()``; fail at once if ``worker`` dies, with its exit code and log."""
    deadline = time.monotonic() + timeout
    while not condition():
        worker.check_alive(what)
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}: {worker.report()}")
        time.sleep(0.05)


def started(workdir: Path, pid: int) -> set[str]:
    return {p.name.rsplit(".", 1)[0] for p in (workdir / "started").iterdir() if p.name.endswith(f".{pid}")}


def finished(workdir: Path) -> list[str]:
    log = workdir / "finished.log"
    return [line.split()[0] for line in log.read_text().splitlines()] if log.exists() else []


async def admit_all(redis_url: str, namespace: str) -> RedisStore:
    store = RedisStore.from_url(redis_url, namespace=namespace)
    for i in range(COUNT):
        await store.admit(delivery(f"c-{i}"))
    return store


async def all_done(store: RedisStore, timeout: float, worker: WorkerProcess) -> None:
    """Wait until every delivery is DONE; fail at once if ``worker`` dies, with its log."""
    deadline = time.monotonic() + timeout
    while True:
        states = [await store.state(f"/orders:c-{i}") for i in range(COUNT)]
        if all(s is ClaimState.DONE for s in states):
            return
        worker.check_alive("every delivery to be done")
        if time.monotonic() > deadline:
            pytest.fail(f"not all done after {timeout} s: {states}; {worker.report()}")
        await asyncio.sleep(0.1)


async def test_sigkill_mid_handler_loses_nothing(
    workdir: Path,
    spawn: Callable[[float], WorkerProcess],
    redis_url: str,
    redis_namespace: str,
) -> None:
    store = await admit_all(redis_url, redis_namespace)
    try:
        victim = spawn(1.0)
        wait_for(lambda: len(started(workdir, victim.pid)) == 4, 20, "4 handlers to start", victim)
        in_flight = started(workdir, victim.pid)
        victim.process.send_signal(signal.SIGKILL)
        victim.process.wait(10)
        (workdir / "release").touch()

        survivor = spawn(1.0)
        await all_done(store, 30, survivor)
        runs = finished(workdir)
        assert sorted(runs) == sorted(f"c-{i}" for i in range(COUNT))  # each once, none lost
        assert in_flight <= started(workdir, survivor.pid)  # the killed ones ran again there
        survivor.process.send_signal(signal.SIGTERM)
        assert survivor.process.wait(15) == 0, survivor.report()
    finally:
        await store.close()


async def test_sigterm_hands_in_flight_deliveries_back_at_once(
    workdir: Path,
    spawn: Callable[[float], WorkerProcess],
    redis_url: str,
    redis_namespace: str,
) -> None:
    store = await admit_all(redis_url, redis_namespace)
    try:
        first = spawn(600.0)  # no takeover within this test: only a hand-back can free the jobs
        wait_for(lambda: len(started(workdir, first.pid)) == 4, 20, "4 handlers to start", first)
        first.process.send_signal(signal.SIGTERM)
        assert first.process.wait(15) == 0, first.report()  # graceful: waited 0.5 s, handed the 4 back
        assert finished(workdir) == []
        assert "handed back 4 in-flight deliveries" in (workdir / "worker-0.log").read_text()
        (workdir / "release").touch()

        second = spawn(600.0)
        await all_done(store, 30, second)
        assert sorted(finished(workdir)) == sorted(f"c-{i}" for i in range(COUNT))
        second.process.send_signal(signal.SIGTERM)
        assert second.process.wait(15) == 0, second.report()
    finally:
        await store.close()
