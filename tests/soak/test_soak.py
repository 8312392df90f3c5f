"""The soak in a short form (``python3 -m tests.soak --deliveries N`` runs it at any size).

Two ``serve`` and two ``worker`` processes on one Redis of the test's own (append-only file synced
on every write); a worker SIGKILLed while a handler of its runs, a web process SIGKILLed and Redis
killed and restarted during the run; the sender redelivers what got no 2xx. Nothing acknowledged
may be lost; a delivery may run twice only when a fault explains it (the report names which), and
each handler in flight at the worker kill is taken over and run to the end by another worker.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.soak.harness import SENDER_TIMEOUT, run_soak, stall_redis
from tests.soak.report import IN_FLIGHT, Fault, Run, explain, read_runs

pytestmark = [pytest.mark.e2e, pytest.mark.redis, pytest.mark.timeout(300)]

DELIVERIES = 150


def test_faults_under_load_lose_nothing_acknowledged(tmp_path: Path) -> None:
    report = run_soak(tmp_path, DELIVERIES)
    print("\n".join(report.lines()))  # shown with -s, and on failure
    assert [f.what for f in report.faults] == ["worker SIGKILL", "web SIGKILL", "redis restart"]
    assert report.gave_up == set() and len(report.acknowledged) == DELIVERIES
    assert report.lost == []  # acknowledged but never handled
    assert report.unexplained_twice == []
    assert len(report.handled) == DELIVERIES
    # The worker was killed under a running handler, and that delivery was run again elsewhere.
    caught = report.in_flight_at_kill
    assert caught, "the worker SIGKILL caught no handler in flight"
    (kill,) = [f for f in report.faults if f.what == "worker SIGKILL"]
    runs = read_runs(tmp_path / "runs")
    for delivery_id in caught:
        assert report.twice[delivery_id].kind == IN_FLIGHT
        mine = [r for r in runs if r.delivery_id == delivery_id]
        assert any(r.pid == kill.pid and r.ended is None and r.began < kill.at for r in mine)
        assert any(r.pid != kill.pid and r.began > kill.at and r.ended is not None for r in mine)


def test_repeats_are_explained_by_the_fault_they_follow_or_not_at_all() -> None:
    kill = Fault("worker SIGKILL", at=100.0, until=100.1, pid=1)
    restart = Fault("redis restart", at=200.0, until=201.5)
    faults = [kill, restart]
    cut_short = [Run("a", 1, 1, 99.99), Run("a", 2, 1, 103.2, 103.3)]
    unstored = [Run("b", 1, 1, 99.5, 99.9), Run("b", 2, 1, 103.2, 103.3)]
    outage = [Run("c", 3, 1, 200.5, 200.6), Run("c", 2, 1, 204.0, 204.1)]
    stray = [Run("d", 3, 1, 150.0, 150.1), Run("d", 2, 1, 160.0, 160.1)]
    long_before_kill = [Run("e", 1, 1, 10.0, 10.1), Run("e", 2, 1, 103.2, 103.3)]
    kinds = [explain(runs, faults).kind for runs in (cut_short, unstored, outage, stray, long_before_kill)]
    assert kinds == [
        IN_FLIGHT,
        "finished in a killed worker, outcome not yet stored",
        "outcome due while Redis was down",
        "unexplained",
        "unexplained",
    ]


def test_a_stalled_redis_is_503_within_the_senders_timeout_and_recovers(tmp_path: Path) -> None:
    report = stall_redis(tmp_path, stall=5.0)
    print("\n".join(report.lines()))
    assert report.during and set(report.during) == {"503 store_unavailable"}
    assert report.slowest_answer < SENDER_TIMEOUT
    assert report.after == {"200 accepted": 20}
    assert report.web_pids_after == report.web_pids_before  # recovered without a restart
    assert report.acknowledged_not_handled == []
