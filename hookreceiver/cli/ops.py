"""The operations commands of ``hookreceiver``: ``worker``, ``replay`` and ``dead-letters``.

They need a store shared between processes (``HOOKRECEIVER_REDIS_URL``); ``--app MODULE:ATTR``
loads a receiver to take its store and handlers from. The Python API is :mod:`hookreceiver.ops`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import traceback
from collections.abc import Callable, Coroutine
from typing import Any

from hookreceiver.cli import LOG_LEVELS, at_least, command, load_receiver, printable, setup_logging, when
from hookreceiver.exceptions import ConfigurationError, StoreError
from hookreceiver.ops import (
    find_dead_letters,
    replay_all,
    resolve_key,
    run_handlers,
    run_worker,
    shared_store,
)
from hookreceiver.stores.base import DeadLetter, Store

__all__ = ["add_parsers"]

STORE_DOWN = 3


def _run(work: Callable[[], Coroutine[Any, Any, int]]) -> int:
    try:
        return asyncio.run(work())
    except StoreError as exc:
        print(f"hookreceiver: {exc}", file=sys.stderr)
        return STORE_DOWN


def _store(args: argparse.Namespace) -> tuple[Store, dict[str, Any]]:
    receiver = load_receiver(args.app) if getattr(args, "app", None) else None
    endpoints: dict[str, Any] = dict(receiver.endpoints) if receiver is not None else {}
    return shared_store(receiver), endpoints


@command("worker")
def worker(args: argparse.Namespace) -> int:
    setup_logging(args.log_level)
    receiver = load_receiver(args.app)
    shared_store(receiver)  # refuse the in-memory store before starting anything
    return _run(lambda: _worker(receiver, args.concurrency))


async def _worker(receiver: Any, concurrency: int | None) -> int:
    await run_worker(receiver, concurrency=concurrency)
    return 0


class Progress:
    """``replaying 37/120`` on stderr: one line rewritten in place on a terminal, else a line at
    every tenth of the way (so a log file gets at most about ten)."""

    def __init__(self, verb: str) -> None:
        self.verb = verb
        self.tty = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        if self.tty:
            end = "\n" if done == total else ""
            print(f"\r{self.verb} {done}/{total}", end=end, file=sys.stderr, flush=True)
        elif done == total or done * 10 // total != (done - 1) * 10 // total:
            print(f"{self.verb} {done}/{total}", file=sys.stderr, flush=True)


async def _replay_all(store: Store, limit: int | None) -> int:
    queued, gone = await replay_all(store, limit=limit, progress=Progress("replaying"))
    if queued + gone == 0:
        print("no dead letters", file=sys.stderr)
        return 0
    note = f"; {gone} no longer dead (expired, purged or replayed meanwhile)" if gone else ""
    print(f"replayed {queued} dead letter(s) as attempt 1{note}")
    return 0


@command("replay")
def replay(args: argparse.Namespace) -> int:
    if args.all:
        if args.inline:
            raise ConfigurationError("--inline runs one delivery; --all queues every dead letter")
        return _run(lambda: _dead_letters_replay_all(args))
    if args.inline and not args.app:
        raise ConfigurationError("--inline runs the handlers here: it needs --app MODULE:ATTR")
    if not (args.key.startswith("/") or args.app or args.endpoint):
        raise ConfigurationError(
            f"a bare delivery id ({args.key}) needs --endpoint PATH or "
            "--app MODULE:ATTR, or give the key as /path:delivery_id"
        )
    return _run(lambda: _replay(args))


async def _dead_letters_replay_all(args: argparse.Namespace) -> int:
    store, _ = _store(args)
    try:
        return await _replay_all(store, args.limit)
    finally:
        await store.close()


async def _replay(args: argparse.Namespace) -> int:
    store, endpoints = _store(args)
    try:
        key = await resolve_key(store, args.key, endpoint=args.endpoint, endpoints=endpoints)
        if key is None:
            print(f"not retained: {args.key}", file=sys.stderr)
            return 1
        if not args.inline:
            await store.replay(key)
            print(f"queued {key} as attempt 1")
            return 0
        delivery = await store.get(key)
        assert delivery is not None
        try:
            count = await run_handlers(load_receiver(args.app), delivery.with_attempt(1))
        except Exception:
            traceback.print_exc()
            print(f"failed {key}", file=sys.stderr)
            return 1
        print(f"handled {key} inline ({count} handler(s); the store was not changed)")
        return 0
    finally:
        await store.close()


def _summary(dead: DeadLetter) -> dict[str, Any]:
    last_line = dead.error.strip().splitlines()[-1] if dead.error.strip() else ""
    return {
        "key": dead.delivery.key,
        "topic": dead.delivery.topic,
        "attempts": dead.attempts,
        "failed_at": when(dead.failed_at),
        "error": last_line,
    }


def _line(dead: DeadLetter) -> str:
    fields = {name: printable(str(value)) for name, value in _summary(dead).items()}
    return "{key}  {topic}  attempts={attempts}  failed_at={failed_at}  {error}".format(**fields)


def _show(dead: DeadLetter) -> str:
    d = dead.delivery
    names = ", ".join(printable(name) for name in sorted(d.headers))  # names only: values may be secrets
    lines = [
        f"key:          {printable(d.key)}",
        f"provider:     {d.provider}",
        f"topic:        {printable(d.topic)}",
        f"delivery id:  {printable(d.delivery_id)} ({d.id_source})",
        f"received at:  {when(d.received_at)}",
        f"failed at:    {when(dead.failed_at)} after {dead.attempts} attempt(s)",
        f"headers:      {names}",
        f"body:         {len(d.body)} bytes",
        printable(d.body.decode("utf-8", errors="replace"), keep="\n\t"),
        "last error:",
        printable(dead.error, keep="\n\t"),
    ]
    return "\n".join(lines)


@command("dead-letters")
def dead_letters(args: argparse.Namespace) -> int:
    if args.action in ("show", "replay", "purge") and not (args.key or getattr(args, "all", False)):
        raise ConfigurationError(
            f"dead-letters {args.action} needs a KEY" + (" or --all" if args.action != "show" else "")
        )
    return _run(lambda: _dead_letters(args))


async def _dead_letters(args: argparse.Namespace) -> int:
    store, endpoints = _store(args)
    try:
        if args.action == "purge" and args.all:
            print(f"purged {await store.purge_dead()} dead letter(s)")
            return 0
        if args.action == "list":
            return await _list(store, args)
        if args.action == "replay" and args.all:
            return await _replay_all(store, args.limit)
        chosen = await find_dead_letters(store, args.key, endpoint=args.endpoint, endpoints=endpoints)
        if not chosen:
            print(f"no dead letter {args.key}", file=sys.stderr)
            return 1
        for item in chosen:
            if args.action == "show":
                print(_show(item))
            elif args.action == "replay":
                await store.replay(item.delivery.key)
                print(f"queued {item.delivery.key} as attempt 1")
            else:
                await store.purge_dead(item.delivery.key)
                print(f"purged {item.delivery.key}")
        return 0
    finally:
        await store.close()


async def _list(store: Store, args: argparse.Namespace) -> int:
    """One page of dead letters; notes go to stderr, so ``--json`` output stays clean."""
    listed = await store.dead_letters(limit=args.limit + 1, offset=args.offset)
    more = len(listed) > args.limit
    for item in listed[: args.limit]:
        print(json.dumps(_summary(item)) if args.json else _line(item))
    if not listed:
        print("no dead letters" + (f" past the first {args.offset}" if args.offset else ""), file=sys.stderr)
    elif more:
        shown, following = f"{args.offset + 1}-{args.offset + args.limit}", args.offset + args.limit
        print(
            f"showing {shown}; more dead letters exist: --offset {following} for the next page",
            file=sys.stderr,
        )
    return 0


def add_parsers(sub: Any) -> None:
    """Add ``worker``, ``replay`` and ``dead-letters`` to the ``hookreceiver`` parser."""
    p = sub.add_parser(
        "worker",
        help="run handlers from the shared store until SIGTERM",
        description="Take deliveries from the shared (Redis) store and run the receiver's handlers "
        "until SIGTERM or SIGINT; in-flight ones get the shutdown grace, the rest go back.",
    )
    p.add_argument("app", help="MODULE:ATTR of a HookReceiver")
    p.add_argument("--concurrency", type=at_least(1), help="deliveries run at once (default: settings)")
    p.add_argument("--log-level", default="info", choices=LOG_LEVELS, help="log level (default: %(default)s)")

    p = sub.add_parser(
        "replay",
        help="run a retained delivery again (exact stored bytes)",
        description="Queue a retained delivery (dead or not) again as attempt 1, from its exact "
        "stored bytes; --inline runs its handlers here instead; --all replays every dead letter.",
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("key", nargs="?", metavar="KEY_OR_DELIVERY_ID", help="/path:delivery_id, or an id")
    which.add_argument("--all", action="store_true", help="every dead letter, with progress on stderr")
    p.add_argument("--app", help="MODULE:ATTR: its store, endpoints (and handlers with --inline)")
    p.add_argument("--endpoint", help="the endpoint path a bare delivery id belongs to")
    p.add_argument(
        "--inline",
        action="store_true",
        help="run the handlers in this process now instead of queueing for workers",
    )
    p.add_argument("--limit", type=at_least(1), help="with --all, replay only the N oldest")

    p = sub.add_parser(
        "dead-letters",
        help="list, show, replay or purge dead letters",
        description="Deliveries whose handlers failed on every attempt: list them a page at a "
        "time, show one in full, queue them again or drop them.",
    )
    actions = p.add_subparsers(dest="action", required=True)
    key_help = "/path:delivery_id, or a bare delivery id"
    for action, text in (
        ("list", "list dead letters, oldest first, a page at a time"),
        ("show", "show one in full"),
        ("replay", "queue again as attempt 1"),
        ("purge", "drop for good"),
    ):
        a = actions.add_parser(action, help=text, description=text[0].upper() + text[1:] + ".")
        if action == "show":
            a.add_argument("key", metavar="KEY", help=key_help)
        elif action in ("replay", "purge"):
            which = a.add_mutually_exclusive_group(required=True)
            which.add_argument("key", nargs="?", metavar="KEY", help=key_help)
            which.add_argument("--all", action="store_true", help="every dead letter")
        a.add_argument(
            "--app",
            help="MODULE:ATTR of a receiver whose (Redis) store to use (default: HOOKRECEIVER_REDIS_URL)",
        )
        if action != "list":
            a.add_argument("--endpoint", help="the endpoint path a bare delivery id belongs to")
        if action == "list":
            a.add_argument(
                "--limit", type=at_least(1), default=100, help="dead letters per page (default: %(default)s)"
            )
            a.add_argument(
                "--offset",
                type=at_least(0),
                default=0,
                help="skip this many, oldest first: the next page starts at offset + limit",
            )
            a.add_argument("--json", action="store_true", help="one JSON object per line")
        elif action == "replay":
            a.add_argument("--limit", type=at_least(1), help="with --all, replay only the N oldest")
