"""The ``hookreceiver`` command: serve a receiver, send signed sample deliveries, and more."""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import signal
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hookreceiver.core.delivery import HttpRequest
from hookreceiver.exceptions import ConfigurationError
from hookreceiver.providers.base import Provider
from hookreceiver.receiver import HookReceiver

__all__ = ["load_receiver", "main"]

DESCRIPTION = ("Receive webhooks: serve a receiver, send signed sample deliveries to it, run workers, "
               "replay deliveries and manage dead letters.")
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")

Command = Callable[[argparse.Namespace], int]
_COMMANDS: dict[str, Command] = {}


def command(name: str) -> Callable[[Command], Command]:
    def register(fn: Command) -> Command:
        _COMMANDS[name] = fn
        return fn

    return register


def load_receiver(spec: str) -> HookReceiver:
    """Import ``MODULE:ATTR`` (the current directory is importable) and return the receiver."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ConfigurationError(f"expected MODULE:ATTR, got {spec!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigurationError(f"cannot import {module_name!r} from {spec}: {exc}") from None
    if not hasattr(module, attr):
        raise ConfigurationError(f"module {module_name!r} has no attribute {attr!r}")
    receiver = getattr(module, attr)
    if not isinstance(receiver, HookReceiver):
        raise ConfigurationError(f"{spec} is not a HookReceiver (got {type(receiver).__name__})")
    return receiver


def _setup_logging(level: str) -> None:
    logging.basicConfig(level=level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@command("serve")
def serve(args: argparse.Namespace) -> int:
    import uvicorn

    _setup_logging(args.log_level)
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


def _payload(data: str | None) -> Any:
    if data is None:
        return {}
    if data == "-":
        return json.load(sys.stdin)
    try:
        is_file = Path(data).is_file()
    except OSError:  # inline JSON longer than a file name may be
        is_file = False
    try:
        if is_file:
            return json.loads(Path(data).read_bytes())
        return json.loads(data)
    except ValueError as exc:
        raise ConfigurationError(f"--data is not valid JSON: {exc}") from None


def _signer_for(args: argparse.Namespace) -> Provider:
    if args.app:
        receiver = load_receiver(args.app)
        url_path = urlsplit(args.url).path.rstrip("/")
        for path, endpoint in receiver.endpoints.items():
            if url_path == path or url_path.endswith(path):
                return endpoint.provider
        raise ConfigurationError(f"no endpoint of {args.app} matches {url_path!r}")
    from hookreceiver.providers import PROVIDERS

    if args.provider not in PROVIDERS:
        raise ConfigurationError(
            f"unknown provider {args.provider!r}; known: {', '.join(sorted(PROVIDERS))}")
    if not args.secret:
        raise ConfigurationError("--secret is required with --provider")
    return PROVIDERS[args.provider](secret=args.secret)


def _send_payload(signer: Provider, args: argparse.Namespace) -> Any:
    """``--data``; else our sample for the provider and topic; else a usage error naming the samples."""
    if args.data is not None:
        return _payload(args.data)
    from hookreceiver.testing.payloads import sample

    try:
        return sample(signer.name, args.topic)
    except LookupError as exc:
        raise ConfigurationError(f"{exc}; pass --data with a payload for this topic") from None


def post(request: HttpRequest, *, timeout: float = 10.0) -> tuple[int, bytes]:
    """Send a signed request over HTTP; returns status and body (errors included)."""
    outgoing = urllib.request.Request(
        request.url, data=request.body if request.method != "GET" else None,
        headers=dict(request.headers), method=request.method)
    try:
        with urllib.request.urlopen(outgoing, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@command("send")
def send(args: argparse.Namespace) -> int:
    from hookreceiver.testing.signing import build_request

    signer = _signer_for(args)
    try:
        request = build_request(signer, _send_payload(signer, args), topic=args.topic,
                                delivery_id=args.id, fresh_id=args.id is None, timestamp=time.time(),
                                url=args.url, secret_index=args.secret_index)
    except NotImplementedError as exc:  # a provider without sign()
        raise ConfigurationError(str(exc)) from None
    try:
        status, body = post(request)
    except OSError as exc:  # connection refused, DNS, timeout (URLError is an OSError)
        print(f"hookreceiver: cannot reach {args.url}: {getattr(exc, 'reason', exc)}", file=sys.stderr)
        return 1
    print(f"{status} {body.decode(errors='replace')}")
    return 0 if 200 <= status < 300 else 1


def build_parser() -> argparse.ArgumentParser:
    from hookreceiver.providers import PROVIDERS

    parser = argparse.ArgumentParser(prog="hookreceiver", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run a receiver with uvicorn",
                       description="Run a receiver's ASGI app with uvicorn (its workers run inside).")
    p.add_argument("app", help="MODULE:ATTR of a HookReceiver")
    p.add_argument("--host", default="127.0.0.1",
                   help="interface to listen on; 0.0.0.0 for every interface (default: %(default)s)")
    p.add_argument("--port", type=int, default=8000, help="TCP port (default: %(default)s)")
    p.add_argument("--log-level", default="info", choices=LOG_LEVELS,
                   help="log level of hookreceiver and uvicorn (default: %(default)s)")

    p = sub.add_parser("send", help="post a correctly signed sample delivery",
                       description="Sign a delivery as a provider would and POST it to URL.")
    p.add_argument("url", help="the endpoint's URL, e.g. http://127.0.0.1:8000/orders")
    p.add_argument("--topic", required=True,
                   help="the event type to send, e.g. order.created; without --data a shipped sample "
                   "exists only for some topics of each provider (exit 2 names them)")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--app", help="MODULE:ATTR: sign as the endpoint at the URL's path expects")
    who.add_argument("--provider", metavar="NAME",
                     help="a provider name, signed with --secret: " + ", ".join(sorted(PROVIDERS)))
    p.add_argument("--secret", help="the secret, with --provider")
    p.add_argument("--secret-index", type=int, default=0, help="which configured secret to use")
    p.add_argument("--id", help="the delivery id (default: a new one in the provider's style, so "
                   "each send is a new delivery; --id with the same value sends a duplicate)")
    p.add_argument("--data", help="JSON payload: a file, inline JSON, or - for stdin "
                   "(default: the sample shipped for this provider and topic)")

    from hookreceiver.cli_ops import add_ops_parsers  # worker, replay, dead-letters

    add_ops_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        try:
            return _COMMANDS[args.command](args)
        except ConfigurationError as exc:
            print(f"hookreceiver: {exc}", file=sys.stderr)
            return 2
    except BrokenPipeError:  # the reader went away (``| head``): stop quietly, as Unix tools do
        return _stdout_gone()


def _stdout_gone() -> int:
    # Point stdout at /dev/null so the interpreter's final flush cannot fail a second time.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 141  # 128 + SIGPIPE: what a shell reports for a tool stopped by a closed pipe


if __name__ == "__main__":
    raise SystemExit(main())
