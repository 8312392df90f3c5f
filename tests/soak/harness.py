"""The soak: two ``serve`` and two ``worker`` processes on one Redis, faults, and an honest count.

``run_soak`` starts a redis-server of its own (appendonly, ``appendfsync always``) on a free port,
the four processes under a small supervisor (anything that exits is started again), and a sender
that behaves like a provider: it posts each delivery to one web process or the other and sends it
again, with backoff, until it gets a 2xx. 20% of the deliveries are sent again after their ack, and
some go out as concurrent bursts of five. While it runs, a worker and a web process are SIGKILLed
and Redis is SIGKILLed and restarted once. Then it waits for the workers to drain and counts, from
the handler's own notes (tests/soak/app.py): what was acknowledged, handled, handled twice, lost.

``stall_redis`` is the other fault: Redis SIGSTOPped for 5 s under load.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import redis

from tests.soak.app import provider
from tests.soak.report import Fault, SoakReport, count, in_flight, read_runs

__all__ = ["SoakReport", "StallReport", "Timing", "kill_in_flight", "run_soak", "stall_redis"]

REPO_ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
SENDER_TIMEOUT = 10.0  # seconds a provider waits for an answer (Shopify 5, GitHub 10, Stripe ~10-20)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Redis:
    """A redis-server with an append-only file synced on every write, to kill and restart."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.directory)]
        with open(self.directory / "redis.log", "ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            try:
                with redis.Redis.from_url(self.url, socket_timeout=1) as client:
                    if client.ping():
                        return
            except (redis.RedisError, OSError):
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def signal(self, signum: int) -> None:
        assert self.process is not None
        self.process.send_signal(signum)


@dataclass
class Managed:
    """One supervised process: restarted when it exits (a SIGKILL here), until the run stops."""

    name: str
    command: list[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    pids: list[int] = field(default_factory=list)

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command, cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        self.pids.append(self.process.pid)

    def kill(self) -> int:
        assert self.process is not None
        pid = self.process.pid
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        return pid

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


class Supervisor(threading.Thread):
    """Starts again whatever exits, every 0.2 s, as systemd or Kubernetes would."""

    def __init__(self, managed: list[Managed]) -> None:
        super().__init__(daemon=True)
        self.managed = managed
        self.stopping = threading.Event()
        self.restarts = 0

    def run(self) -> None:
        while not self.stopping.wait(0.2):
            for item in self.managed:
                if item.process is not None and item.process.poll() is not None:
                    item.start()
                    self.restarts += 1

    def stop(self) -> None:
        self.stopping.set()
        self.join(5)
        for item in self.managed:
            item.stop()


@dataclass(frozen=True)
class Timing:
    """How long a handler run takes, and the store's visibility timeout (default 60 s): short, so a
    killed worker's deliveries are taken over within a short run (heartbeats every third of it)."""

    handler_ms: float = 5.0
    visibility_timeout: float = 3.0


def _env(redis_url: str, runs_dir: Path, timing: Timing) -> dict[str, str]:
    # The store's command timeout is the default (3 s).
    store_url = f"{redis_url}?namespace=soak&visibility_timeout={timing.visibility_timeout:g}"
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), *sys.path]),
        "PYTHONUNBUFFERED": "1",
        "HOOKRECEIVER_REDIS_URL": store_url,
        "HOOKRECEIVER_RUN_WORKER": "false",
        "SOAK_RUNS_DIR": str(runs_dir),
        "SOAK_HANDLER_MS": f"{timing.handler_ms:g}",
    }


def _layout(
    directory: Path, redis_url: str, timing: Timing = Timing()
) -> tuple[list[Managed], list[Managed], list[int]]:
    runs = directory / "runs"
    runs.mkdir(exist_ok=True)
    env = _env(redis_url, runs, timing)
    ports = [free_port(), free_port()]
    webs = [
        Managed(
            f"web{n}",
            [
                sys.executable,
                "-m",
                "hookreceiver",
                "serve",
                "tests.soak.app:hooks",
                "--port",
                str(port),
                "--no-check-store",
                "--log-level",
                "warning",
            ],
            env,
            directory / f"web{n}.log",
        )
        for n, port in enumerate(ports, 1)
    ]
    workers = [
        Managed(
            f"worker{n}",
            [
                sys.executable,
                "-m",
                "hookreceiver",
                "worker",
                "tests.soak.app:hooks",
                "--log-level",
                "warning",
            ],
            env,
            directory / f"worker{n}.log",
        )
        for n in (1, 2)
    ]
    return webs, workers, ports


def _wait_ready(ports: list[int], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    for port in ports:
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"web process on port {port} never got ready")
            time.sleep(0.1)


class Sender:
    """A provider: posts until a 2xx, alternating web processes, with capped backoff."""

    def __init__(self, ports: list[int], report: SoakReport, *, max_attempts: int = 40) -> None:
        self.ports = ports
        self.report = report
        self.max_attempts = max_attempts
        self.signer = provider()
        self.client = httpx.AsyncClient(timeout=SENDER_TIMEOUT)

    async def deliver(self, delivery_id: str, start: int) -> bool:
        delay = 0.1
        for attempt in range(self.max_attempts):
            port = self.ports[(start + attempt) % len(self.ports)]
            request = self.signer.sign(
                {"type": "soak.delivery", "id": delivery_id},
                topic="soak.delivery",
                delivery_id=delivery_id,
                timestamp=time.time(),
                url=f"http://127.0.0.1:{port}/soak",
            )
            self.report.requests += 1
            try:
                response = await self.client.post(
                    request.url, content=request.body, headers=dict(request.headers)
                )
            except httpx.TimeoutException:
                self.report.refused["sender timeout"] += 1
            except httpx.TransportError as exc:
                self.report.refused[f"connection error ({type(exc).__name__})"] += 1
            else:
                if 200 <= response.status_code < 300:
                    self.report.acknowledged.add(delivery_id)
                    return True
                reason = (
                    response.json().get("error", "")
                    if response.headers.get("content-type") == "application/json"
                    else ""
                )
                self.report.refused[f"{response.status_code} {reason}".strip()] += 1
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, 2.0)
        return False


async def _send_all(sender: Sender, deliveries: int, on_progress: Callable[[int], None]) -> set[str]:
    """Every delivery, 20% sent again after their ack, one in 20 as a burst of five; 16 at a time."""
    gate = asyncio.Semaphore(16)
    done = 0
    given_up: set[str] = set()

    async def one(n: int) -> None:
        nonlocal done
        delivery_id = f"soak-{n:06d}"
        async with gate:
            if n % 20 == 7:  # a concurrent duplicate burst
                results = await asyncio.gather(*(sender.deliver(delivery_id, n + k) for k in range(5)))
                ok = any(results)
            else:
                ok = await sender.deliver(delivery_id, n)
            if ok and n % 5 == 3:  # a duplicate after the ack, to the other web process
                await sender.deliver(delivery_id, n + 1)
            if not ok:
                given_up.add(delivery_id)
        done += 1
        on_progress(done)

    await asyncio.gather(*(one(n) for n in range(deliveries)))
    await sender.client.aclose()
    return given_up


class RunWatch:
    """Follows one process's runs file as it grows: the runs begun there and not ended yet."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.position = 0
        self.partial = ""
        self.open_runs: dict[str, float] = {}  # delivery -> when its run began (wall time)

    def poll(self) -> dict[str, float]:
        if not self.path.exists():
            return self.open_runs
        with open(self.path) as runs:
            runs.seek(self.position)
            text = self.partial + runs.read()
            self.position = runs.tell()
        *lines, self.partial = text.split("\n")
        for line in lines:
            event, delivery_id, _, _, when = line.split()
            if event == "start":
                self.open_runs[delivery_id] = float(when)
            else:
                self.open_runs.pop(delivery_id, None)
        return self.open_runs


def kill_in_flight(worker: Managed, runs_dir: Path, handler_seconds: float, timeout: float = 30.0) -> Fault:
    """SIGKILL ``worker`` while one of its handlers runs: follow its runs file until a run that began
    less than half a handler's time ago has not ended, then kill at once. Which runs were in flight
    is read back from the file after the kill (a handler notes its end before it returns), not
    assumed: a handler that finished between the look and the kill is not counted. Past ``timeout``
    it kills anyway, and the fault shows nothing in flight."""
    assert worker.process is not None
    pid = worker.process.pid
    watch = RunWatch(runs_dir / f"runs-{pid}.log")
    deadline = time.monotonic() + timeout
    switch = sys.getswitchinterval()
    sys.setswitchinterval(0.0002)  # the sender's loop shares this process: get the GIL back quickly
    try:
        while time.monotonic() < deadline:
            now = time.time()
            if any(now - began < handler_seconds / 2 for began in watch.poll().values()):
                break
            time.sleep(0.0002)
        worker.process.send_signal(signal.SIGKILL)
        at = time.time()
        worker.process.wait(10)
    finally:
        sys.setswitchinterval(switch)
    return Fault("worker SIGKILL", at, time.time(), pid, in_flight(read_runs(runs_dir), pid))


def _drain(report: SoakReport, runs: Path, timing: Timing, timeout: float) -> None:
    """Wait until everything acknowledged was handled, then a visibility timeout more: a run taken
    over from the killed worker after it had finished there shows up as a second run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        count(report, runs)
        if not report.lost:
            break
        time.sleep(0.5)
    time.sleep(timing.visibility_timeout + 1.0)
    count(report, runs)


def run_soak(
    directory: Path, deliveries: int, *, timing: Timing = Timing(), drain_timeout: float = 90.0
) -> SoakReport:
    """Run the soak in ``directory`` and return its report (nothing is asserted here)."""
    directory.mkdir(parents=True, exist_ok=True)
    store = Redis(directory / "redis")
    store.start()
    webs, workers, ports = _layout(directory, store.url, timing)
    for item in webs + workers:
        item.start()
    supervisor = Supervisor(webs + workers)
    report = SoakReport(
        deliveries, handler_ms=timing.handler_ms, visibility_timeout=timing.visibility_timeout
    )
    runs = directory / "runs"
    started = time.monotonic()
    try:
        _wait_ready(ports)
        supervisor.start()
        plan = {deliveries // 4: "worker", deliveries * 2 // 5: "web", deliveries * 3 // 5: "redis"}
        fired: dict[str, threading.Thread] = {}

        def on_progress(done: int) -> None:
            for at, what in plan.items():
                if done >= at and what not in fired:
                    fired[what] = threading.Thread(target=fault, args=(what,), daemon=True)
                    fired[what].start()

        def fault(what: str) -> None:
            at = time.time()
            if what == "worker":
                report.faults.append(kill_in_flight(workers[0], runs, timing.handler_ms / 1000))
            elif what == "web":
                report.faults.append(Fault("web SIGKILL", at, time.time(), webs[0].kill()))
            else:
                store.kill()
                time.sleep(1.0)
                store.start()
                report.faults.append(Fault("redis restart", at, time.time()))

        sender = Sender(ports, report)
        report.gave_up = asyncio.run(_send_all(sender, deliveries, on_progress))
        for thread in fired.values():
            thread.join()
        _drain(report, runs, timing, drain_timeout)
    finally:
        supervisor.stop()
        store.kill()
        report.restarts = supervisor.restarts
        report.seconds = time.monotonic() - started
    report.faults.sort(key=lambda f: f.at)
    return report


@dataclass
class StallReport:
    stall_seconds: float
    during: Counter[str] = field(default_factory=Counter)  # answers while Redis was stopped
    slowest_answer: float = 0.0
    after: Counter[str] = field(default_factory=Counter)  # answers once it was resumed
    web_pids_before: list[int] = field(default_factory=list)
    web_pids_after: list[int] = field(default_factory=list)
    acknowledged_not_handled: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"Redis SIGSTOPped for {self.stall_seconds:.0f} s: answers during the stall {dict(self.during)}, "
            f"slowest {self.slowest_answer:.2f} s (sender timeout {SENDER_TIMEOUT:.0f} s)",
            f"after SIGCONT: {dict(self.after)}; web processes restarted: "
            f"{'no' if self.web_pids_before == self.web_pids_after else 'yes'}",
            f"acknowledged but never handled: {len(self.acknowledged_not_handled)}",
        ]


def stall_redis(directory: Path, *, stall: float = 5.0) -> StallReport:
    """Post deliveries while Redis is SIGSTOPped for ``stall`` seconds, then after SIGCONT."""
    directory.mkdir(parents=True, exist_ok=True)
    store = Redis(directory / "redis")
    store.start()
    webs, workers, ports = _layout(directory, store.url)
    report = StallReport(stall)
    for item in webs + workers:
        item.start()
    signer = provider()
    acknowledged: list[str] = []

    def post(delivery_id: str, port: int) -> tuple[str, float]:
        request = signer.sign(
            {"type": "soak.delivery", "id": delivery_id},
            topic="soak.delivery",
            delivery_id=delivery_id,
            timestamp=time.time(),
            url=f"http://127.0.0.1:{port}/soak",
        )
        began = time.monotonic()
        try:
            response = httpx.post(
                request.url, content=request.body, headers=dict(request.headers), timeout=SENDER_TIMEOUT
            )
        except httpx.TimeoutException:
            return "sender timeout", time.monotonic() - began
        if 200 <= response.status_code < 300:
            acknowledged.append(delivery_id)
        return f"{response.status_code} {response.json().get('error') or response.json().get('status')}", (
            time.monotonic() - began
        )

    try:
        _wait_ready(ports)
        report.web_pids_before = [w.process.pid for w in webs if w.process]
        for n in range(10):
            post(f"stall-before-{n}", ports[n % 2])
        store.signal(signal.SIGSTOP)
        stopped = time.monotonic()
        n = 0
        while time.monotonic() - stopped < stall - 0.5:
            answer, took = post(f"stall-during-{n}", ports[n % 2])
            report.during[answer] += 1
            report.slowest_answer = max(report.slowest_answer, took)
            n += 1
        while time.monotonic() - stopped < stall:
            time.sleep(0.05)
        store.signal(signal.SIGCONT)
        time.sleep(0.5)
        for n in range(20):
            answer, _ = post(f"stall-after-{n}", ports[n % 2])
            report.after[answer] += 1
        report.web_pids_after = [w.process.pid for w in webs if w.process and w.process.poll() is None]
        deadline = time.monotonic() + 30
        runs = directory / "runs"
        while time.monotonic() < deadline:
            handled = {r.delivery_id for r in read_runs(runs) if r.ended is not None}
            report.acknowledged_not_handled = [d for d in acknowledged if d not in handled]
            if not report.acknowledged_not_handled:
                break
            time.sleep(0.3)
    finally:
        for item in webs + workers:
            item.stop()
        store.kill()
    return report
