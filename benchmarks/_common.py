"""Shared helpers for the benchmark scripts: a header naming the machine, and a best-of timer."""

from __future__ import annotations

import datetime
import os
import platform
import sys
import time
from collections.abc import Callable


def header(title: str) -> str:
    """Say what ran, where and when, so a pasted result can be traced to its machine."""
    import hookreceiver

    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"{title}\n"
        f"date: {now}; python {platform.python_version()} ({sys.implementation.name}); "
        f"{platform.system()} {platform.machine()}; cpus: {os.cpu_count()}; "
        f"hookreceiver {hookreceiver.__version__}"
    )


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
