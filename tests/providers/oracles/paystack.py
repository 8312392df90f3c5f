"""Checks samples/paystack/charge_success with two Python Paystack libraries that verify
``x-paystack-signature``: pypaystack2's ``PaystackClient.is_verified_webhook_payload`` and
paystackease's ``PayStackSignature.verify_headers``. Not in the test extra (pypaystack2 3.4.0 requires
pydantic>=2.14, an upgrade of the test environment), so run it in a scratch environment:

    python3 -m venv /tmp/oracles/venv
    /tmp/oracles/venv/bin/pip install pypaystack2==3.4.0 paystackease==2.3.7
    /tmp/oracles/venv/bin/python tests/providers/oracles/paystack.py

It prints one ``ok`` line per check and exits 1 if any fails.
"""

from __future__ import annotations

import json
import sys
from importlib.metadata import version
from pathlib import Path

from paystackease.core._webhook import PayStackSignature
from pypaystack2 import PaystackClient

SECRET = "sk_test_0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "paystack" / "charge_success"


def _flipped(body: bytes) -> bytes:
    middle = len(body) // 2
    return body[:middle] + bytes([body[middle] ^ 1]) + body[middle + 1 :]


def _paystackease(secret: str, body: bytes, signature: str) -> bool:
    try:
        return bool(PayStackSignature.verify_headers(body.decode(), secret, signature))
    except Exception:  # its PayStackSignatureVerifyError
        return False


def main() -> int:
    body = SAMPLE.with_suffix(".body").read_bytes()
    headers = {
        k.lower(): v for k, v in json.loads(SAMPLE.with_suffix(".json").read_text())["headers"].items()
    }
    signature = headers["x-paystack-signature"]
    checks = []
    for name, verify in (
        (
            f"pypaystack2 {version('pypaystack2')}",
            lambda s, b: PaystackClient(secret_key=s).is_verified_webhook_payload(b, signature),
        ),
        (f"paystackease {version('paystackease')}", lambda s, b: _paystackease(s, b, signature)),
    ):
        checks += [
            (name, "accepts the sample", True, verify(SECRET, body)),
            (name, "refuses one flipped body byte", False, verify(SECRET, _flipped(body))),
            (name, "refuses another secret", False, verify("sk_test_other", body)),
        ]
    for name, what, expected, actual in checks:
        print(f"{'ok  ' if expected == actual else 'FAIL'} {name}: {what}: {actual}")
    return 0 if all(expected == actual for *_, expected, actual in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
