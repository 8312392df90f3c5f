"""examples/github_bot.py: one signed delivery in process, and the handlers it should run."""

from __future__ import annotations

import logging
import runpy
import time
from pathlib import Path

import httpx
import pytest

from hookreceiver import HookReceiver
from hookreceiver.providers import GitHub

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "github_bot.py"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_a_signed_pull_request_reaches_both_handlers(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("HOOKRECEIVER_REDIS_URL", raising=False)
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", "bot-secret")
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET_OLD", "bot-secret-old")
    example = runpy.run_path(str(EXAMPLE))
    hooks = example["hooks"]
    assert isinstance(hooks, HookReceiver)
    # The old secret still works while rotating; the log line names index 1.
    request = GitHub(secret="bot-secret-old").sign(
        {"number": 12, "pull_request": {"additions": 500, "deletions": 3}},
        topic="pull_request.opened",
        delivery_id="d-12",
        timestamp=time.time(),
        url="http://test/github",
    )
    caplog.set_level(logging.DEBUG)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=hooks), base_url="http://test") as client:
        response = await client.post("/github", content=request.body, headers=dict(request.headers))
        unsigned = await client.post(
            "/github",
            content=request.body,
            headers={"content-type": "application/json", "x-github-event": "pull_request"},
        )
    assert response.status_code == 200
    assert response.json() == {"status": "accepted", "delivery_id": "d-12", "topic": "pull_request.opened"}
    assert unsigned.status_code == 401
    outcomes = await hooks.worker.run_once()
    assert [o.status for o in outcomes] == ["done"]
    messages = [r.getMessage() for r in caplog.records]
    assert any("secret_index=1" in m for m in messages)
    assert "pull request #12 (pull_request.opened): 503 changed lines, needs a second reviewer" in messages
    assert "pull_request event pull_request.opened delivery_id=d-12" in messages
    assert not any("bot-secret" in m for m in messages)
    await hooks.stop()


def test_without_a_secret_it_warns_and_uses_the_dev_secret(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("GITHUB_WEBHOOK_SECRET", raising=False)
    example = runpy.run_path(str(EXAMPLE))
    assert "GITHUB_WEBHOOK_SECRET is not set" in caplog.text
    assert example["secrets"] == [example["DEV_SECRET"]]
    assert example["DEV_SECRET"] not in caplog.text
