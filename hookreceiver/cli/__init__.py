"""The ``hookreceiver`` command: the command registry, ``main`` and what every command shares.

Each command group lives in its own module (``serve``, ``send``, ``ops`` for worker, replay and
dead letters) with an ``add_parsers(sub)`` function and its commands registered by name with
``@command``. A new command goes in a new module (or its group's), listed in ``GROUPS``. The
modules import only the public names here, never each other.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence

from hookreceiver.exceptions import ConfigurationError
from hookreceiver.logtext import escaped
from hookreceiver.receiver import HookReceiver

__all__ = [
    "LOG_LEVELS",
    "Command",
    "at_least",
    "build_parser",
    "command",
    "load_receiver",
    "main",
    "printable",
    "setup_logging",
    "when",
]

DESCRIPTION = (
    "Receive webhooks: serve a receiver, send signed sample deliveries to it, run workers, "
    "inspect deliveries and counters, replay deliveries and manage dead letters."
)
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")

Command = Callable[[argparse.Namespace], int]
_COMMANDS: dict[str, Command] = {}
# The command groups, in the order ``--help`` lists them: modules of this package.
GROUPS = ("serve", "send", "ops", "inspect")


def command(name: str) -> Callable[[Command], Command]:
    """Register ``fn`` as the implementation of the subcommand ``name``."""

    def register(fn: Command) -> Command:
        _COMMANDS[name] = fn
        return fn

    return register


def at_least(minimum: int) -> Callable[[str], int]:
    """An argparse ``type``: an integer no smaller than ``minimum`` (else a clear usage error)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    parse.__name__ = "number"  # argparse names the type in its messages
    return parse


def when(timestamp: float) -> str:
    """A Unix time as ISO 8601 UTC, to the second."""
    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC).isoformat(timespec="seconds")


def printable(text: str, keep: str = "") -> str:
    """Sender-controlled text safe for a terminal: control, bidi and other invisible characters
    (except those in ``keep``) are shown as escapes, so a body cannot send escape sequences."""
    return escaped(text, keep=keep)


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


def setup_logging(level: str) -> None:
    """Log to stderr at ``level`` (one of ``LOG_LEVELS``), with time, level and logger name;
    one JSON object per line when ``HOOKRECEIVER_LOG_FORMAT=json``."""
    from hookreceiver.settings import Settings

    if Settings().log_format == "json":
        from hookreceiver.logs import JsonFormatter

        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        logging.basicConfig(level=level.upper(), handlers=[handler])
        return
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def build_parser() -> argparse.ArgumentParser:
    """The ``hookreceiver`` argument parser, with every group's subcommands."""
    from hookreceiver import __version__

    parser = argparse.ArgumentParser(prog="hookreceiver", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"hookreceiver {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        importlib.import_module(f"{__name__}.{group}").add_parsers(sub)
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
