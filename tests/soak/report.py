"""The soak's count: the handler's notes read back, each repeat explained or not, the report.

Every handler run writes ``start`` and ``end`` lines (delivery id, pid, attempt, wall time) to a
file of its process's own (tests/soak/app.py), so a worker SIGKILLed mid-handler leaves a start
with no end. A delivery is *handled* once one of its runs finished; it is *handled twice* when its
handler began more than once (a run cut short may already have had effects). Each repeat is put
in one class, in this order:

- ``in flight at a worker kill``: a run in a SIGKILLed worker began and never ended (expected);
- ``finished in a killed worker, outcome not yet stored``: the killed worker's run ended, but the
  worker died before recording the outcome, so another worker ran it again after the kill;
- ``outcome due while Redis was down``: a run ended around the Redis restart, so its outcome could
  not be stored and the delivery was taken over once Redis was back;
- ``unexplained``: none of these (the soak fails on any).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Fault", "Repeat", "Run", "SoakReport", "count", "read_runs"]

IN_FLIGHT = "in flight at a worker kill"
UNSTORED = "finished in a killed worker, outcome not yet stored"
REDIS_DOWN = "outcome due while Redis was down"
UNEXPLAINED = "unexplained"


@dataclass(frozen=True)
class Run:
    """One handler run, as its process noted it (``ended`` None: it never finished)."""

    delivery_id: str
    pid: int
    attempt: int
    began: float
    ended: float | None = None


@dataclass
class Fault:
    what: str
    at: float  # wall time
    until: float  # wall time the fault's effect ended (restart done)
    pid: int | None = None
    in_flight: list[str] = field(default_factory=list)  # worker SIGKILL: handlers running at the kill


@dataclass(frozen=True)
class Repeat:
    """Why a delivery's handler began more than once."""

    kind: str
    detail: str


@dataclass
class SoakReport:
    deliveries: int
    requests: int = 0
    acknowledged: set[str] = field(default_factory=set)
    refused: Counter[str] = field(default_factory=Counter)  # status (or transport error) -> count
    gave_up: set[str] = field(default_factory=set)
    handled: Counter[str] = field(default_factory=Counter)  # delivery -> finished runs
    runs_begun: int = 0
    runs_finished: int = 0
    twice: dict[str, Repeat] = field(default_factory=dict)
    lost: list[str] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    restarts: int = 0
    seconds: float = 0.0
    handler_ms: float = 0.0
    visibility_timeout: float = 0.0

    @property
    def in_flight_at_kill(self) -> list[str]:
        """Deliveries whose handler was running in a worker when it was SIGKILLed."""
        return sorted(d for f in self.faults for d in f.in_flight)

    @property
    def unexplained_twice(self) -> list[str]:
        return sorted(d for d, r in self.twice.items() if r.kind == UNEXPLAINED)

    def _twice_lines(self) -> list[str]:
        kinds = Counter(r.kind for r in self.twice.values())
        lines = []
        for kind in (IN_FLIGHT, UNSTORED, REDIS_DOWN, UNEXPLAINED):
            listed = [f"{d} ({r.detail})" for d, r in sorted(self.twice.items()) if r.kind == kind]
            lines.append(f"  {kind}: {kinds[kind]}{': ' if listed else ''}{'; '.join(listed)}")
        return lines

    def _fault_text(self, f: Fault) -> str:
        text = f"{f.what}{f' pid {f.pid}' if f.pid else ''} at +{f.at - self.faults[0].at:.1f} s"
        if f.what == "worker SIGKILL":
            text += f" with {len(f.in_flight)} handler(s) in flight ({', '.join(f.in_flight) or 'none'})"
        return text

    def lines(self) -> list[str]:
        refused = ", ".join(f"{k}: {v}" for k, v in sorted(self.refused.items())) or "none"
        return [
            f"deliveries sent: {self.deliveries} ({self.requests} HTTP requests, duplicates and redeliveries "
            f"included) in {self.seconds:.1f} s; handler {self.handler_ms:g} ms, visibility timeout "
            f"{self.visibility_timeout:g} s",
            f"acknowledged: {len(self.acknowledged)}; never acknowledged (gave up): {len(self.gave_up)}",
            f"refused or failed requests, by status: {refused}",
            f"handled: {len(self.handled)} (handler runs begun {self.runs_begun}, finished "
            f"{self.runs_finished}); handled twice (handler begun twice or more): {len(self.twice)}",
            *self._twice_lines(),
            f"acknowledged but never handled (lost): {len(self.lost)} {self.lost or ''}".rstrip(),
            "faults: "
            + "; ".join(self._fault_text(f) for f in self.faults)
            + f"; processes restarted by the supervisor: {self.restarts}",
        ]


def _runs_of_file(path: Path) -> list[Run]:
    runs: list[Run] = []
    open_runs: dict[str, list[Run]] = {}  # delivery -> its begun, unfinished runs, oldest first
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) != 5:  # a line cut short by a SIGKILL
            continue
        event, delivery_id, pid, attempt, when = parts
        if event == "start":
            open_runs.setdefault(delivery_id, []).append(
                Run(delivery_id, int(pid), int(attempt), float(when))
            )
        elif open_runs.get(delivery_id):
            begun = open_runs[delivery_id].pop(0)
            runs.append(Run(delivery_id, begun.pid, begun.attempt, begun.began, float(when)))
    runs += [run for pending in open_runs.values() for run in pending]
    return runs


def read_runs(runs_dir: Path) -> list[Run]:
    """Every handler run noted under ``runs_dir``, oldest first."""
    runs = [run for path in runs_dir.glob("runs-*.log") for run in _runs_of_file(path)]
    return sorted(runs, key=lambda r: r.began)


def in_flight(runs: list[Run], pid: int) -> list[str]:
    """Deliveries whose handler began in ``pid`` and has not ended (yet, or ever)."""
    return sorted(r.delivery_id for r in runs if r.pid == pid and r.ended is None)


def _again(runs: list[Run], first: Run, after: float) -> str:
    later = [r for r in runs if r is not first and r.began >= after and r.ended is not None]
    if not later:
        return "not run again"
    return (
        f"run again by pid {later[0].pid}, attempt {later[0].attempt}, {later[0].began - after:.1f} s after"
    )


def explain(runs: list[Run], faults: list[Fault]) -> Repeat:
    """Why the handler of one delivery (``runs``, oldest first, two or more) began more than once."""
    kills = {f.pid: f for f in faults if f.what == "worker SIGKILL" and f.pid is not None}
    for run in runs:
        kill = kills.get(run.pid)
        if kill is not None and run.ended is None:
            return Repeat(
                IN_FLIGHT,
                f"began in pid {run.pid} {(kill.at - run.began) * 1000:.1f} ms before its SIGKILL; "
                + _again(runs, run, kill.at),
            )
    for run in runs:
        kill = kills.get(run.pid)
        ended_at_kill = run.ended is not None and kill is not None and kill.at - 1.0 <= run.ended <= kill.at
        if kill is not None and ended_at_kill and any(r.pid != run.pid and r.began >= kill.at for r in runs):
            return Repeat(UNSTORED, f"ended in pid {run.pid}; " + _again(runs, run, kill.at))
    for fault in (f for f in faults if f.what == "redis restart"):
        for run in runs[:-1]:
            if run.ended is not None and fault.at - 1.0 <= run.ended <= fault.until + 5.0:
                return Repeat(
                    REDIS_DOWN,
                    f"ended in pid {run.pid} {run.ended - fault.at:+.1f} s from the Redis kill; "
                    + _again(runs, run, run.ended),
                )
    return Repeat(UNEXPLAINED, ", ".join(f"pid {r.pid} at {r.began:.3f}" for r in runs))


def count(report: SoakReport, runs_dir: Path) -> None:
    """Fill ``report``'s handled, twice and lost from the handler's notes."""
    by_delivery: dict[str, list[Run]] = {}
    runs = read_runs(runs_dir)
    for run in runs:
        by_delivery.setdefault(run.delivery_id, []).append(run)
    report.runs_begun = len(runs)
    report.runs_finished = sum(1 for r in runs if r.ended is not None)
    report.handled = Counter(r.delivery_id for r in runs if r.ended is not None)
    report.twice = {
        d: explain(mine, report.faults) for d, mine in sorted(by_delivery.items()) if len(mine) > 1
    }
    report.lost = sorted(d for d in report.acknowledged if d not in report.handled)
