"""The shared-secret base classes: constructor, repr, the body HMAC and the timed template."""

from __future__ import annotations

import secrets
from typing import ClassVar

import pytest

from hookreceiver.core.delivery import HttpRequest
from hookreceiver.core.signing import HmacHeader, parse_timestamp
from hookreceiver.exceptions import ConfigurationError, SignatureError, StaleTimestamp
from hookreceiver.providers.shared_secret import BodyHmacProvider, TimedHmacProvider

NOW = 1_700_000_000.0
URL = "https://hooks.example.com/in"


class Body(BodyHmacProvider):
    name: ClassVar[str] = "body"
    signature: ClassVar[HmacHeader] = HmacHeader("X-Body-Sig", prefix="sha256=")


class Timed(TimedHmacProvider):
    name: ClassVar[str] = "timed"
    signature: ClassVar[HmacHeader] = HmacHeader("X-Timed-Sig", encoding="base64")
    tolerance: float = 30.0

    def signed(self, request: HttpRequest) -> tuple[float, bytes]:
        stamp = request.header("x-timed-at")
        return parse_timestamp(stamp, header="X-Timed-At"), f"{stamp}:".encode() + request.body


def _post(headers: dict[str, str], body: bytes = b"{}") -> HttpRequest:
    return HttpRequest.outgoing("POST", URL, {"content-type": "application/json", **headers}, body)


def test_body_hmac_verifies_the_raw_body_under_every_secret() -> None:
    old, new = secrets.token_hex(16), secrets.token_hex(16)
    provider = Body(secret=[new, old])
    signer = Body(secret=old)
    request = _post({"x-body-sig": signer.signature_value(b"{}", 0)})
    assert provider.verify(request, now=NOW) == 1
    with pytest.raises(SignatureError):
        provider.verify(_post({"x-body-sig": signer.signature_value(b"{}", 0)}, b"[]"), now=NOW)
    with pytest.raises(SignatureError, match="missing X-Body-Sig"):
        provider.verify(_post({}), now=NOW)


def test_repr_counts_secrets_and_shows_none() -> None:
    secret = secrets.token_hex(16)
    assert repr(Body(secret=secret)) == "Body(secrets=1)"
    assert repr(Timed(secret=[secret, secret + "x"])) == "Timed(secrets=2, tolerance=30)"
    assert secret not in repr(Timed(secret=secret))
    with pytest.raises(ConfigurationError):
        Body(secret="")


def test_tolerance_defaults_to_the_class_attribute_and_can_be_set() -> None:
    secret = secrets.token_hex(16)
    assert Timed(secret=secret).tolerance == 30.0
    assert Timed(secret=secret, tolerance=5).tolerance == 5
    assert Timed.tolerance == 30.0  # an instance's setting does not change the class


def _timed_request(provider: Timed, sent: float, body: bytes = b"{}") -> HttpRequest:
    stamp = str(int(sent))
    return _post(
        {"x-timed-at": stamp, "x-timed-sig": provider.signature_value(f"{stamp}:".encode() + body, 0)}
    )


def test_timed_hmac_checks_the_signature_then_the_window() -> None:
    provider = Timed(secret=secrets.token_hex(16))
    assert provider.verify(_timed_request(provider, NOW - 30), now=NOW) == 0
    with pytest.raises(StaleTimestamp):
        provider.verify(_timed_request(provider, NOW - 31), now=NOW)
    forger = Timed(secret=secrets.token_hex(16))
    with pytest.raises(SignatureError) as forged:  # a forged stale request learns nothing of the window
        provider.verify(_timed_request(forger, NOW - 1000), now=NOW)
    assert forged.value.reason == "bad_signature"
    assert provider.match(_timed_request(provider, NOW - 1000)) == (0, NOW - 1000)
    unbounded = Timed(secret=secrets.token_hex(16), tolerance=0)
    assert unbounded.verify(_timed_request(unbounded, NOW - 1000), now=NOW) == 0


def test_a_missing_signed_time_is_refused_before_the_signature() -> None:
    provider = Timed(secret=secrets.token_hex(16))
    with pytest.raises(SignatureError) as missing:
        provider.verify(_post({"x-timed-sig": "AAAA"}), now=NOW)
    assert missing.value.reason == "missing_timestamp"
