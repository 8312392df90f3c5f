"""Typed payloads through a real receiver: ASGI in, the worker runs the handler with the model.

A payload that does not fit the model is acknowledged (the sender did nothing wrong), fails the
handler, is retried, and ends in the dead letters with pydantic's error text.
"""

from __future__ import annotations

import hashlib
import hmac
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from pydantic import BaseModel

from hookreceiver import ConfigurationError, Delivery, HookReceiver, MemoryStore, Outcome, Settings
from hookreceiver.core.typed import adapter_for, bind_model, check_model
from hookreceiver.exceptions import ModelValidationError
from hookreceiver.models import StripeEvent, TwilioMessage, WeChatMessage
from hookreceiver.providers import Generic, Stripe
from hookreceiver.receiver import Endpoint
from tests.helpers import REPO_ROOT, FakeClock

pytestmark = pytest.mark.anyio

STRIPE_SECRET = "whsec_typed_tests_only"
GENERIC_SECRET = "typed-generic-secret"
BASE = "http://hooks.test"


class Invoice(BaseModel):
    id: str
    amount_paid: int


def stripe_receiver(max_attempts: int = 3) -> tuple[HookReceiver, Endpoint, FakeClock]:
    clock = FakeClock()
    receiver = HookReceiver(
        store=MemoryStore(clock=clock), settings=Settings(), run_worker=False, clock=clock
    )
    endpoint = receiver.endpoint("/stripe", Stripe(secret=STRIPE_SECRET), max_attempts=max_attempts)
    return receiver, endpoint, clock


async def post_stripe(
    receiver: HookReceiver, clock: FakeClock, obj: dict[str, Any], event_id: str = "evt_typed_1"
) -> httpx.Response:
    request = Stripe(secret=STRIPE_SECRET).sign(
        {"data": {"object": obj}},
        topic="invoice.paid",
        delivery_id=event_id,
        timestamp=clock(),
        url=f"{BASE}/stripe",
    )
    transport = httpx.ASGITransport(app=receiver)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        return await client.post(request.url, content=request.body, headers=dict(request.headers))


async def test_handler_gets_the_validated_model() -> None:
    receiver, endpoint, clock = stripe_receiver()
    seen: list[StripeEvent[Invoice]] = []

    @endpoint.on("invoice.paid", model=StripeEvent[Invoice])
    async def paid(delivery: Delivery[StripeEvent[Invoice]]) -> None:
        seen.append(delivery.payload)

    response = await post_stripe(receiver, clock, {"id": "in_1", "amount_paid": 1200})
    assert response.status_code == 200
    outcomes = await receiver.worker.run_once()
    assert [o.status for o in outcomes] == ["done"]
    [event] = seen
    assert isinstance(event, StripeEvent)
    assert isinstance(event.data.object, Invoice)
    assert (event.id, event.type, event.data.object.amount_paid) == ("evt_typed_1", "invoice.paid", 1200)


async def test_sync_handler_and_untyped_handler_side_by_side() -> None:
    receiver, endpoint, clock = stripe_receiver()
    typed: list[Any] = []
    raw: list[Any] = []

    @endpoint.on("invoice.*", model=StripeEvent)
    def typed_handler(delivery: Delivery[StripeEvent]) -> None:
        typed.append(delivery.payload)

    @endpoint.on("invoice.paid")
    def raw_handler(delivery: Delivery) -> None:
        raw.append(delivery.payload)

    await post_stripe(receiver, clock, {"id": "in_2", "amount_paid": 5})
    assert [o.status for o in await receiver.worker.run_once()] == ["done"]
    assert isinstance(typed[0], StripeEvent) and typed[0].data.object == {"id": "in_2", "amount_paid": 5}
    assert isinstance(raw[0], dict) and raw[0]["data"]["object"]["id"] == "in_2"


async def test_invalid_payload_is_acknowledged_then_retried_then_dead_lettered() -> None:
    receiver, endpoint, clock = stripe_receiver(max_attempts=2)
    calls: list[Delivery[StripeEvent[Invoice]]] = []
    outcomes: list[Outcome] = []
    receiver.worker.listeners.append(outcomes.append)

    @endpoint.on("invoice.paid", model=StripeEvent[Invoice])
    async def paid(delivery: Delivery[StripeEvent[Invoice]]) -> None:
        calls.append(delivery)

    response = await post_stripe(receiver, clock, {"id": "in_3", "amount_paid": "twelve"})
    assert response.status_code == 200  # never a 4xx: the sender did nothing wrong

    [first] = await receiver.worker.run_once()
    assert first.status == "retry" and first.delay is not None
    assert isinstance(first.error, ModelValidationError)
    assert "data.object.amount_paid" in str(first.error)
    assert "twelve" not in str(first.error)  # no payload value in what reaches logs

    clock.advance(first.delay)
    [second] = await receiver.worker.run_once()
    assert second.status == "dead"
    assert calls == []  # the handler never ran with a payload that does not fit
    assert [o.status for o in outcomes] == ["retry", "dead"]

    [letter] = await receiver.store.dead_letters()
    assert letter.delivery.delivery_id == "evt_typed_1"
    assert letter.attempts == 2
    assert "ModelValidationError" in letter.error
    assert "amount_paid" in letter.error and "valid integer" in letter.error
    assert "fit StripeEvent[Invoice]" in letter.error  # naming delivery and model
    assert "twelve" not in letter.error  # no payload value in the dead letter
    assert STRIPE_SECRET not in letter.error


async def test_unknown_fields_are_kept() -> None:
    receiver, endpoint, clock = stripe_receiver()
    seen: list[StripeEvent] = []

    @endpoint.on("invoice.paid", model=StripeEvent)
    async def paid(delivery: Delivery[StripeEvent]) -> None:
        seen.append(delivery.payload)

    request = Stripe(secret=STRIPE_SECRET).sign(
        {"data": {"object": {"id": "in_4"}}, "brand_new_field": {"x": 1}},
        topic="invoice.paid",
        timestamp=clock(),
        url=f"{BASE}/stripe",
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver), base_url=BASE) as c:
        await c.post(request.url, content=request.body, headers=dict(request.headers))
    assert [o.status for o in await receiver.worker.run_once()] == ["done"]
    assert seen[0].model_extra == {"brand_new_field": {"x": 1}}


def generic_receiver(topic: str) -> tuple[HookReceiver, Endpoint]:
    clock = FakeClock()
    receiver = HookReceiver(
        store=MemoryStore(clock=clock), settings=Settings(), run_worker=False, clock=clock
    )
    provider = Generic(secret=GENERIC_SECRET, topic=topic, delivery_id="header:x-request-id")
    return receiver, receiver.endpoint("/hook", provider)


async def post_raw(receiver: HookReceiver, body: bytes, content_type: str) -> httpx.Response:
    signature = hmac.new(GENERIC_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {"content-type": content_type, "x-signature": signature, "x-request-id": "raw-1"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver), base_url=BASE) as c:
        return await c.post("/hook", content=body, headers=headers)


async def test_xml_payload_validates_into_the_wechat_model() -> None:
    receiver, endpoint = generic_receiver("body:MsgType")
    seen: list[WeChatMessage] = []

    @endpoint.on("event", model=WeChatMessage)
    def subscribed(delivery: Delivery[WeChatMessage]) -> None:
        seen.append(delivery.payload)

    body = (
        b"<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>"
        b"<FromUserName><![CDATA[oUser123]]></FromUserName><CreateTime>1700000000</CreateTime>"
        b"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>"
        b"<EventKey><![CDATA[]]></EventKey><Brand_New>1</Brand_New></xml>"
    )
    assert (await post_raw(receiver, body, "text/xml")).status_code == 200
    assert [o.status for o in await receiver.worker.run_once()] == ["done"]
    [message] = seen
    assert message.CreateTime == 1_700_000_000 and message.Event == "subscribe"
    assert message.EventKey is None  # an empty element is absent
    assert message.model_extra == {"Brand_New": "1"}


async def test_form_payload_validates_into_the_twilio_model() -> None:
    receiver, endpoint = generic_receiver("const:sms.incoming")
    seen: list[TwilioMessage] = []

    @endpoint.on("sms.incoming", model=TwilioMessage)
    def incoming(delivery: Delivery[TwilioMessage]) -> None:
        seen.append(delivery.payload)

    body = urlencode(
        {
            "MessageSid": "SM1",
            "AccountSid": "AC1",
            "From": "+15550001111",
            "To": "+15550002222",
            "Body": "hi",
            "NumMedia": "2",
            "ErrorCode": "",
        }
    ).encode()
    assert (await post_raw(receiver, body, "application/x-www-form-urlencoded")).status_code == 200
    assert [o.status for o in await receiver.worker.run_once()] == ["done"]
    assert (seen[0].From, seen[0].NumMedia, seen[0].ErrorCode) == ("+15550001111", 2, None)


# -- registration checks ------------------------------------------------------------------------


def test_annotation_must_agree_with_model() -> None:
    _, endpoint, _ = stripe_receiver()

    def handler(delivery: Delivery[StripeEvent]) -> None: ...

    with pytest.raises(
        ConfigurationError,
        match=r"annotated Delivery\[StripeEvent\] but registered "
        r"with model=WeChatMessage",
    ):
        # A type checker refuses it too (the ignore is needed, or mypy's strict run fails on it).
        endpoint.on("invoice.paid", model=WeChatMessage)(handler)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="registered without model="):
        endpoint.on("invoice.paid")(handler)
    assert len(endpoint.router) == 0


def test_bare_or_any_annotations_need_no_model() -> None:
    _, endpoint, _ = stripe_receiver()

    def bare(delivery: Delivery) -> None: ...

    def any_payload(delivery: Delivery[Any]) -> None: ...

    def unannotated(delivery):  # type: ignore[no-untyped-def]
        return None

    for handler in (bare, any_payload, unannotated):
        endpoint.on("invoice.paid")(handler)
    endpoint.on("invoice.created", model=StripeEvent)(bare)
    assert len(endpoint.router) == 4


def test_a_model_pydantic_cannot_validate_is_refused_at_registration() -> None:
    class NotAModel:
        def __init__(self, anything: object) -> None: ...

    def handler(delivery: Delivery) -> None: ...

    with pytest.raises(ConfigurationError, match="cannot be validated by pydantic"):
        check_model(handler, NotAModel)


def test_adapters_are_cached_per_model() -> None:
    assert adapter_for(StripeEvent) is adapter_for(StripeEvent)
    assert adapter_for(StripeEvent[Invoice]) is not adapter_for(StripeEvent)


def test_bind_model_keeps_everything_but_the_payload() -> None:
    delivery: Delivery = Delivery(
        endpoint="/x",
        provider="generic",
        topic="t",
        delivery_id="d",
        payload={"id": "in_9", "amount_paid": "7"},
        body=b"{}",
        attempt=3,
    )
    bound = bind_model(delivery, Invoice)
    assert bound.payload == Invoice(id="in_9", amount_paid=7)
    assert (bound.key, bound.body, bound.attempt) == (delivery.key, delivery.body, 3)
    assert delivery.payload == {"id": "in_9", "amount_paid": "7"}  # the original is untouched


# -- static typing: model= and the handler's annotation agree for mypy too ----------------------

TYPED_HANDLER = """
from pydantic import BaseModel

from hookreceiver import Delivery, HookReceiver
from hookreceiver.models import StripeEvent
from hookreceiver.providers import Stripe


class Other(BaseModel):
    x: int


hooks = HookReceiver()
stripe = hooks.endpoint("/stripe", Stripe(secret="whsec_x"))


@stripe.on("invoice.paid", model={model})
async def paid(delivery: Delivery[StripeEvent]) -> None: ...


@stripe.on("invoice.paid", model={model})
def untyped_payload(delivery: Delivery) -> None: ...


@stripe.on("invoice.paid")
def no_model(delivery: Delivery) -> int:
    return 1


assert no_model.__name__ == "no_model"  # without model=, the handler keeps its own type
"""


def test_mypy_refuses_a_handler_annotated_with_another_model(tmp_path: Path) -> None:
    (tmp_path / "right.py").write_text(TYPED_HANDLER.format(model="StripeEvent"))
    (tmp_path / "wrong.py").write_text(TYPED_HANDLER.format(model="Other"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--cache-dir",
            str(tmp_path / "cache"),
            str(tmp_path / "right.py"),
            str(tmp_path / "wrong.py"),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=110,
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert result.returncode == 1, result.stdout + result.stderr
    decorator = TYPED_HANDLER.splitlines().index('@stripe.on("invoice.paid", model={model})') + 1
    assert len(errors) == 1, errors  # only the typed handler of wrong.py: a bare Delivery fits any model
    assert f"wrong.py:{decorator}: error: Argument 1 has incompatible type" in errors[0]
    assert "Delivery[Other]" in errors[0] and errors[0].endswith("[arg-type]")


def test_the_old_module_name_still_imports_the_same_functions() -> None:
    import hookreceiver.typed

    assert (
        hookreceiver.typed.adapter_for,
        hookreceiver.typed.bind_model,
        hookreceiver.typed.check_model,
    ) == (
        adapter_for,
        bind_model,
        check_model,
    )
