"""`hookreceiver inspect | stats`, dead-letter paging and `replay --all`, against a real Redis."""

from __future__ import annotations

import argparse
import asyncio
import json

import pytest

from hookreceiver import ClaimState
from hookreceiver.cli import build_parser, main
from hookreceiver.stores.redis import RedisStore
from tests.test_cli_ops import SIGNATURE, seed, state
from tests.test_cli_ops import url as url  # noqa: F401 - the fixture, shared

pytestmark = [pytest.mark.redis]


def test_inspect_shows_state_attempts_error_headers_and_body(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(url, dead=["a"], done=("b",))
    assert main(["inspect", "/orders:a"]) == 0
    out = capsys.readouterr().out
    for expected in (
        "state:        dead",
        "attempts:     1",
        "topic:        order.created",
        "  content-type: application/json",
        "  x-signature: [redacted]",
        '{"type":"order.created","n":1}',
        "last error:\nTraceback (most recent call last):\nValueError: a broke",
    ):
        assert expected in out
    assert SIGNATURE not in out

    assert main(["inspect", "b", "--endpoint", "/orders", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert (record["state"], record["attempts"], record["last_error"]) == ("done", 1, "")
    assert record["headers"]["x-signature"] == "[redacted]"

    assert main(["inspect", "/orders:nope"]) == 1
    assert "not retained: /orders:nope" in capsys.readouterr().err


def test_stats_counts_outcomes_rejections_and_depth(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    seed(url, dead=["a", "b"], done=("c",))

    async def more() -> None:
        store = RedisStore.from_url(url)
        await store.count_rejected({"bad_signature": 2, "stale_timestamp": 1})
        await store.replay("/orders:a")  # waiting in the inbox again
        await store.close()

    asyncio.run(more())
    assert main(["stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert {k: stats[k] for k in ("admitted", "handled", "failed", "dead", "depth", "running")} == {
        "admitted": 3,
        "handled": 1,
        "failed": 2,
        "dead": 2,
        "depth": 1,
        "running": 0,
    }
    assert stats["rejected"] == {"bad_signature": 2, "stale_timestamp": 1}
    assert stats["oldest_age"] >= 0
    assert main(["stats"]) == 0
    text = capsys.readouterr().out
    assert "rejected    3  (bad_signature=2, stale_timestamp=1)" in text
    assert "depth       1  (running 0, retries scheduled 0)" in text and "lag" in text


def test_dead_letters_list_pages_and_says_when_more_exist(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(url, dead=["a", "b", "c", "d", "e"])
    assert main(["dead-letters", "list", "--limit", "2"]) == 0
    out, err = capsys.readouterr()
    assert [line.split()[0] for line in out.splitlines()] == ["/orders:a", "/orders:b"]
    assert "showing 1-2; more dead letters exist: --offset 2 for the next page" in err
    assert main(["dead-letters", "list", "--limit", "2", "--offset", "4", "--json"]) == 0
    out, err = capsys.readouterr()
    assert [json.loads(line)["key"] for line in out.splitlines()] == ["/orders:e"] and err == ""
    assert main(["dead-letters", "list", "--offset", "5"]) == 0
    assert capsys.readouterr() == ("", "no dead letters past the first 5\n")


@pytest.mark.parametrize(
    "argv",
    [
        ["dead-letters", "list", "--limit", "0"],
        ["dead-letters", "replay", "--all", "--limit", "-3"],
        ["replay", "--all", "--limit", "0"],
        ["dead-letters", "list", "--offset", "-1"],
        ["worker", "app:hooks", "--concurrency", "0"],
    ],
)
def test_counts_below_their_minimum_are_usage_errors(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "must be at least" in capsys.readouterr().err


def test_replay_all_replays_every_dead_letter_with_progress(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    names = [f"r{i}" for i in range(25)]
    seed(url, dead=names)
    assert main(["dead-letters", "replay", "--all"]) == 0
    out, err = capsys.readouterr()
    assert out == "replayed 25 dead letter(s) as attempt 1\n"
    progress = err.splitlines()
    assert progress[-1] == "replaying 25/25" and 1 < len(progress) <= 11
    assert all(state(url, f"/orders:{name}") is ClaimState.PENDING for name in names)

    for argv in (["dead-letters", "replay", "--all"], ["replay", "--all"]):
        assert main(argv) == 0
        assert capsys.readouterr() == ("", "no dead letters\n")


def test_replay_all_at_the_top_level_honours_limit(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    seed(url, dead=["a", "b", "c"])
    assert main(["replay", "--all", "--limit", "2"]) == 0
    assert capsys.readouterr().out == "replayed 2 dead letter(s) as attempt 1\n"
    assert [state(url, f"/orders:{n}") for n in "abc"] == [ClaimState.PENDING] * 2 + [ClaimState.DEAD]


def subcommands(parser: argparse.ArgumentParser, prefix: str = "") -> dict[str, argparse.ArgumentParser]:
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found[f"{prefix}{name}"] = child
                found.update(subcommands(child, f"{prefix}{name} "))
    return found


def test_every_subcommand_has_a_description() -> None:
    found = subcommands(build_parser())
    assert {"serve", "send", "worker", "replay", "inspect", "stats", "dead-letters list"} <= set(found)
    missing = [name for name, parser in found.items() if not parser.description]
    assert not missing, f"no description in --help: {missing}"
