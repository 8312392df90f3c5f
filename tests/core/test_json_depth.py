"""The JSON nesting limit, read from the text: the same verdict as a walk over the decoded value."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from hookreceiver.core.decoding import MAX_JSON_DEPTH, decode_json
from hookreceiver.exceptions import PayloadError


def depth(value: Any) -> int:
    """The reference: a scalar or empty container is one level, a container one more than its
    deepest member."""
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    return 1


LEAVES: list[Any] = [0, -1.5e3, "]]]", '{"\\"[', "", True, None, [], {}, [1], {"a": "}"}]


def value(rng: random.Random, levels: int) -> Any:
    """A spine ``levels`` deep (lists and objects at random), with shallow leaves beside it."""
    if levels <= 1:
        return rng.choice(LEAVES[:7])
    members = [rng.choice(LEAVES) for _ in range(rng.randint(0, 2))]
    members.insert(rng.randint(0, len(members)), value(rng, levels - 1))
    if rng.random() < 0.5:
        return members
    return {f"k{i}[{{": member for i, member in enumerate(members)}


@pytest.mark.parametrize("seed", range(40))
def test_the_limit_agrees_with_a_walk_over_the_value(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(10):
        shape = value(rng, rng.randint(MAX_JSON_DEPTH - 3, MAX_JSON_DEPTH + 3))
        body = json.dumps(shape, indent=rng.choice([None, 2])).encode()
        if depth(shape) > MAX_JSON_DEPTH:
            with pytest.raises(PayloadError, match="nests deeper"):
                decode_json(body)
        else:
            assert decode_json(body) == shape


@pytest.mark.parametrize(
    ("body", "deep"),
    [
        (b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH, False),  # empty innermost: 64 levels
        (b"[" * MAX_JSON_DEPTH + b"0" + b"]" * MAX_JSON_DEPTH, True),  # the scalar is level 65
        (b"[" + b",".join([b"[]"] * 1000) + b"]", False),  # many brackets, two levels
        (b'["' + b"[" * 200 + b'"]', False),  # brackets inside a string do not nest
        (b'["\\"' + b"[" * 200 + b'"]', False),  # nor after an escaped quote
        (b'{"a":' * 70 + b"1" + b"}" * 70, True),
    ],
)
def test_edge_cases(body: bytes, deep: bool) -> None:
    if deep:
        with pytest.raises(PayloadError, match="nests deeper"):
            decode_json(body)
    else:
        decode_json(body)
