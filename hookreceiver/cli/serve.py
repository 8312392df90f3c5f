"""``hookreceiver serve``: run a receiver's ASGI app with uvicorn (its workers run inside)."""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import signal
from collections.abc import Callable
from typing import Any

from hookreceiver import defaults
from hookreceiver.cli import LOG_LEVELS, at_least, command, load_receiver, setup_logging
from hookreceiver.exceptions import ConfigurationError
from hookreceiver.server import HEADER_TIMEOUT_ENV

__all__ = ["add_parsers"]


def add_parsers(sub: Any) -> None:
    """Add ``serve`` to the ``hookreceiver`` parser."""
    p = sub.add_parser(
        "serve",
        help="run a receiver with uvicorn",
        description="Run a receiver's ASGI app with uvicorn (its workers run inside).",
    )
    p.add_argument("app", help="MODULE:ATTR of a HookReceiver")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="interface to listen on; 0.0.0.0 for every interface (default: %(default)s)",
    )
    p.add_argument("--port", type=int, default=8000, help="TCP port (default: %(default)s)")
    p.add_argument(
        "--log-level",
        default="info",
        choices=LOG_LEVELS,
        help="log level of hookreceiver and uvicorn (default: %(default)s)",
    )
    p.add_argument(
        "--workers",
        type=at_least(1),
        default=1,
        help="web processes sharing the port; more than 1 needs a shared (Redis) store "
        "(default: %(default)s)",
    )
    p.add_argument(
        "--proxy-headers",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="take client address and scheme from X-Forwarded-For/-Proto, when sent by "
        "one of --forwarded-allow-ips (default: on, as in uvicorn)",
    )
    p.add_argument(
        "--forwarded-allow-ips",
        default=None,
        metavar="IPS",
        help="comma-separated proxy addresses trusted with --proxy-headers (default: uvicorn's, 127.0.0.1)",
    )
    p.add_argument(
        "--root-path",
        default="",
        metavar="PATH",
        help="the path prefix a proxy strips before forwarding (ASGI root_path)",
    )
    limits = p.add_argument_group(
        "connection limits", "what an unauthenticated client can hold; see docs/deploying.md"
    )
    for flag, parse, default, metavar, text in _LIMITS:
        limits.add_argument(flag, type=parse, default=default, metavar=metavar, help=text)
    limits.add_argument(
        "--http",
        choices=("auto", "httptools", "h11"),
        default="auto",
        help="uvicorn's HTTP parser; auto = httptools when installed, else h11 (default: %(default)s)",
    )
    p.add_argument(
        "--access-log",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="uvicorn's access line per request, with the query string redacted and the path "
        "cut at 200 characters (default: on)",
    )
    p.add_argument(
        "--no-check-store",
        dest="check_store",
        action="store_false",
        help="start even when the store does not answer (by default serve exits with an "
        "error when it cannot reach Redis)",
    )


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


# The connection limits with a number each: flag, type, default, metavar, help.
_LIMITS: tuple[tuple[str, Callable[[str], Any], Any, str, str], ...] = (
    (
        "--limit-concurrency",
        _non_negative,
        defaults.LIMIT_CONCURRENCY,
        "N",
        "connections (or requests in progress) per process past which requests get 503; keep it "
        "under the open-file limit (ulimit -n); 0 = no limit (default: %(default)s)",
    ),
    (
        "--timeout-keep-alive",
        _non_negative,
        defaults.KEEP_ALIVE,
        "SECONDS",
        "close an idle keep-alive connection after this long (default: %(default)s)",
    ),
    (
        "--header-timeout",
        _positive_float,
        None,
        "SECONDS",
        "close a connection that has not sent a request's headers this long after it opened "
        "or after its last response (default: HOOKRECEIVER_HEADER_TIMEOUT, else "
        f"{defaults.HEADER_TIMEOUT:g})",
    ),
    (
        "--max-header-size",
        at_least(1),
        defaults.MAX_HEADER_SIZE,
        "BYTES",
        "largest request line plus headers; larger is refused (default: %(default)s)",
    ),
)


def _protocol(choice: str) -> str:
    """The import string of our protocol class for ``--http`` (every worker process imports it)."""
    if choice == "auto":
        choice = "httptools" if importlib.util.find_spec("httptools") is not None else "h11"
    if choice == "httptools":
        if importlib.util.find_spec("httptools") is None:
            raise ConfigurationError("--http httptools needs httptools installed (pip install httptools)")
        return "hookreceiver.server.httptools_protocol:HttpToolsProtocol"
    return "hookreceiver.server.h11_protocol:H11Protocol"


def _store_problem(receiver: Any) -> str | None:
    """Why the receiver's store does not answer (one round trip), or ``None``. Only for a receiver
    that is not served afterwards: its store client is closed on this event loop."""
    import asyncio

    from hookreceiver.health import check_store

    async def probe() -> str | None:
        try:
            return await check_store(receiver.store)
        finally:
            await receiver.store.close()

    return asyncio.run(probe())


@command("serve")
def serve(args: argparse.Namespace) -> int:
    import uvicorn

    setup_logging(args.log_level)
    receiver = load_receiver(args.app)
    store = type(receiver.store).__name__
    if args.workers > 1 and not receiver.store.shared:
        raise ConfigurationError(
            "--workers > 1 needs a shared store: each process would have its own "
            "in-memory store; set HOOKRECEIVER_REDIS_URL"
        )
    if args.check_store:
        if args.workers > 1:  # the processes import their own receivers: probe with this one now
            if (problem := _store_problem(receiver)) is not None:
                raise ConfigurationError(f"{_NO_STORE}: {problem}; {_FIX}")
        else:  # probed at startup, on the server's own event loop (see HookReceiver.start)
            receiver.check_store_on_start = True
    logging.getLogger("hookreceiver").info(
        "serving %d endpoint(s) on http://%s:%d with %s", len(receiver.endpoints), args.host, args.port, store
    )
    # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal; exit 0 instead of dying
    # by it, so process managers see a clean stop.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    if args.header_timeout is not None:  # read by the protocol in every worker process
        os.environ[HEADER_TIMEOUT_ENV] = repr(args.header_timeout)
    options: dict[str, Any] = {
        "proxy_headers": args.proxy_headers,
        "root_path": args.root_path,
        "http": _protocol(args.http),
        "limit_concurrency": args.limit_concurrency or None,
        "timeout_keep_alive": args.timeout_keep_alive,
        "h11_max_incomplete_event_size": args.max_header_size,
    }
    if args.forwarded_allow_ips is not None:
        options["forwarded_allow_ips"] = args.forwarded_allow_ips
    # Several processes need an import string (each imports the app itself); one takes the object.
    app: Any = args.app if args.workers > 1 else receiver
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        log_config=_log_config(),
        access_log=args.access_log,
        lifespan="on",
        workers=args.workers,
        **options,
    )
    return 0


def _log_config() -> dict[str, Any]:
    """uvicorn's own logging setup, its access lines passed through ``AccessLogRedactor``.

    A dictConfig (not a filter added here) so that every ``--workers`` process installs it too.
    """
    from copy import deepcopy

    from uvicorn.config import LOGGING_CONFIG

    config = deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["hookreceiver_redact"] = {"()": "hookreceiver.logs.AccessLogRedactor"}
    config["loggers"].setdefault("uvicorn.access", {})["filters"] = ["hookreceiver_redact"]
    return config


_NO_STORE = "the store does not answer"
_FIX = "start Redis or fix HOOKRECEIVER_REDIS_URL (--no-check-store starts anyway)"


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)
