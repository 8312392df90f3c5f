"""Before/after ratios from two saved benchmark outputs (``run_all.py --output`` or a script's stdout).

    python3 benchmarks/compare.py BEFORE.txt AFTER.txt

Reads the summary lines the scripts print (``bench_http.py``'s median table, ``bench_drain.py``'s
``drain`` lines, ``bench_providers.py``'s rows, ``bench_rss.py``'s last checkpoint) from both
files and prints each number found in both, before and after, and the ratio after/before.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

HTTP_ROW = re.compile(
    r"^(floor|handrolled|embedded|redis|embedded-dup20|redis-dup20) +(\d+) +([\d.]+) +(\d+) +(\d+) +(\d+)",
    re.MULTILINE,
)
DRAIN = re.compile(r"^drain (\w+) +(\d+) deliveries/s", re.MULTILINE)
PROVIDER = re.compile(
    r"^(\S+(?: \(\w+\))?) +\d+ +[\d.]+ +([\d.]+) +([\d.]+) +[\d.]+x +[\d.]+x$", re.MULTILINE
)
VERSION = re.compile(r"hookreceiver (\S+(?: \(git \w+\+?\))?)$", re.MULTILINE)
RSS = re.compile(r"^rss at \d+ admissions [\d.]+ MiB, at (\d+) ([\d.]+) MiB", re.MULTILINE)
INSTRUCTIONS = re.compile(r"^(\w+) +([\d.]+) k instructions per request", re.MULTILINE)


def numbers(text: str) -> dict[str, tuple[float, str]]:
    """metric name -> (value, unit); a higher value is better unless the unit says otherwise."""
    found: dict[str, tuple[float, str]] = {}
    for name, rate, p99, non2xx, *_ in HTTP_ROW.findall(text):
        found[f"http {name} req/s"] = (float(rate), "req/s")
        found[f"http {name} p99"] = (float(p99), "ms (lower is better)")
        found[f"http {name} non-2xx"] = (float(non2xx), "answers (lower is better)")
    for kind, rate in DRAIN.findall(text):
        found[f"drain {kind}"] = (float(rate), "deliveries/s")
    for name, verify, receive in PROVIDER.findall(text):
        found[f"verify {name}"] = (float(verify), "us (lower is better)")
        found[f"receive {name}"] = (float(receive), "us (lower is better)")
    for name, count in INSTRUCTIONS.findall(text):
        found[f"instructions {name}"] = (float(count), "k per request (lower is better)")
    for admissions, rss in RSS.findall(text):
        found[f"rss after {admissions} admissions"] = (float(rss), "MiB (lower is better)")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    before, after = numbers(args.before.read_text()), numbers(args.after.read_text())
    common = [name for name in before if name in after]
    if not common:
        print("no number appears in both files", file=sys.stderr)
        return 1
    texts = {"before": args.before, "after": args.after}
    for label, path in texts.items():
        versions = sorted(set(VERSION.findall(path.read_text())))
        print(f"{label}: {path.name} (hookreceiver {', '.join(versions) or 'unknown'})")
    print(f"{'metric':<36} {'before':>10} {'after':>10} {'after/before':>13}  unit")
    for name in common:
        (old, unit), (new, _) = before[name], after[name]
        ratio = f"{new / old:.2f}x" if old else "-"
        print(f"{name:<36} {old:>10g} {new:>10g} {ratio:>13}  {unit}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
