"""Processes for the benchmarks: free ports, CPU pinning, a private redis-server, clean shutdown."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def can_pin() -> bool:
    """``taskset`` is there and this process may use at least two CPUs."""
    return shutil.which("taskset") is not None and len(os.sched_getaffinity(0)) >= 2


def pinned(cpu: int | None, argv: Sequence[str]) -> list[str]:
    """``argv`` run on CPU ``cpu`` with taskset (unpinned when ``cpu`` is None)."""
    return ["taskset", "-c", str(cpu), *argv] if cpu is not None else list(argv)


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a benchmark child: no HOOKRECEIVER_ settings of ours leak in, and this
    checkout's hookreceiver and the benchmark apps come first on the import path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKRECEIVER_")}
    paths = [str(ROOT), str(HERE), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env.update(extra or {})
    return env


class Children:
    """Started processes, stopped in reverse order (SIGTERM, then SIGKILL after ``grace``)."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.procs: list[tuple[str, subprocess.Popen[bytes], IO[bytes]]] = []

    def start(
        self, name: str, argv: Sequence[str], env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - closed in stop()
        proc = subprocess.Popen(
            list(argv),
            cwd=HERE,
            env=env or child_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append((name, proc, log))
        return proc

    def output(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def check_alive(self, proc: subprocess.Popen[bytes]) -> None:
        for name, p, _ in self.procs:
            if p is proc and p.poll() is not None:
                raise SystemExit(f"{name} exited with {p.returncode}:\n{self.output(name)}")

    def stop(self, grace: float = 10.0) -> None:
        for _, proc, _ in reversed(self.procs):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for _, proc, log in reversed(self.procs):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()
        self.procs.clear()


def wait_for_port(
    port: int, proc: subprocess.Popen[bytes], children: Children, timeout: float = 30.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children.check_alive(proc)
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port} after {timeout:.0f} s")


@contextlib.contextmanager
def redis_server(children: Children, cpu: int | None, url: str | None) -> Iterator[str]:
    """``url`` when given, else a private, unpersisted redis-server on a free port (stopped after)."""
    if url is not None:
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed; pass --redis-url to use a running Redis")
    port = free_port()
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = children.start("redis-server", pinned(cpu, argv))
    wait_for_port(port, proc, children)
    yield f"redis://127.0.0.1:{port}/0"


def python() -> str:
    return sys.executable
