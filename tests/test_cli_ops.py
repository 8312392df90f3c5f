"""`hookreceiver worker | replay | dead-letters` against a real Redis, called through ``main``."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from hookreceiver import ClaimState
from hookreceiver.cli import main
from hookreceiver.stores.redis import RedisStore
from tests.conftest import REDIS_TEST_PASSWORD
from tests.helpers import delivery, free_port

pytestmark = [pytest.mark.redis]

APP = """
import os, pathlib
from hookreceiver import Delivery, HookReceiver
from hookreceiver.providers import Generic

hooks = HookReceiver(run_worker=False)
orders = hooks.endpoint("/orders", Generic(secret="s", topic="body:type",
                                           delivery_id="header:x-request-id"))

@orders.on("order.*")
def handle(delivery: Delivery) -> None:
    with open(pathlib.Path(os.environ["OPS_DIR"]) / "ran.log", "a") as log:
        log.write(f"{delivery.delivery_id} {delivery.attempt} {delivery.body.decode()}\\n")
"""
SIGNATURE = "sig-value-that-must-not-be-printed"


@pytest.fixture
def url(
    redis_url: str, redis_namespace: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    full = f"{redis_url}?namespace={redis_namespace}"
    monkeypatch.setenv("HOOKRECEIVER_REDIS_URL", full)
    monkeypatch.setenv("OPS_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    yield full


@pytest.fixture
def app(tmp_path: Path) -> str:
    name = f"ops_app_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(APP)
    return f"{name}:hooks"


def seed(url: str, *, dead: list[str], done: tuple[str, ...] = ()) -> None:
    async def run() -> None:
        store = RedisStore.from_url(url)
        for name in [*dead, *done]:
            sent = delivery(name)
            await store.admit(replace(sent, headers={**sent.headers, "x-signature": SIGNATURE}))
        for job in await store.take("seed", limit=100, wait=0):
            if job.delivery.delivery_id in dead:
                error = f"Traceback (most recent call last):\nValueError: {job.delivery.delivery_id} broke"
                await store.bury(job, error=error)
            else:
                await store.complete(job)
        await store.close()

    asyncio.run(run())


def state(url: str, key: str) -> ClaimState | None:
    async def run() -> ClaimState | None:
        store = RedisStore.from_url(url)
        try:
            return await store.state(key)
        finally:
            await store.close()

    return asyncio.run(run())


def test_dead_letters_list_show_replay_purge(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    seed(url, dead=["a", "b", "c"])
    assert main(["dead-letters", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["/orders:a", "/orders:b", "/orders:c"]
    assert "ValueError: a broke" in lines[0]

    assert main(["dead-letters", "list", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows[1]["key"] == "/orders:b" and rows[1]["attempts"] == 1

    assert main(["dead-letters", "show", "b"]) == 0  # a bare delivery id works too
    shown = capsys.readouterr().out
    assert '{"type":"order.created","n":1}' in shown and "ValueError: b broke" in shown
    assert "x-signature" in shown and SIGNATURE not in shown

    assert main(["dead-letters", "replay", "/orders:a"]) == 0
    assert "queued /orders:a" in capsys.readouterr().out
    assert state(url, "/orders:a") is ClaimState.PENDING

    assert main(["dead-letters", "purge", "/orders:b"]) == 0
    assert main(["dead-letters", "purge", "--all"]) == 0
    assert "purged 1 dead letter(s)" in capsys.readouterr().out
    assert main(["dead-letters", "list"]) == 0
    assert capsys.readouterr() == ("", "no dead letters\n")  # on stderr: --json output stays clean
    assert main(["dead-letters", "list", "--json"]) == 0
    assert capsys.readouterr() == ("", "no dead letters\n")
    assert main(["dead-letters", "show", "/orders:zzz"]) == 1
    for usage_error in (["purge"], ["show"], ["replay", "/orders:a", "--all"]):
        with pytest.raises(SystemExit) as exit_info:  # a KEY or --all, never both
            main(["dead-letters", *usage_error])
        assert exit_info.value.code == 2


def test_replay_queues_or_runs_inline(
    url: str, app: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(url, dead=[], done=("d-7",))
    assert main(["replay", "d-7", "--app", app, "--inline"]) == 0
    assert "handled /orders:d-7 inline (1 handler(s)" in capsys.readouterr().out
    assert (tmp_path / "ran.log").read_text() == 'd-7 1 {"type":"order.created","n":1}\n'
    assert state(url, "/orders:d-7") is ClaimState.DONE  # inline leaves the store alone

    assert main(["replay", "d-7", "--endpoint", "/orders"]) == 0
    assert "queued /orders:d-7 as attempt 1" in capsys.readouterr().out
    assert state(url, "/orders:d-7") is ClaimState.PENDING

    assert main(["replay", "/orders:unknown"]) == 1
    assert "not retained" in capsys.readouterr().err
    assert main(["replay", "d-7", "--inline"]) == 2  # inline needs the handlers: --app


def test_commands_refuse_a_store_they_cannot_share(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("HOOKRECEIVER_REDIS_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    name = f"ops_mem_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(APP)
    assert main(["worker", f"{name}:hooks"]) == 2
    assert "in-memory store" in capsys.readouterr().err
    assert main(["dead-letters", "list"]) == 2
    hint = capsys.readouterr().err
    assert (
        "set HOOKRECEIVER_REDIS_URL" in hint
        and "--app MODULE:ATTR works only for a receiver whose store is Redis" in hint
    )
    assert main(["dead-letters", "list", "--app", f"{name}:hooks"]) == 2  # the hint's caveat holds
    assert "in-memory store" in capsys.readouterr().err


def test_store_down_exits_3_without_the_password(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("HOOKRECEIVER_REDIS_URL", f"redis://:{REDIS_TEST_PASSWORD}@127.0.0.1:{free_port()}/0")
    assert main(["dead-letters", "list"]) == 3
    err = capsys.readouterr().err
    assert "redis unavailable" in err and REDIS_TEST_PASSWORD not in err


def test_dead_letters_by_key_are_found_past_the_list_limit(
    url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seed(url, dead=["a", "b", "c"])
    assert main(["dead-letters", "show", "/orders:c"]) == 0
    assert "ValueError: c broke" in capsys.readouterr().out
    assert main(["dead-letters", "replay", "c", "--limit", "1"]) == 0  # a bare id too
    assert "queued /orders:c" in capsys.readouterr().out
    assert state(url, "/orders:c") is ClaimState.PENDING
    assert main(["dead-letters", "purge", "/orders:b"]) == 0
    assert "purged /orders:b" in capsys.readouterr().out
    assert state(url, "/orders:b") is None
    assert main(["dead-letters", "show", "/orders:c"]) == 1  # replayed: no longer dead
    assert "no dead letter /orders:c" in capsys.readouterr().err


def test_replay_of_a_bare_id_without_endpoint_or_app_says_what_it_needs(
    url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seed(url, dead=[], done=("d-8",))
    assert main(["replay", "d-8"]) == 2
    err = capsys.readouterr().err
    assert "--endpoint" in err and "--app" in err and "not retained" not in err
    assert state(url, "/orders:d-8") is ClaimState.DONE


def test_output_into_a_closed_pipe_ends_quietly(url: str) -> None:
    """``hookreceiver dead-letters show KEY | head``: the reader leaves early; no traceback."""
    seed(url, dead=["p-1"])
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first write: every write fails with EPIPE
    try:
        result = subprocess.run(
            [sys.executable, "-m", "hookreceiver", "dead-letters", "show", "p-1"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert result.returncode == 141  # 128 + SIGPIPE, as a shell reports for `... | head`
    assert result.stderr == ""
