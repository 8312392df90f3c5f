"""A CI-sized run of every fuzz target in tests/fuzz (``python3 -m tests.fuzz`` runs them longer)."""

from __future__ import annotations

import pytest

import hookreceiver.providers as providers_package
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
    *targets, total = lines
    assert [line.split(":")[0] for line in targets] == ["decoders", "verify"]
    assert all(": ok (" in line for line in targets)
    calls = sum(int(line.split("(")[1].split(" ")[0]) for line in targets)
    assert total == f"2 targets (1 provider schemes), {calls} calls, 0 failed"


def test_a_failing_target_is_counted_and_the_run_fails() -> None:
    def broken(examples: int, tally: Tally) -> None:
        tally.note("accepted")
        raise AssertionError("a changed body was accepted")

    TARGETS["broken"] = broken
    try:
        lines: list[str] = []
        assert not run(2, ["decoders", "broken"], out=lines.append)
    finally:
        del TARGETS["broken"]
    assert lines[1].startswith("broken: FAILED: AssertionError: a changed body was accepted (1 calls")
    assert lines[-1].endswith(", 1 failed")


def test_there_is_a_verify_target_for_every_scheme_of_every_provider() -> None:
    """The targets come from the scheme table, which must name every provider class (a new
    provider's file is enough for it to be fuzzed, once the table test makes it listed)."""
    from hookreceiver.providers import BaseProvider
    from tests.providers.schemes import SCHEMES

    verify = {name.removeprefix("verify:") for name in TARGETS if name.startswith("verify:")}
    assert verify == set(SCHEMES)
    classes = {
        value.name
        for value in vars(providers_package).values()
        if isinstance(value, type) and issubclass(value, BaseProvider) and value is not BaseProvider
    }
    assert classes == {SCHEMES[name].provider for name in verify}
    assert {"verify:wecom", "verify:dingtalk", "verify:sns", "verify:paypal", "verify:pubsub"} <= set(TARGETS)
