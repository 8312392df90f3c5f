"""Requests per second over real HTTP: uvicorn (httptools, uvloop) on one core, wrk on the other.

Every variant receives the same 1.5 KB signed GitHub ``pull_request`` delivery, each request with
a new ``X-GitHub-Delivery`` (``github.lua``), ``wrk -t1 -c50``:

- ``floor``: a bare Starlette route that reads the body and answers 200 (``app_floor.py``);
- ``handrolled``: HMAC + ``json.loads`` + redis-py ``SET NX`` + ``BackgroundTask`` (``app_handrolled.py``);
- ``embedded``: hookreceiver, in-memory store, its worker in the web process (``app_hookreceiver.py``);
- ``redis``: hookreceiver on Redis; the web process admits, a ``hookreceiver worker`` process drains;
- ``embedded-dup20`` / ``redis-dup20``: the same with every 5th request a duplicate (20%).

The variants run in alternating rounds (the order reverses every round), each after the previous
one's processes went idle; medians over the rounds and their ratios are printed. The web process
runs on ``--server-cpu``; wrk, Redis and the Redis variants' worker on ``--client-cpu``. Redis is
a private, unpersisted ``redis-server`` unless ``--redis-url`` names one. wrk is installed with
apt-get when missing.

    python3 benchmarks/bench_http.py [--duration S] [--rounds N] [--connections N] [--full] [--smoke]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import header  # noqa: E402
from _payload import PATH, github_request  # noqa: E402
from _procs import HERE, Children, can_pin, child_env, free_port, pinned, python, redis_server  # noqa: E402

VARIANTS = ("floor", "handrolled", "embedded", "redis", "embedded-dup20", "redis-dup20")
LABELS = {
    "floor": "bare Starlette, read body, 200",
    "handrolled": "hand-rolled: HMAC + json + SET NX + BackgroundTask",
    "embedded": "hookreceiver, memory store, in-process worker",
    "redis": "hookreceiver, Redis store, separate worker process",
    "embedded-dup20": "hookreceiver embedded, 20% duplicates",
    "redis-dup20": "hookreceiver Redis, 20% duplicates",
}
RESULT = re.compile(r"WRK_RESULT (.*)")
REJECTED = re.compile(
    r"rejected .*?status=(\d+) reason=(\S+)(?: .*?detail=(.*))?$"
)  # hookreceiver's warning line


@dataclass
class Server:
    """One variant's processes and what it measured, round by round."""

    name: str
    port: int
    duplicates: float
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    store_url: str | None = None  # the Redis variants' store, read for its counters at the end
    rounds: list[dict[str, int]] = field(default_factory=list)
    busy_after: list[float] = field(default_factory=list)  # seconds each settle took


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk is not installed; installing the Debian package with apt-get", flush=True)
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    for argv in (sudo + ["apt-get", "update", "-qq"], sudo + ["apt-get", "install", "-y", "-qq", "wrk"]):
        subprocess.run(argv, check=False)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is missing and apt-get could not install it: apt-get install wrk")
    return found


def uvicorn(module: str, port: int, cpu: int | None) -> list[str]:
    argv = [python(), "-m", "uvicorn", module, "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"]
    return pinned(cpu, argv)


RUN = uuid.uuid4().hex[:8]  # every Redis key this run writes carries it (see cleanup)


def start_variant(
    name: str, children: Children, redis_url: str, server_cpu: int | None, client_cpu: int | None
) -> Server:
    base, _, dup = name.partition("-dup")
    server = Server(name, free_port(), int(dup) / 100 if dup else 0.0)
    namespace = f"bench-{RUN}-{name}"
    store_url = f"{redis_url}?namespace={namespace}"
    if base == "floor":
        argv, env = uvicorn("app_floor:app", server.port, server_cpu), child_env()
    elif base == "handrolled":
        argv, env = (
            uvicorn("app_handrolled:app", server.port, server_cpu),
            child_env({"BENCH_REDIS_URL": redis_url, "BENCH_KEY_PREFIX": f"bench-{RUN}-seen:"}),
        )
    elif base == "embedded":
        argv, env = uvicorn("app_hookreceiver:hooks", server.port, server_cpu), child_env()
    elif base == "redis":
        server.store_url = store_url
        env = child_env({"HOOKRECEIVER_REDIS_URL": store_url, "HOOKRECEIVER_RUN_WORKER": "false"})
        argv = uvicorn("app_hookreceiver:hooks", server.port, server_cpu)
        worker_env = child_env({"HOOKRECEIVER_REDIS_URL": store_url})
        cli = "import sys; from hookreceiver.cli import main; sys.exit(main(sys.argv[1:]))"
        worker = [python(), "-c", cli, "worker", "app_hookreceiver:hooks", "--log-level", "warning"]
        server.procs.append(children.start(f"{name}-worker", pinned(client_cpu, worker), worker_env))
    else:
        raise SystemExit(f"unknown variant {name!r}; known: {', '.join(VARIANTS)}")
    server.procs.insert(0, children.start(name, argv, env))
    return server


def check_answers(server: Server, children: Children) -> None:
    """One signed request must get a 2xx before anything is timed."""
    from _procs import wait_for_port

    wait_for_port(server.port, server.procs[0], children)
    request = github_request(delivery_id=f"check-{uuid.uuid4()}")
    req = urllib.request.Request(
        f"http://127.0.0.1:{server.port}{PATH}", data=request.body, headers=dict(request.headers)
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as answer:
            answer.read()
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"{server.name} answered {exc.code}: {exc.read()[:300]!r}") from None


def run_wrk(
    wrk: str, server: Server, args: argparse.Namespace, files: tuple[Path, str], seconds: float, prefix: str
) -> dict[str, int]:
    body_file, signature = files
    argv = [wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds:g}s", "--timeout", "10s"]
    argv += ["-s", str(HERE / "github.lua"), f"http://127.0.0.1:{server.port}{PATH}"]
    argv += ["--", str(body_file), signature, prefix, f"{server.duplicates:g}"]
    done = subprocess.run(pinned(args.client_cpu, argv), capture_output=True, text=True, timeout=seconds + 60)
    found = RESULT.search(done.stdout)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return {key: int(value) for key, value in (pair.split("=") for pair in found.group(1).split())}


def settle(server: Server, timeout: float) -> float:
    """Wait until the variant's processes are idle (a worker may still drain); seconds waited."""
    import psutil

    procs = [psutil.Process(p.pid) for p in server.procs]
    for proc in procs:
        proc.cpu_percent(None)
    start = time.monotonic()
    quiet = 0
    while time.monotonic() - start < timeout:
        time.sleep(0.3)
        busy = sum(proc.cpu_percent(None) for proc in procs)
        quiet = quiet + 1 if busy < 5.0 else 0
        if quiet >= 2:
            break
    return time.monotonic() - start


def rejections(servers: list[Server], children: Children) -> None:
    """The refusals each hookreceiver variant logged (status and reason), from its log file."""
    for server in servers:
        path = children.logs / f"{server.name}.log"
        if server.name.startswith(("embedded", "redis")) and path.exists():
            counts: dict[str, int] = {}
            with path.open(errors="replace") as log:
                for line in log:
                    if found := REJECTED.search(line):
                        key = " ".join(filter(None, (found.group(1), found.group(2), found.group(3))))
                        counts[key] = counts.get(key, 0) + 1
            print(f"logged by {server.name}: {counts or 'no rejections'}")


def store_counters(servers: list[Server]) -> None:
    """What the Redis variants' stores counted over the whole run (stores that keep counters)."""
    import asyncio

    from hookreceiver.stores.redis import RedisStore

    async def read(url: str) -> object:
        store = RedisStore.from_url(url)
        try:
            return await store.stats() if hasattr(store, "stats") else None
        finally:
            await store.close()

    for server in servers:
        if server.store_url is not None and (stats := asyncio.run(read(server.store_url))) is not None:
            print(f"store {server.name}: {stats}")


def cleanup(redis_url: str) -> None:
    """Delete this run's keys from a Redis given with --redis-url (a private one just stops)."""
    from redis import Redis

    with Redis.from_url(redis_url) as client:
        for pattern in (f"bench-{RUN}-seen:*", f"hookreceiver:{{bench-{RUN}-*"):
            batch = []
            for key in client.scan_iter(match=pattern, count=1000):
                batch.append(key)
                if len(batch) >= 500:
                    client.delete(*batch)
                    batch.clear()
            if batch:
                client.delete(*batch)


def rate(result: dict[str, int]) -> float:
    return result["requests"] / (result["duration_us"] / 1e6)


def errors(result: dict[str, int]) -> int:
    return sum(result[key] for key in ("connect", "read", "write", "timeout"))


def summary(servers: list[Server]) -> dict[str, tuple[float, float, int, int, int]]:
    """name -> (median req/s, median p99 ms, non-2xx over all rounds, requests, socket errors)."""
    return {
        s.name: (
            statistics.median(rate(r) for r in s.rounds),
            statistics.median(r["p99_us"] for r in s.rounds) / 1000,
            sum(r["non2xx"] for r in s.rounds),
            sum(r["requests"] for r in s.rounds),
            sum(errors(r) for r in s.rounds),
        )
        for s in servers
    }


def report(servers: list[Server], args: argparse.Namespace) -> None:
    table = summary(servers)
    floor = table.get("floor", (0.0,))[0]
    hand = table.get("handrolled", (0.0,))[0]
    print()
    print(f"medians of {args.rounds} round(s) of {args.duration:g} s per variant")
    print(
        f"{'variant':<16} {'req/s':>8} {'p99 ms':>8} {'non-2xx':>8} {'requests':>9} {'sock err':>8} "
        f"{'x floor':>8} {'x hand':>7}  what"
    )
    for name, (median, p99, non2xx, requests, sock) in table.items():
        x_floor = f"{median / floor:.2f}" if floor else "-"
        x_hand = f"{median / hand:.2f}" if hand else "-"
        print(
            f"{name:<16} {median:>8.0f} {p99:>8.1f} {non2xx:>8} {requests:>9} {sock:>8} "
            f"{x_floor:>8} {x_hand:>7}  {LABELS[name]}"
        )
    print()
    targets = [
        ("embedded", "floor", 0.75, "embedded / floor"),
        ("redis", "floor", 0.5, "redis / floor"),
        ("redis", "handrolled", 1.5, "redis / handrolled"),
    ]
    for ours, base, target, label in targets:
        if ours in table and base in table and table[base][0]:
            line = f"ratio {label:<22} {table[ours][0] / table[base][0]:.2f}  (target >= {target})"
            if ours == "embedded":
                line += f"; non-2xx {table[ours][2]} (target 0)"
            print(line)
    if "redis" in table and "handrolled" in table:
        print(
            f"p99   redis {table['redis'][1]:.1f} ms vs handrolled {table['handrolled'][1]:.1f} ms "
            "(target: lower)"
        )
    for s in servers:
        slow = [t for t in s.busy_after if t >= args.settle - 0.5]
        if slow:
            print(
                f"note: {s.name} was still busy {args.settle:g} s after {len(slow)} round(s) "
                "(a worker draining)"
            )


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per round and variant")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; medians are printed")
    parser.add_argument("--connections", type=int, default=50, help="wrk -c")
    parser.add_argument("--threads", type=int, default=1, help="wrk -t")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of untimed load per variant first")
    parser.add_argument(
        "--settle", type=float, default=20.0, help="max seconds to wait for idle between runs"
    )
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated, from: %(default)s")
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--client-cpu", type=int, default=1)
    parser.add_argument("--redis-url", default=None, help="use this Redis instead of a private redis-server")
    parser.add_argument("--full", action="store_true", help="the sustained run: 60 s per round")
    parser.add_argument("--smoke", action="store_true", help="1 round of 1 s, no warm-up: checks it runs")
    args = parser.parse_args(argv)
    if args.full:
        args.duration = 60.0
    if args.smoke:
        args.duration, args.rounds, args.warmup, args.settle = 1.0, 1, 0.0, 5.0
    if not can_pin():
        args.server_cpu = args.client_cpu = None
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    names = [n.strip() for n in args.variants.split(",") if n.strip()]
    wrk = ensure_wrk()
    request = github_request()
    pinning = (
        f"server on cpu {args.server_cpu}; wrk, Redis and the Redis worker on cpu {args.client_cpu}"
        if args.server_cpu is not None
        else "no CPU pinning (taskset missing or fewer than 2 CPUs)"
    )
    print(
        header(f"bench_http: wrk -t{args.threads} -c{args.connections} against uvicorn (httptools, uvloop)")
    )
    print(
        f"{pinning}; {len(request.body)} byte GitHub pull_request body, a new X-GitHub-Delivery per request"
    )
    print(
        f"variants: {', '.join(names)}; {args.rounds} round(s) of {args.duration:g} s, "
        "order reversed each round"
    )
    print(flush=True)
    with tempfile.TemporaryDirectory(prefix="hookreceiver-bench-") as tmp:
        body_file = Path(tmp) / "body.json"
        body_file.write_bytes(request.body)
        files = (body_file, request.headers["x-hub-signature-256"])
        children = Children(Path(tmp))
        try:
            with redis_server(children, args.client_cpu, args.redis_url) as redis_url:
                servers = [
                    start_variant(n, children, redis_url, args.server_cpu, args.client_cpu) for n in names
                ]
                for server in servers:
                    check_answers(server, children)
                token = RUN
                if args.warmup > 0:
                    for server in servers:
                        run_wrk(wrk, server, args, files, args.warmup, f"warm-{server.name}-{token}")
                        settle(server, args.settle)
                for round_ in range(args.rounds):
                    for server in servers if round_ % 2 == 0 else servers[::-1]:
                        result = run_wrk(
                            wrk, server, args, files, args.duration, f"{server.name}-{round_}-{token}"
                        )
                        for proc in server.procs:
                            children.check_alive(proc)
                        server.rounds.append(result)
                        server.busy_after.append(settle(server, args.settle))
                        print(
                            f"round {round_ + 1} {server.name:<15} {rate(result):8.0f} req/s  "
                            f"p99 {result['p99_us'] / 1000:6.1f} ms  non-2xx {result['non2xx']:>6}  "
                            f"socket errors {errors(result)}",
                            flush=True,
                        )
                report(servers, args)
                rejections(servers, children)
                store_counters(servers)
        finally:
            children.stop()
            if args.redis_url is not None:
                cleanup(args.redis_url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
