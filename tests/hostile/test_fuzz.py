"""A CI-sized run of every fuzz target in tests/fuzz (``python3 -m tests.fuzz`` runs them longer)."""

from __future__ import annotations

import pytest

from tests.fuzz import TARGETS, Tally, run

EXAMPLES = 25


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_fuzz_target(target: str) -> None:
    tally = Tally()
    TARGETS[target](EXAMPLES, tally)
    assert tally.examples >= EXAMPLES // 2  # hypothesis may stop early on a small search space
    if target.startswith("verify:"):
        assert tally.outcomes.get("accepted", 0) < tally.examples  # the mutations do refuse


def test_the_runner_reports_each_target() -> None:
    lines: list[str] = []
    assert run(3, ["decoders", "verify:stripe"], out=lines.append)
    assert [line.split(":")[0] for line in lines] == ["decoders", "verify"]
    assert all(": ok (" in line for line in lines)
