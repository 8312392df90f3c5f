"""``python3 -m tests.fuzz --examples N [--target NAME ...]``: run the fuzz targets."""

from __future__ import annotations

import argparse
import sys

from tests.fuzz import TARGETS, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m tests.fuzz", description=__doc__)
    parser.add_argument(
        "--examples", type=int, default=1000, help="examples per target (default: %(default)s)"
    )
    parser.add_argument(
        "--target", action="append", choices=sorted(TARGETS), help="run only these (repeatable)"
    )
    parser.add_argument("--list", action="store_true", help="list the targets and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(TARGETS))
        return 0
    return 0 if run(args.examples, args.target) else 1


if __name__ == "__main__":
    sys.exit(main())
