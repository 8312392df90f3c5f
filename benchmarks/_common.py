"""Shared helpers for the benchmark scripts: a header naming the machine, and a best-of timer."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path


def header(title: str) -> str:
    """Say what ran, where and when, so a pasted result can be traced to its machine."""
    import hookreceiver

    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"{title}\n"
        f"date: {now}; python {platform.python_version()} ({sys.implementation.name}); "
        f"{platform.system()} {platform.machine()}; cpus: {os.cpu_count()}; load {load()}; "
        f"hookreceiver {hookreceiver.__version__}{revision(Path(hookreceiver.__file__).parent.parent)}"
    )


def load() -> str:
    """The 1, 5 and 15 minute load averages: how busy the machine was when the run started."""
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def revision(root: Path) -> str:
    """`` (git abc1234)`` for a checkout (``+`` when it has uncommitted changes), else ``""``."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "hookreceiver"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    if commit.returncode != 0:
        return ""
    return f" (git {commit.stdout.strip()}{'+' if dirty.stdout.strip() else ''})"


def calibrate(fn: Callable[[], object], budget: float) -> int:
    """How many calls of ``fn`` take about ``budget`` seconds (at least 1)."""
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= budget / 10 or calls >= 1 << 24:
            return max(1, int(calls * budget / max(elapsed, 1e-9)))
        calls *= 4


def per_call(fn: Callable[[], object], calls: int) -> float:
    """Seconds per call of ``fn``, over ``calls`` calls."""
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls
