"""Every provider compares signatures and tokens in constant time, right or wrong.

A counting spy wraps ``hmac.compare_digest`` (still delegating to it) on the ``hmac`` module as
seen by every hookreceiver module that imports it; a provider that compared with ``==`` would
verify without calling it, and fail here.
"""

from __future__ import annotations

import hmac
import sys
from collections.abc import Callable
from typing import Any

import pytest

from hookreceiver import SignatureError
from hookreceiver.core.delivery import HttpRequest
from hookreceiver.providers import PROVIDERS, WeChat
from hookreceiver.testing import build_request
from tests.helpers import generic

NOW = 1_700_000_000.0
URL = "https://hooks.example.com/in?tenant=7"
WHSEC = {
    "standard-webhooks": ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_dGhpcyBpcyBhbm90aGVyIHNlY3JldCE="),
    "svix": ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_dGhpcyBpcyBhbm90aGVyIHNlY3JldCE="),
}
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def by_name(name: str) -> Callable[[str], Any]:
    return lambda secret: PROVIDERS[name](secret=secret)


# Public-key schemes hold no secret whose comparison could leak: a signature is checked with
# the public key (Ed25519, ECDSA), not compared. Their key tests are in tests/providers.
PUBLIC_KEY_SCHEMES = {"discord", "sendgrid"}
SECRET_FORMS = {
    **WHSEC,
    "postmark": ("hooks:right-secret", "hooks:other-secret"),  # basic auth
    "adyen": ("44782DEF547AAA06C910C43932B1EB0C", "0123456789ABCDEF0123456789ABCDEF"),
}  # hex

# label -> (how to build the provider from a secret, the right secret, another secret)
CASES: dict[str, tuple[Callable[[str], Any], str, str]] = {
    name: (by_name(name), *SECRET_FORMS.get(name, (f"{name}-right-secret", f"{name}-other-secret")))
    for name in sorted(set(PROVIDERS) - PUBLIC_KEY_SCHEMES)
}
CASES["generic-configured"] = (lambda s: generic(secret=s), "generic-right", "generic-other")
CASES["wechat-safe-mode"] = (
    lambda s: WeChat(secret=s, aes_key=AES_KEY, app_id="wx1234"),
    "wechat-token",
    "other-token",
)


class CompareSpy:
    """Counts calls to ``hmac.compare_digest`` and returns what the real one returns."""

    def __init__(self) -> None:
        self.real = hmac.compare_digest
        self.calls = 0

    def __call__(self, a: Any, b: Any) -> bool:
        self.calls += 1
        return self.real(a, b)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> CompareSpy:
    spy = CompareSpy()
    users = [
        module
        for name, module in sys.modules.items()
        if name.startswith("hookreceiver") and getattr(module, "hmac", None) is not None
    ]
    assert users, "no hookreceiver module imports hmac: where are signatures compared?"
    for module in users:
        monkeypatch.setattr(module.hmac, "compare_digest", spy)
    return spy


def signed(label: str, secret: str) -> tuple[Any, HttpRequest]:
    build, _, _ = CASES[label]
    provider = build(secret)
    return provider, build_request(provider, timestamp=NOW, url=URL)


@pytest.mark.parametrize("label", sorted(CASES))
def test_a_right_signature_is_compared_in_constant_time(label: str, spy: CompareSpy) -> None:
    _, right, _ = CASES[label]
    provider, request = signed(label, right)
    assert isinstance(provider.verify(request, now=NOW), int)
    assert spy.calls >= 1, f"{label} accepted a signature without hmac.compare_digest"


@pytest.mark.parametrize("label", sorted(CASES))
def test_a_wrong_signature_is_compared_in_constant_time(label: str, spy: CompareSpy) -> None:
    _, right, other = CASES[label]
    receiving = CASES[label][0](right)
    _, forged = signed(label, other)  # well formed, signed with another secret
    with pytest.raises(SignatureError):
        receiving.verify(forged, now=NOW)
    assert spy.calls >= 1, f"{label} refused a signature without hmac.compare_digest"
