"""Redis key naming (stores/redis/keys.py): the hash-tagged prefix, sender text made key-safe, scrubbing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hookreceiver import ConfigurationError
from hookreceiver.stores.redis.keys import (
    MAX_MEMBER_CHARS,
    key_prefix,
    member_for,
    scrub,
    split_receipt,
)


@pytest.mark.parametrize(
    ("namespace", "prefix"),
    [
        ("default", "hookreceiver:{default}:"),
        ("a.b-c_9", "hookreceiver:{a.b-c_9}:"),
        ("x" * 64, "hookreceiver:{" + "x" * 64 + "}:"),
    ],
)
def test_key_prefix_is_hash_tagged(namespace: str, prefix: str) -> None:
    assert key_prefix(namespace) == prefix


@pytest.mark.parametrize("namespace", ["", "x" * 65, "{tag}", "a b", "a:b", "ünï", "a}b", "a\n"])
def test_a_namespace_that_could_break_the_key_layout_is_refused(namespace: str) -> None:
    with pytest.raises(ConfigurationError, match="invalid redis namespace"):
        key_prefix(namespace)


@pytest.mark.parametrize(
    ("key", "member"),
    [
        ("/orders:d-1", "/orders:d-1"),
        ("/orders:{evil}", "/orders:%7Bevil%7D"),
        ("/orders:a b", "/orders:a%20b"),
        ("/orders:a%20b", "/orders:a%2520b"),  # stays apart from the one above
        ("/orders:ü", "/orders:%C3%BC"),
    ],
)
def test_member_for_cases(key: str, member: str) -> None:
    assert member_for(key) == member


@given(st.text(max_size=400))
def test_member_for_never_holds_braces_spaces_or_non_ascii(key: str) -> None:
    member = member_for(key)
    assert not set(member) & set("{} \r\n") and member.isascii()
    assert len(member) <= MAX_MEMBER_CHARS or len(member) == 100 + 1 + 64


@given(st.text(max_size=300), st.text(max_size=300))
def test_member_for_keeps_distinct_keys_distinct(a: str, b: str) -> None:
    assert (member_for(a) == member_for(b)) is (a == b)


def test_a_long_key_keeps_a_readable_head_and_a_digest_of_the_whole() -> None:
    head = "/orders:" + "x" * 300
    one, two = member_for(head + "1"), member_for(head + "2")
    assert one.startswith("/orders:xxx") and one != two and len(one) == len(two) == 165
    assert member_for("y" * MAX_MEMBER_CHARS) == "y" * MAX_MEMBER_CHARS  # at the limit: as is


@pytest.mark.parametrize(
    ("message", "clean"),
    [
        ("Error connecting to redis://:hunter2@h:6379", "Error connecting to redis://***@h:6379"),
        ("user rediss://admin:hunter2@h/0 and unix://x:y@/s", "user rediss://***@h/0 and unix://***@/s"),
        ("no credentials here", "no credentials here"),
    ],
)
def test_scrub_removes_credentials(message: str, clean: str) -> None:
    assert scrub(message) == clean


def test_scrub_caps_the_length() -> None:
    assert len(scrub("x" * 5000)) == 300


def test_split_receipt() -> None:
    assert split_receipt("1700000000000-0#3#7") == ("1700000000000-0", "3", "7")
    assert split_receipt("1-0") == ("1-0", "", "")
