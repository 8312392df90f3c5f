"""Envelope and FormEnvelope: extras kept, values frozen, empty form/XML values absent."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hookreceiver.models import Envelope, FormEnvelope


class Thing(Envelope):
    id: str


class FormThing(FormEnvelope):
    id: str
    count: int | None = None
    note: str = "default"


def test_unknown_fields_are_kept_as_attributes() -> None:
    thing = Thing.model_validate({"id": "t1", "added_later": {"deep": [1, 2]}})
    assert thing.model_extra == {"added_later": {"deep": [1, 2]}}
    assert getattr(thing, "added_later") == {"deep": [1, 2]}  # noqa: B009 (not a declared field)


def test_envelopes_are_frozen() -> None:
    thing = Thing(id="t1")
    with pytest.raises(ValidationError, match="frozen"):
        thing.id = "t2"


def test_empty_text_counts_as_absent_in_form_envelopes() -> None:
    thing = FormThing.model_validate({"id": "f1", "count": "", "note": "", "extra": ""})
    assert (thing.count, thing.note, thing.model_extra) == (None, "default", {})
    assert FormThing.model_validate({"id": "f1", "count": "7"}).count == 7
    with pytest.raises(ValidationError, match="id"):
        FormThing.model_validate({"id": ""})
    with pytest.raises(ValidationError, match="count"):
        FormThing.model_validate({"id": "f1", "count": "seven"})
