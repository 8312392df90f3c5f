"""Per-provider verify cost, relative to one raw HMAC-SHA256 of the same bytes.

For every provider the testing kit signs (each name in ``hookreceiver.providers.PROVIDERS`` via
``hookreceiver.testing.build_request``, the key-pair forms of Standard Webhooks and Svix, and
PayPal, SNS, WeCom and DingTalk configured with test certificates or keys), a request is signed
once with the shipped sample payload. Timed, alternately, best of several rounds:

- ``verify``: ``provider.verify(request, now=...)``;
- ``receive``: ``receive_all(...)``: verify + decode + handshake + identify, the whole core;
- the baseline: ``hmac.new(key, request.body, hashlib.sha256).digest()``, the same body bytes.

    python3 benchmarks/bench_providers.py [--budget SECONDS] [--rounds N] [--only NAME,...] [--smoke]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import calibrate, header, per_call  # noqa: E402

from hookreceiver.core.delivery import HttpRequest  # noqa: E402
from hookreceiver.providers import PROVIDERS, SNS, DingTalk, PayPal, Provider, WeCom, receive_all  # noqa: E402
from hookreceiver.testing import build_request, provider_named  # noqa: E402
from hookreceiver.testing.certs import certificate_pair  # noqa: E402
from hookreceiver.testing.keys import KEY_PROVIDERS, key_pair  # noqa: E402

SECRET = "whsec_YmVuY2gtc2VjcmV0LWJlbmNoLXNlY3JldA=="  # base64 after whsec_: every HMAC provider takes it
# Providers whose secret has a form of its own.
SECRETS = {
    "adyen": "9f3c2a7be1d04c5688a1f0e2b7c4d9a63e5f1b8c0d2a4e6f8091a3b5c7d9e1f2",  # hex, as Adyen shows it
    "postmark": "bench:bench-password",  # basic auth user:password
    "telegram": "bench_secret-token",
}
KEY = b"bench-key"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as WeCom/DingTalk issue them
URL = "https://bench.example/hooks"

Case = tuple[str, Provider, HttpRequest]


def by_name(now: float) -> Iterator[Case | tuple[str, str]]:
    """Every provider of the name table, signed by the kit; the key-signed ones with a test key."""
    for name in sorted(PROVIDERS):
        forms = [] if name in ("discord", "sendgrid") else [(name, SECRETS.get(name, SECRET))]  # a key only
        if name in KEY_PROVIDERS:
            forms.append((f"{name} ({KEY_PROVIDERS[name]})", key_pair(name, seed="bench").private))
        for label, secret in forms:
            try:
                provider = provider_named(name, secret)
                yield label, provider, build_request(provider, timestamp=now, url=URL)
            except Exception as exc:  # reported as not measured, never hidden
                yield label, f"{type(exc).__name__}: {exc}"


def configured(now: float) -> Iterator[Case | tuple[str, str]]:
    """Providers outside the name table: built with the kit's test certificates and keys."""
    paypal = certificate_pair("paypal", "messageverificationcerts.paypal.com")
    sns = certificate_pair("sns", "sns.amazonaws.com")
    makers: list[tuple[str, Callable[[], Provider], str, object]] = [
        (
            "paypal (rsa)",
            lambda: PayPal(
                webhook_id="WH-BENCH",
                fetch=lambda url: paypal.certificate_pem,
                signing_key=paypal.private_pem,
            ),
            "PAYMENT.CAPTURE.COMPLETED",
            {
                "id": "WH-1",
                "event_type": "PAYMENT.CAPTURE.COMPLETED",
                "resource": {"id": "42311647XV020574X"},
            },
        ),
        (
            "sns (rsa)",
            lambda: SNS(
                topic_arns="arn:aws:sns:us-east-1:123456789012:bench",
                fetch=lambda url: sns.certificate_pem,
                signing_key=sns.private_pem,
            ),
            "arn:aws:sns:us-east-1:123456789012:bench",
            {"order": 1},
        ),
        (
            "wecom",
            lambda: WeCom(secret="bench-token", aes_key=AES_KEY, corp_id="wwbench"),
            "text",
            {"MsgType": "text", "Content": "hello", "MsgId": "1234567890123456789"},
        ),
        (
            "dingtalk",
            lambda: DingTalk(secret="bench-token", aes_key=AES_KEY, owner_key="dingbench"),
            "check_url",
            {"EventType": "check_url"},
        ),
    ]
    for label, make, topic, payload in makers:
        try:
            provider = make()
            yield label, provider, build_request(provider, payload, topic=topic, timestamp=now, url=URL)
        except Exception as exc:
            yield label, f"{type(exc).__name__}: {exc}"


def timers(provider: Provider, request: HttpRequest, now: float) -> dict[str, Callable[[], object]]:
    body = request.body

    def raw() -> object:
        return hmac.new(KEY, body, hashlib.sha256).digest()

    def verify() -> object:
        return provider.verify(request, now=now)

    def receive() -> object:
        return receive_all(provider, request, endpoint="/bench", now=now)

    return {"hmac": raw, "verify": verify, "receive": receive}


def best(fns: dict[str, Callable[[], object]], budget: float, rounds: int) -> dict[str, float]:
    for fn in fns.values():
        fn()  # a request the provider refuses fails here, before anything is timed
    calls = {name: calibrate(fn, budget) for name, fn in fns.items()}
    out = dict.fromkeys(fns, float("inf"))
    for _ in range(rounds):
        for name, fn in fns.items():  # alternate, so drift hits every side alike
            out[name] = min(out[name], per_call(fn, calls[name]))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=0.05, help="seconds per timed round and side")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per provider; the best counts")
    parser.add_argument("--only", default="", help="comma-separated labels' first words to run")
    parser.add_argument("--smoke", action="store_true", help="tiny budget, 1 round: checks it runs")
    args = parser.parse_args(argv)
    if args.smoke:
        args.budget, args.rounds = 0.002, 1
    only = {word.strip() for word in args.only.split(",") if word.strip()}
    now = time.time()
    print(header("bench_providers: verify and the whole core per provider vs one raw HMAC-SHA256"))
    print(f"best of {args.rounds} rounds of ~{args.budget:g} s per side; the shipped sample payloads\n")
    print(
        f"{'provider':<28} {'body B':>7} {'hmac us':>8} {'verify us':>10} {'receive us':>11} "
        f"{'verify/hmac':>12} {'receive/hmac':>13}"
    )
    failed = []
    for case in [*by_name(now), *configured(now)]:
        label = case[0]
        if only and label.split()[0] not in only:
            continue
        if len(case) == 2:
            failed.append(f"{label}: {case[1]}")
            continue
        _, provider, request = case
        try:
            t = best(timers(provider, request, now), args.budget, args.rounds)
        except Exception as exc:
            failed.append(f"{label}: {type(exc).__name__}: {exc}")
            continue
        print(
            f"{label:<28} {len(request.body):>7} {t['hmac'] * 1e6:>8.2f} {t['verify'] * 1e6:>10.2f} "
            f"{t['receive'] * 1e6:>11.2f} {t['verify'] / t['hmac']:>11.1f}x "
            f"{t['receive'] / t['hmac']:>12.1f}x",
            flush=True,
        )
    for line in failed:
        print(f"not measured: {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
