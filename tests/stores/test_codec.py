"""The codec keeps a Delivery intact through bytes: exact body, payload, headers, attempt."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hookreceiver import Delivery
from hookreceiver.exceptions import StoreError
from hookreceiver.stores.codec import dump_delivery, load_delivery
from tests.helpers import delivery

json_values: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
text = st.text(max_size=30)

deliveries = st.builds(
    Delivery,
    endpoint=text,
    provider=text,
    topic=text,
    delivery_id=text,
    payload=json_values,
    body=st.binary(max_size=300),
    method=st.sampled_from(["POST", "GET", "PUT"]),
    url=text,
    headers=st.dictionaries(text, text, max_size=5),
    content_type=text,
    received_at=st.floats(min_value=0, max_value=4e9),
    sent_at=st.none() | st.floats(min_value=0, max_value=4e9),
    id_source=st.sampled_from(["provider", "body_hash"]),
    aliases=st.lists(text, max_size=3).map(tuple),
    meta=st.dictionaries(text, text, max_size=3),
    secret_index=st.none() | st.integers(min_value=0, max_value=5),
    attempt=st.integers(min_value=1, max_value=100),
)


@given(deliveries)
def test_round_trip_is_exact(original: Delivery) -> None:
    restored = load_delivery(dump_delivery(original))
    assert restored == original
    assert restored.body == original.body  # body is excluded from repr, not from equality
    assert restored.key == original.key and restored.topics == original.topics


@given(st.binary(max_size=200))
def test_round_trip_accepts_str_too(body: bytes) -> None:
    original = Delivery("/e", "generic", "t", "id", None, body)
    assert load_delivery(dump_delivery(original).decode()) == original


@given(st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_garbage_raises_only_store_error(data: bytes) -> None:
    try:
        load_delivery(data)
    except StoreError:
        pass


@pytest.mark.parametrize("data", [b"[]", b"1", b"null", b'"x"', b"\xff", b""])
def test_records_that_are_not_objects_raise_store_error(data: bytes) -> None:
    with pytest.raises(StoreError, match="corrupt"):
        load_delivery(data)


@pytest.mark.parametrize(
    "change",
    [
        {"v": 99},
        {"v": None},
        {"body": "***not base64***"},
        {"attempt": None, "aliases": 5},
    ],
)
def test_corrupt_records_raise_store_error(change: dict[str, Any]) -> None:
    record = json.loads(dump_delivery(delivery()))
    record.update(change)
    with pytest.raises(StoreError, match="corrupt"):
        load_delivery(json.dumps(record))


def test_missing_field_raises_store_error() -> None:
    record = json.loads(dump_delivery(delivery()))
    del record["topic"]
    with pytest.raises(StoreError, match="corrupt"):
        load_delivery(json.dumps(record).encode())


# A record written before the codec was derived from the dataclass: stores hold such records.
VERSION_1_RECORD = (
    b'{"v":1,"endpoint":"/e","provider":"p","topic":"t","delivery_id":"id","payload":{"a":[1]},'
    b'"body":"AP8=","method":"POST","url":"","headers":{"x":"y"},"content_type":"","received_at":0.0,'
    b'"sent_at":3.0,"id_source":"provider","aliases":["a","b"],"meta":{"m":"n"},"secret_index":1,'
    b'"attempt":1}'
)


def test_a_stored_version_1_record_reads_and_writes_the_same_fields() -> None:
    restored = load_delivery(VERSION_1_RECORD)
    assert restored == Delivery(
        "/e",
        "p",
        "t",
        "id",
        {"a": [1]},
        b"\x00\xff",
        headers={"x": "y"},
        sent_at=3.0,
        aliases=("a", "b"),
        meta={"m": "n"},
        secret_index=1,
    )
    # Written again (by orjson, marked "o":1), it holds the same values: any version reads it.
    rewritten = dump_delivery(restored)
    assert rewritten.startswith(b'{"v":1,"o":1,')
    assert {**json.loads(rewritten), "o": None} == {**json.loads(VERSION_1_RECORD), "o": None}
    assert load_delivery(rewritten) == restored


def test_integers_past_64_bits_survive_exactly() -> None:
    # orjson would read them as floats: such a record is written and read by json instead.
    original = delivery(payload={"type": "order.created", "id": 2**70, "ids": [-(2**65), 1]})
    data = dump_delivery(original)
    assert not data.startswith(b'{"v":1,"o":1,')
    assert load_delivery(data).payload == {"type": "order.created", "id": 2**70, "ids": [-(2**65), 1]}
    assert load_delivery(data.decode()) == original


def test_the_record_holds_every_field_of_delivery() -> None:
    record = json.loads(dump_delivery(delivery()))
    assert list(record) == ["v", "o", *(f.name for f in dataclasses.fields(Delivery))]
