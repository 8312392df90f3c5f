"""``python3 -m tests.soak [--deliveries N] [--handler-ms MS] [--visibility-timeout S] [--stall]``:
run the soak and print its report; the exit status is 1 if anything acknowledged was lost, a
delivery ran twice unexplained, or the worker SIGKILL caught no handler in flight."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tests.soak.harness import Timing, run_soak, stall_redis


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m tests.soak", description=__doc__)
    parser.add_argument(
        "--deliveries", type=int, default=2000, help="distinct deliveries (default: %(default)s)"
    )
    parser.add_argument(
        "--handler-ms",
        type=float,
        default=Timing.handler_ms,
        help="how long each handler run takes, in ms (default: %(default)s)",
    )
    parser.add_argument(
        "--visibility-timeout",
        type=float,
        default=Timing.visibility_timeout,
        help="seconds before a killed worker's deliveries are taken over (default: %(default)s)",
    )
    parser.add_argument("--stall", action="store_true", help="also stall Redis (SIGSTOP 5 s) under load")
    parser.add_argument("--dir", type=Path, help="keep the logs here (default: a temporary directory)")
    args = parser.parse_args(argv)
    timing = Timing(handler_ms=args.handler_ms, visibility_timeout=args.visibility_timeout)
    with tempfile.TemporaryDirectory(prefix="hookreceiver-soak-") as scratch:
        directory = args.dir or Path(scratch)
        report = run_soak(directory / "soak", args.deliveries, timing=timing)
        print("\n".join(report.lines()))
        ok = not report.lost and not report.unexplained_twice and bool(report.in_flight_at_kill)
        if args.stall:
            stall = stall_redis(directory / "stall")
            print("\n".join(stall.lines()))
            ok = ok and not stall.acknowledged_not_handled
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
