from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from hookreceiver.models import StripeEvent
from hookreceiver.testing import sample_topics
from tests.models.support import received


class Invoice(BaseModel):
    id: str
    amount_paid: int
    currency: str


@pytest.mark.parametrize("topic", sample_topics("stripe"))
def test_every_sample_validates(topic: str) -> None:
    event = StripeEvent.model_validate(received("stripe", topic))
    assert event.type == topic and event.id.startswith("evt_") and event.object == "event"
    assert isinstance(event.data.object, dict) and event.data.object["id"]


def test_data_object_can_be_typed() -> None:
    event = StripeEvent[Invoice].model_validate(received("stripe", "invoice.paid"))
    assert event.data.object == Invoice(id="in_1P8x2OHk3vGm7TqLr9sT1uVw", amount_paid=2000, currency="usd")
    assert event.data.object.model_extra is None  # a user's model keeps pydantic's defaults


def test_update_events_carry_previous_attributes() -> None:
    event = StripeEvent.model_validate(received("stripe", "customer.subscription.updated"))
    assert event.data.previous_attributes == {"cancel_at_period_end": False}
    assert event.request is not None and event.request.id == "req_Ab1Cd2Ef3Gh4Ij"


def test_unknown_fields_are_kept_and_missing_ones_named() -> None:
    payload = received("stripe", "invoice.paid", {"data": {"object": {"id": "in_1"}}, "context": "x"})
    assert StripeEvent.model_validate(payload).model_extra == {"context": "x"}
    with pytest.raises(ValidationError, match=r"data\.object\s+Field required"):
        StripeEvent.model_validate({**payload, "data": {}})
