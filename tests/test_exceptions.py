"""The exception tree: shape, status hints, reasons, and messages without secrets."""

from __future__ import annotations

import re

import pytest

import hookreceiver.exceptions as exc_module
from hookreceiver.exceptions import (
    BodyTimeout,
    ConfigurationError,
    DeliveryError,
    HeadersTooLarge,
    HookReceiverError,
    MethodNotAllowed,
    ModelValidationError,
    PayloadError,
    PayloadTooLarge,
    ReceiverBusy,
    SignatureError,
    StaleTimestamp,
    StoreError,
    StoreUnavailable,
    UnknownEndpoint,
    UnsupportedContentType,
)

TREE: dict[type[HookReceiverError], type[Exception]] = {
    HookReceiverError: Exception,
    ConfigurationError: HookReceiverError,
    DeliveryError: HookReceiverError,
    SignatureError: DeliveryError,
    StaleTimestamp: SignatureError,
    PayloadError: DeliveryError,
    UnsupportedContentType: DeliveryError,
    PayloadTooLarge: DeliveryError,
    BodyTimeout: DeliveryError,
    ReceiverBusy: HookReceiverError,
    HeadersTooLarge: DeliveryError,
    MethodNotAllowed: DeliveryError,
    ModelValidationError: HookReceiverError,
    UnknownEndpoint: DeliveryError,
    StoreError: HookReceiverError,
    StoreUnavailable: StoreError,
}


@pytest.mark.parametrize(("cls", "parent"), TREE.items(), ids=lambda c: c.__name__)
def test_tree(cls: type[HookReceiverError], parent: type[Exception]) -> None:
    assert cls.__bases__ == (parent,)


def test_all_lists_exactly_the_tree() -> None:
    assert sorted(exc_module.__all__) == sorted(cls.__name__ for cls in TREE)
    assert exc_module.__all__ == sorted(exc_module.__all__)


def test_the_drawn_tree_matches_the_classes() -> None:
    """The module docstring draws the tree; each drawn node sits under its real parent."""
    doc = exc_module.__doc__ or ""
    stack: list[tuple[int, str]] = []
    seen = set()
    checked = 0
    for line in doc.splitlines():
        match = re.match(r"^([ │├└─]*)([A-Z]\w+)\b(?:\s+(\d{3}))?", line)
        if not match or match.group(2) not in exc_module.__all__:
            continue
        depth, name = len(match.group(1)), match.group(2)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        cls = getattr(exc_module, name)
        if stack:
            assert cls.__bases__[0].__name__ == stack[-1][1], name
        if match.group(3):
            assert cls.status_hint == int(match.group(3)), name
        stack.append((depth, name))
        seen.add(name)
        checked += bool(stack[:-1])
    assert seen == set(exc_module.__all__)
    assert checked == len(seen) - 1  # every node but the root was checked against a parent


@pytest.mark.parametrize(
    ("cls", "status", "reason"),
    [
        (DeliveryError, 400, "bad_request"),
        (SignatureError, 401, "bad_signature"),
        (PayloadError, 400, "undecodable_payload"),
        (UnsupportedContentType, 415, "unsupported_content_type"),
        (PayloadTooLarge, 413, "payload_too_large"),
        (MethodNotAllowed, 405, "method_not_allowed"),
        (UnknownEndpoint, 404, "unknown_endpoint"),
    ],
)
def test_delivery_errors_status_and_default_reason(
    cls: type[DeliveryError], status: int, reason: str
) -> None:
    error = cls("something was wrong")
    assert (error.status_hint, error.reason, error.detail) == (status, reason, "something was wrong")
    assert str(error) == "something was wrong"
    custom = cls("x", reason="custom_reason")
    assert custom.reason == "custom_reason" and custom.status_hint == status
    assert repr(custom) == f"{cls.__name__}(reason='custom_reason', detail='x')"


def test_stale_timestamp() -> None:
    error = StaleTimestamp("timestamp is 400 s old", skew=400.0)
    assert (error.status_hint, error.reason, error.skew) == (401, "stale_timestamp", 400.0)
    assert isinstance(error, SignatureError)
    with pytest.raises(SignatureError):
        raise error


@pytest.mark.parametrize(
    ("cls", "status"),
    [(HookReceiverError, 500), (ConfigurationError, 500), (StoreError, 500), (StoreUnavailable, 503)],
)
def test_other_status_hints(cls: type[HookReceiverError], status: int) -> None:
    assert cls.status_hint == status


def test_every_delivery_error_is_a_4xx_and_others_are_not() -> None:
    for cls in TREE:
        if issubclass(cls, DeliveryError):
            assert 400 <= cls.status_hint < 500, cls
        else:
            assert not 400 <= cls.status_hint < 500, cls


def test_core_errors_carry_no_secret() -> None:
    """Errors raised by the real checks name headers and indexes, never secret values."""
    from hookreceiver.core.signing import Secrets, verify_hmac
    from hookreceiver.providers import Generic

    secret = "very-private-secret-value"
    errors: list[BaseException] = []
    for signature in (None, "zz", "00" * 32):
        with pytest.raises(SignatureError) as info:
            verify_hmac(b"{}", signature, secrets=Secrets(secret), header="x-sig")
        errors.append(info.value)
    for options in ({"secret": secret, "unsigned": True}, {"secret": [secret, ""]}):
        with pytest.raises(ConfigurationError) as config_info:
            Generic(**options)
        errors.append(config_info.value)
    for error in errors:
        assert secret not in str(error) and secret not in repr(error)
