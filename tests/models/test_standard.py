from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import BaseModel, ValidationError

from hookreceiver.models import StandardEvent
from tests.models.support import received


class Paid(BaseModel):
    id: str
    amount: int


def test_sample_validates_with_a_typed_data_model() -> None:
    event = StandardEvent[Paid].model_validate(received("standard-webhooks", "invoice.paid"))
    assert event.type == "invoice.paid" and event.data == Paid(id="inv_2Ye6kZ9wQ0yQ3n6r", amount=2000)
    assert event.timestamp == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    plain = StandardEvent.model_validate(received("standard-webhooks", "user.created"))
    assert plain.data["email"] == "ines.calder@example.com"


def test_timestamp_is_required() -> None:
    with pytest.raises(ValidationError, match="timestamp"):
        StandardEvent.model_validate({"type": "x", "data": {}})
