"""``hookreceiver inspect`` (one retained delivery, in full) and ``stats`` (the store's counters).

Both read a store shared between processes (``HOOKRECEIVER_REDIS_URL``, or ``--app MODULE:ATTR``
for a receiver's Redis store). ``inspect`` prints header values, except those of headers that
carry secrets (signatures, tokens, keys: see :func:`secret_name`), which it shows as
``[redacted]``; query values in the URL are treated the same way.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import re
import sys
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from hookreceiver.cli import command, load_receiver, printable, when
from hookreceiver.exceptions import StoreError
from hookreceiver.ops import resolve_key, shared_store
from hookreceiver.stores.base import Claim, Store, StoreStats

__all__ = ["add_parsers", "redact_url", "secret_name"]

STORE_DOWN = 3
REDACTED = "[redacted]"
# Header and query names whose values prove who sent a request, or could be used to send one.
_SECRET = re.compile(r"sig|token|secret|hmac|auth|key|passw|cookie|credential|session", re.IGNORECASE)
_HARMLESS = re.compile(r"(timestamp|nonce|algo|version)$", re.IGNORECASE)


def secret_name(name: str) -> bool:
    """Whether a header or query parameter ``name`` may carry a secret (shown redacted)."""
    return bool(_SECRET.search(name)) and not _HARMLESS.search(name)


def redact_url(url: str) -> str:
    """``url`` with the values of secret-bearing query parameters redacted."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = [
        (k, REDACTED if secret_name(k) else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(parts._replace(query=urlencode(pairs, safe="[]")))


def _run(work: Any) -> int:
    try:
        result: int = asyncio.run(work)
        return result
    except StoreError as exc:
        print(f"hookreceiver: {exc}", file=sys.stderr)
        return STORE_DOWN


def _store(args: argparse.Namespace) -> tuple[Store, dict[str, Any]]:
    receiver = load_receiver(args.app) if args.app else None
    endpoints: dict[str, Any] = dict(receiver.endpoints) if receiver is not None else {}
    return shared_store(receiver), endpoints


def _headers(claim: Claim) -> dict[str, str]:
    return {
        name: REDACTED if secret_name(name) else value
        for name, value in sorted(claim.delivery.headers.items())
    }


def _record(key: str, claim: Claim) -> dict[str, Any]:
    d = claim.delivery
    return {
        "key": key,
        "state": claim.state.value,
        "provider": d.provider,
        "topic": d.topic,
        "delivery_id": d.delivery_id,
        "id_source": d.id_source,
        "received_at": when(d.received_at),
        "attempts": d.attempt,
        "last_error": claim.error,
        "method": d.method,
        "url": redact_url(d.url),
        "headers": _headers(claim),
        "body": d.body.decode("utf-8", errors="replace"),
    }


def _text(record: dict[str, Any]) -> str:
    shown = {k: printable(str(v)) for k, v in record.items() if k not in ("headers", "body", "last_error")}
    lines = [f"{name + ':':<14}{value}" for name, value in shown.items()]
    lines.append("headers:")
    lines += [f"  {printable(name)}: {printable(value)}" for name, value in record["headers"].items()]
    body = record["body"]
    lines += [f"body:         {len(body.encode())} bytes", printable(body, keep="\n\t")]
    lines += ["last error:", printable(record["last_error"], keep="\n\t") or "(none)"]
    return "\n".join(lines)


@command("inspect")
def inspect(args: argparse.Namespace) -> int:
    return _run(_inspect(args))


async def _inspect(args: argparse.Namespace) -> int:
    store, endpoints = _store(args)
    try:
        key = await resolve_key(store, args.key, endpoint=args.endpoint, endpoints=endpoints)
        claim = await store.describe(key) if key is not None else None
        if key is None or claim is None:
            hint = (
                ""
                if args.key.startswith("/") or args.endpoint or endpoints
                else " (give /path:id or --endpoint)"
            )
            print(f"not retained: {printable(args.key)}{hint}", file=sys.stderr)
            return 1
        record = _record(key, claim)
        print(json.dumps(record) if args.json else _text(record))
        return 0
    finally:
        await store.close()


def _stats_text(stats: StoreStats) -> str:
    rejected = sum(stats.rejected.values())
    reasons = ", ".join(f"{reason}={n}" for reason, n in sorted(stats.rejected.items()))
    rows = [
        ("admitted", f"{stats.admitted}"),
        ("duplicates", f"{stats.duplicates}"),
        ("unrouted", f"{stats.unrouted}"),
        ("rejected", f"{rejected}" + (f"  ({reasons})" if reasons else "")),
        ("handled", f"{stats.handled}"),
        ("failed", f"{stats.failed}  (runs whose handler raised)"),
        ("dead", f"{stats.dead}"),
        ("depth", f"{stats.depth}  (running {stats.running}, retries scheduled {stats.scheduled})"),
        ("lag", f"{stats.oldest_age:.1f} s  (the oldest waiting delivery)"),
    ]
    return "\n".join(f"{name:<12}{value}" for name, value in rows)


@command("stats")
def stats(args: argparse.Namespace) -> int:
    return _run(_stats(args))


async def _stats(args: argparse.Namespace) -> int:
    store, _ = _store(args)
    try:
        result = await store.stats()
    finally:
        await store.close()
    if args.json:
        print(json.dumps({**dataclasses.asdict(result), "rejected": dict(result.rejected)}))
    else:
        print(_stats_text(result))
    return 0


def add_parsers(sub: Any) -> None:
    """Add ``inspect`` and ``stats`` to the ``hookreceiver`` parser."""
    store_help = "MODULE:ATTR of a receiver whose (Redis) store to use (default: HOOKRECEIVER_REDIS_URL)"
    p = sub.add_parser(
        "inspect",
        help="show one retained delivery: state, attempts, last error, headers, body",
        description="Show one retained delivery (pending, failed, done or dead): its state, "
        "attempts, last error, headers (secret-bearing values redacted) and exact body.",
    )
    p.add_argument("key", metavar="KEY_OR_DELIVERY_ID", help="/path:delivery_id, or a bare delivery id")
    p.add_argument("--app", help=store_help + "; its endpoints resolve a bare id")
    p.add_argument("--endpoint", help="the endpoint path a bare delivery id belongs to")
    p.add_argument("--json", action="store_true", help="one JSON object")

    p = sub.add_parser(
        "stats",
        help="show the store's counters and the inbox depth and lag",
        description="Show the shared store's cumulative counters (admitted, duplicates, "
        "rejected by reason, handled, failed, dead) and the inbox now (depth, lag).",
    )
    p.add_argument("--app", help=store_help)
    p.add_argument("--json", action="store_true", help="one JSON object")
