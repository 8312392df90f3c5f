"""The soak in a short form (``python3 -m tests.soak --deliveries N`` runs it at any size).

Two ``serve`` and two ``worker`` processes on one Redis of the test's own (append-only file synced
on every write); a worker and a web process SIGKILLed and Redis killed and restarted during the
run; the sender redelivers what got no 2xx. Nothing acknowledged may be lost, and a delivery may
run twice only when a fault explains it (the report names which).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.soak.harness import SENDER_TIMEOUT, run_soak, stall_redis

pytestmark = [pytest.mark.e2e, pytest.mark.redis, pytest.mark.timeout(300)]

DELIVERIES = 150


def test_faults_under_load_lose_nothing_acknowledged(tmp_path: Path) -> None:
    report = run_soak(tmp_path, DELIVERIES)
    print("\n".join(report.lines()))  # shown with -s, and on failure
    assert [f.what for f in report.faults] == ["worker SIGKILL", "web SIGKILL", "redis restart"]
    assert report.gave_up == set() and len(report.acknowledged) == DELIVERIES
    assert report.lost == []
    assert report.unexplained_twice == []
    assert len(report.handled) == DELIVERIES


def test_a_stalled_redis_is_503_within_the_senders_timeout_and_recovers(tmp_path: Path) -> None:
    report = stall_redis(tmp_path, stall=5.0)
    print("\n".join(report.lines()))
    assert report.during and set(report.during) == {"503 store_unavailable"}
    assert report.slowest_answer < SENDER_TIMEOUT
    assert report.after == {"200 accepted": 20}
    assert report.web_pids_after == report.web_pids_before  # recovered without a restart
    assert report.acknowledged_not_handled == []
