"""The public API: hookreceiver.__all__ is pinned, sorted and importable."""

from __future__ import annotations

import re
import subprocess
import sys

import hookreceiver

PUBLIC = [
    "Admission",
    "ClaimState",
    "ConfigurationError",
    "Delivery",
    "DeliveryError",
    "Endpoint",
    "HookReceiver",
    "HookReceiverError",
    "HttpRequest",
    "MemoryStore",
    "Outcome",
    "PayloadError",
    "Reply",
    "RetryPolicy",
    "Router",
    "Settings",
    "SignatureError",
    "StaleTimestamp",
    "Store",
    "StoreUnavailable",
    "Worker",
    "__version__",
]


def test_all_is_pinned() -> None:
    """Adding or removing a public name is a deliberate change: update this list with it."""
    assert hookreceiver.__all__ == PUBLIC


def test_all_is_sorted_and_unique() -> None:
    assert hookreceiver.__all__ == sorted(hookreceiver.__all__)
    assert len(set(hookreceiver.__all__)) == len(hookreceiver.__all__)


def test_every_name_is_importable_in_a_fresh_interpreter() -> None:
    names = ", ".join(name for name in hookreceiver.__all__ if name != "__version__")
    code = f"from hookreceiver import {names}, __version__\nprint(__version__)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == hookreceiver.__version__


def test_every_name_resolves() -> None:
    for name in hookreceiver.__all__:
        assert getattr(hookreceiver, name) is not None, name


def test_star_import_gives_exactly_all() -> None:
    namespace: dict[str, object] = {}
    exec("from hookreceiver import *", namespace)
    assert sorted(k for k in namespace if k != "__builtins__") == sorted(hookreceiver.__all__)


def test_version_is_a_string() -> None:
    assert isinstance(hookreceiver.__version__, str)
    assert re.fullmatch(r"\d+\.\d+\.\d+(?:[.-]?\w+)*", hookreceiver.__version__)


def test_errors_and_values_are_the_core_ones() -> None:
    from hookreceiver.core.delivery import Delivery, HttpRequest, Reply
    from hookreceiver.core.routing import Router
    from hookreceiver.exceptions import DeliveryError, SignatureError

    assert hookreceiver.Delivery is Delivery and hookreceiver.HttpRequest is HttpRequest
    assert hookreceiver.Reply is Reply and hookreceiver.Router is Router
    assert hookreceiver.DeliveryError is DeliveryError and hookreceiver.SignatureError is SignatureError
