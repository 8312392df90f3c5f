"""Every benchmark script runs at its smallest settings, exits 0 and prints its ratio lines.

Speed is never asserted here (numbers come from ``benchmarks/``, see docs/benchmarks.md); these
tests only keep the scripts working as the code changes. The HTTP one needs ``wrk`` and is
skipped, saying so, when it is missing; the ones that start their own ``redis-server`` are
skipped when there is none (failed on CI, where one must be installed).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"


def run(*argv: str, timeout: float = 240) -> str:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    env = {k: v for k, v in env.items() if not k.startswith("HOOKRECEIVER_")}
    done = subprocess.run(
        [sys.executable, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done.stdout


def needs_redis_server() -> None:
    if shutil.which("redis-server") is None:
        message = "redis-server is not installed; the benchmark starts a private one"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def lines_matching(pattern: str, text: str) -> list[str]:
    return re.findall(pattern, text, flags=re.MULTILINE)


@pytest.mark.e2e
@pytest.mark.redis
@pytest.mark.timeout(400)
def test_bench_http_smoke() -> None:
    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (apt-get install wrk): the HTTP benchmark is not run")
    needs_redis_server()
    out = run(str(BENCH / "bench_http.py"), "--smoke", timeout=360)
    for variant in ("floor", "handrolled", "embedded", "redis", "embedded-dup20", "redis-dup20"):
        assert lines_matching(rf"^round 1 {re.escape(variant)}\s+\d+ req/s", out), variant
        assert lines_matching(rf"^{re.escape(variant)}\s+\d+\s+[\d.]+\s+\d+\s+\d+\s+\d+\s+[\d.]+", out), (
            variant
        )
    for label in ("embedded / floor", "redis / floor", "redis / handrolled"):
        assert lines_matching(rf"^ratio {re.escape(label)}\s+\d+\.\d\d\s+\(target", out), label
    assert "p99   redis" in out


@pytest.mark.redis
@pytest.mark.timeout(300)
def test_bench_drain_smoke() -> None:
    needs_redis_server()
    out = run(str(BENCH / "bench_drain.py"), "--smoke")
    for kind in ("embedded", "redis"):
        assert lines_matching(rf"^round 1 {kind}\s+\d+ deliveries/s .*'done': 200", out), kind
        assert lines_matching(rf"^drain {kind}\s+\d+ deliveries/s .* ratio to target \d+\.\d\d", out), kind


@pytest.mark.timeout(300)
def test_bench_instructions_smoke() -> None:
    if shutil.which("valgrind") is None:
        pytest.skip("valgrind is not installed (apt-get install valgrind): instructions are not counted")
    out = run(str(BENCH / "bench_instructions.py"), "--smoke")
    for variant in ("floor", "embedded"):
        assert lines_matching(rf"^{variant}\s+\d+\.\d k instructions per request", out), variant
    assert lines_matching(r"^ratio floor / embedded instructions \d\.\d\d", out)


def test_bench_providers_smoke() -> None:
    out = run(str(BENCH / "bench_providers.py"), "--smoke")
    assert "not measured" not in out
    rows = lines_matching(r"^(\S+(?: \(\w+\))?)\s+\d+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+x\s+[\d.]+x$", out)
    for name in ("github", "stripe", "discord (ed25519)", "paypal (rsa)", "sns (rsa)", "wecom", "dingtalk"):
        assert name in rows, (name, out)


def test_bench_rss_smoke() -> None:
    out = run(str(BENCH / "bench_rss.py"), "--smoke")
    assert len(lines_matching(r"^ *\d+ admissions +[\d.]+ s .* rss +[\d.]+ MiB", out)) == 4
    assert lines_matching(r"^rss at \d+ admissions [\d.]+ MiB, at 2000 [\d.]+ MiB: ratio last/first \d", out)
    assert lines_matching(r"^statuses: \{200: 2000\}", out)


def test_bench_rss_nested_smoke() -> None:
    out = run(str(BENCH / "bench_rss.py"), "--smoke", "--shape", "nested")
    assert lines_matching(r"^20 admissions of nested bodies \(\d+ bytes\)", out)
    assert lines_matching(r"^statuses: \{200: 20\}", out)
    assert lines_matching(r"^peak rss [\d.]+ MiB: the byte budget \(256 MiB\) [+-][\d.]+ MiB$", out)


def test_bench_verify_and_receive_smoke() -> None:
    out = run(str(BENCH / "bench_verify.py"), "--budget", "0.002", "--rounds", "1")
    assert len(lines_matching(r"^ *\d+ +[\d.]+ +[\d.]+ +[\d.]+x$", out)) == 4
    out = run(str(BENCH / "bench_receive.py"), "--requests", "100", "--rounds", "1")
    assert lines_matching(r"^ours/bare throughput\s+\d+\.\d\dx", out)


@pytest.mark.redis
def test_bench_redis_admission_smoke(redis_url: str) -> None:
    out = run(str(BENCH / "bench_redis_admission.py"), redis_url, "--count", "50", "--seconds", "5")
    assert len(lines_matching(r"^ +\S+ +\d+ admissions/s +\(50 done\)\s+x\d+\.\d\d vs sequential", out)) == 3


def test_run_all_runs_the_chosen_scripts_and_sums_up() -> None:
    needs_redis_server()  # run_all starts one for the scripts that need Redis
    out = run("-m", "benchmarks", "--smoke", "--only", "providers,verify")
    assert "=== providers: python3 benchmarks/bench_providers.py --smoke" in out
    assert lines_matching(r"^providers\s+exit 0", out)
    assert lines_matching(r"^verify\s+exit 0", out)


def test_compare_prints_after_before_ratios_of_two_outputs(tmp_path: Path) -> None:
    for name in ("before", "after"):
        out = run(str(BENCH / "bench_providers.py"), "--smoke", "--only", "github,stripe")
        (tmp_path / f"{name}.txt").write_text(out)
    out = run(str(BENCH / "compare.py"), str(tmp_path / "before.txt"), str(tmp_path / "after.txt"))
    assert lines_matching(r"^before: before\.txt \(hookreceiver \S+", out)
    for metric in ("verify github", "receive github", "verify stripe", "receive stripe"):
        assert lines_matching(rf"^{metric} +[\d.]+ +[\d.]+ +\d+\.\d\dx  us \(lower is better\)$", out), metric
