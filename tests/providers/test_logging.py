"""Every provider, through the ASGI app: the log line names the secret's index, never a secret."""

from __future__ import annotations

import base64
import logging
from typing import Any

import pytest

from hookreceiver.core.delivery import HttpRequest
from hookreceiver.providers import PROVIDERS, WeChat
from hookreceiver.providers.base import Provider, Signer
from hookreceiver.testing.keys import key_pair
from hookreceiver.testing.payloads import DEFAULT_TOPICS
from hookreceiver.testing.signing import build_request
from tests.helpers import asgi_client
from tests.providers.helpers import memory_receiver

NOW = 1700000000.0
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
BASE = "https://example.com"


def secrets_for(name: str, word: str = "s3cret") -> list[str]:
    """Two secrets (first, second) in the form the provider expects, unlike any other text."""
    raw = [f"{name}-first-{word}-91a", f"{name}-second-{word}-4b7"]
    if name in ("standard-webhooks", "svix"):
        return ["whsec_" + base64.b64encode(s.encode()).decode() for s in raw]
    if name in ("discord", "sendgrid"):  # signed with a private key: a test pair per word
        return [key_pair(name, s).private for s in raw]
    if name == "postmark":  # basic auth
        return [f"hooks:{s}" for s in raw]
    if name == "adyen":  # a hex HMAC key
        return [s.encode().hex() for s in raw]
    return raw


def make(name: str, secrets: list[str]) -> Provider:
    if name == "wechat-safe":
        return WeChat(secret=secrets, aes_key=AES_KEY, app_id="wx0123456789abcdef")
    cls: Any = PROVIDERS[name]  # every provider takes its secret(s) as secret=
    made = cls(secret=secrets)
    assert isinstance(made, Provider)
    return made


CASES = [*sorted(PROVIDERS), "wechat-safe"]


def signed(name: str, provider: Provider, index: int) -> HttpRequest:
    assert isinstance(provider, Signer)
    topic = DEFAULT_TOPICS[name.removesuffix("-safe")]
    return build_request(provider, topic=topic, timestamp=NOW, url=f"{BASE}/hooks", secret_index=index)


async def post(provider: Provider, request: HttpRequest) -> int:
    hooks = memory_receiver(NOW)
    hooks.endpoint("/hooks", provider).on("*")(lambda d: None)
    async with asgi_client(hooks, BASE) as client:
        response = await client.request(
            request.method,
            f"{request.path}?{request.query_string}",
            content=request.body or None,
            headers=dict(request.headers),
        )
    return response.status_code


def log_text(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Every captured line as it would be written: message, and traceback if any."""
    formatter = logging.Formatter("%(name)s %(message)s")
    return [formatter.format(r) for r in caplog.records]


def assert_no_secret(lines: list[str], secrets: list[str]) -> None:
    for line in lines:
        for secret in [*secrets, AES_KEY]:
            assert secret not in line, f"a secret in the log: {line!r}"
            assert secret.removeprefix("whsec_") not in line, f"a secret in the log: {line!r}"


@pytest.mark.anyio
@pytest.mark.parametrize("index", [0, 1])
@pytest.mark.parametrize("name", CASES)
async def test_accepted_line_names_the_secret_index(
    name: str, index: int, caplog: pytest.LogCaptureFixture
) -> None:
    secrets = secrets_for(name)
    provider = make(name, secrets)
    caplog.set_level(logging.DEBUG)
    assert await post(provider, signed(name, provider, index)) == 200
    lines = log_text(caplog)
    accepted = [line for line in lines if line.startswith("hookreceiver accepted ")]
    assert len(accepted) == 1, lines
    assert f" secret_index={index}" in accepted[0]
    assert_no_secret(lines, secrets)


@pytest.mark.anyio
@pytest.mark.parametrize("name", CASES)
async def test_rejected_line_carries_no_secret(name: str, caplog: pytest.LogCaptureFixture) -> None:
    secrets, wrong = secrets_for(name), secrets_for(name, "wr0ng")
    caplog.set_level(logging.DEBUG)
    assert await post(make(name, secrets), signed(name, make(name, wrong), 1)) == 401
    lines = log_text(caplog)
    assert any(line.startswith("hookreceiver rejected ") for line in lines), lines
    assert_no_secret(lines, [*secrets, *wrong])
