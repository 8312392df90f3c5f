"""``hookreceiver serve``: run a receiver's ASGI app with uvicorn (its workers run inside)."""

from __future__ import annotations

import argparse
import logging
import signal
from typing import Any

from hookreceiver.cli import LOG_LEVELS, command, load_receiver, setup_logging

__all__ = ["add_parsers"]


def add_parsers(sub: Any) -> None:
    """Add ``serve`` to the ``hookreceiver`` parser."""
    p = sub.add_parser("serve", help="run a receiver with uvicorn",
                       description="Run a receiver's ASGI app with uvicorn (its workers run inside).")
    p.add_argument("app", help="MODULE:ATTR of a HookReceiver")
    p.add_argument("--host", default="127.0.0.1",
                   help="interface to listen on; 0.0.0.0 for every interface (default: %(default)s)")
    p.add_argument("--port", type=int, default=8000, help="TCP port (default: %(default)s)")
    p.add_argument("--log-level", default="info", choices=LOG_LEVELS,
                   help="log level of hookreceiver and uvicorn (default: %(default)s)")


@command("serve")
def serve(args: argparse.Namespace) -> int:
    import uvicorn

    setup_logging(args.log_level)
    receiver = load_receiver(args.app)
    store = type(receiver.store).__name__
    logging.getLogger("hookreceiver").info(
        "serving %d endpoint(s) on http://%s:%d with %s", len(receiver.endpoints),
        args.host, args.port, store)
    # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal; exit 0 instead of dying
    # by it, so process managers see a clean stop.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    uvicorn.run(receiver, host=args.host, port=args.port, log_level=args.log_level,
                lifespan="on")
    return 0


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)
