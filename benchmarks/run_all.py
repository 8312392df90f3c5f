"""Run every benchmark, one after another, on one private Redis: the one command of the suite.

    python3 benchmarks/run_all.py            # the quick run: about 5 minutes
    python3 benchmarks/run_all.py --full     # sustained: 60 s per HTTP variant and round, 1M admissions
    python3 benchmarks/run_all.py --smoke    # everything at its smallest: checks that it runs
    python3 -m benchmarks [...]              # the same

Each script prints its own header, results and ratio lines; ``--output FILE`` also writes them
to FILE. A private, unpersisted ``redis-server`` is started on ``--client-cpu`` for the scripts
that need Redis (``--redis-url`` uses another instead). ``--only http,drain`` picks scripts.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _procs import HERE, Children, can_pin, child_env, redis_server  # noqa: E402

# name -> (script, arguments per mode); "{redis}" is replaced by the Redis URL.
SCRIPTS: dict[str, tuple[str, dict[str, list[str]]]] = {
    "http": (
        "bench_http.py",
        {"smoke": ["--smoke"], "quick": [], "full": ["--full"]},
    ),
    "drain": (
        "bench_drain.py",
        {"smoke": ["--smoke"], "quick": [], "full": ["--deliveries", "100000"]},
    ),
    "providers": (
        "bench_providers.py",
        {"smoke": ["--smoke"], "quick": [], "full": ["--budget", "0.2", "--rounds", "5"]},
    ),
    "rss": (
        "bench_rss.py",
        {
            "smoke": ["--smoke"],
            "quick": ["--admissions", "200000", "--max-seconds", "300"],
            "full": ["--max-seconds", "1800"],
        },
    ),
    "rss-nested": (
        "bench_rss.py",
        {
            "smoke": ["--shape", "nested", "--smoke"],
            "quick": ["--shape", "nested", "--admissions", "30", "--max-seconds", "300"],
            "full": ["--shape", "nested", "--max-seconds", "900"],
        },
    ),
    "verify": (
        "bench_verify.py",
        {
            "smoke": ["--budget", "0.002", "--rounds", "1"],
            "quick": ["--budget", "0.1", "--rounds", "3"],
            "full": [],
        },
    ),
    "receive": (
        "bench_receive.py",
        {"smoke": ["--requests", "100", "--rounds", "1"], "quick": [], "full": []},
    ),
    "instructions": (
        "bench_instructions.py",
        {"smoke": ["--smoke"], "quick": [], "full": ["--small", "1000", "--large", "5000"]},
    ),
    "redis-admission": (
        "bench_redis_admission.py",
        {"smoke": ["--count", "50", "--seconds", "5"], "quick": [], "full": ["--count", "20000"]},
    ),
}
NEEDS_REDIS = {"http": "--redis-url", "drain": "--redis-url", "redis-admission": ""}


def command(name: str, mode: str, redis_url: str) -> list[str]:
    script, modes = SCRIPTS[name]
    argv = [sys.executable, str(HERE / script), *modes[mode]]
    if name in NEEDS_REDIS:
        flag = NEEDS_REDIS[name]
        argv += [flag, redis_url] if flag else [redis_url]
    return argv


def run(argv: list[str], out: IO[str] | None) -> int:
    """Run one script, its output passed through line by line (and copied to ``out``)."""
    proc = subprocess.Popen(argv, cwd=HERE.parent, env=child_env(), stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        if out is not None:
            out.write(line)
            out.flush()
    return proc.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--full", action="store_true", help="the sustained run (about 30 minutes)")
    mode.add_argument("--smoke", action="store_true", help="every script at its smallest")
    parser.add_argument("--only", default=",".join(SCRIPTS), help="comma-separated, from: %(default)s")
    parser.add_argument("--redis-url", default=None, help="use this Redis instead of a private redis-server")
    parser.add_argument("--client-cpu", type=int, default=1, help="the CPU of the private redis-server")
    parser.add_argument("--output", type=Path, default=None, help="also write everything printed here")
    args = parser.parse_args(argv)
    which = "full" if args.full else "smoke" if args.smoke else "quick"
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in SCRIPTS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(SCRIPTS)}")
    results: dict[str, tuple[int, float]] = {}
    out = args.output.open("w") if args.output else None
    try:
        with tempfile.TemporaryDirectory(prefix="hookreceiver-bench-") as tmp:
            children = Children(Path(tmp))
            try:
                cpu = args.client_cpu if can_pin() else None
                with redis_server(children, cpu, args.redis_url) as redis_url:
                    for name in names:
                        argv_ = command(name, which, redis_url)
                        shown = " ".join(["python3", f"benchmarks/{SCRIPTS[name][0]}", *argv_[2:]])
                        banner = f"\n=== {name}: {shown}\n"
                        print(banner, flush=True)
                        if out is not None:
                            out.write(banner + "\n")
                        start = time.monotonic()
                        results[name] = (run(argv_, out), time.monotonic() - start)
            finally:
                children.stop()
        lines = ["", f"=== summary ({which} run)"]
        lines += [f"{name:<16} exit {code}  {seconds:6.0f} s" for name, (code, seconds) in results.items()]
        for line in lines:
            print(line)
            if out is not None:
                out.write(line + "\n")
    finally:
        if out is not None:
            out.close()
    return 0 if all(code == 0 for code, _ in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
