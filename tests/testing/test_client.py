"""HookClient: real ASGI requests into a real receiver, handlers run before ``send`` returns."""

from __future__ import annotations

from typing import Any

import pytest

from hookreceiver import Delivery, HookReceiver, HttpRequest, MemoryStore, Outcome, Settings
from hookreceiver.exceptions import ModelValidationError
from hookreceiver.models import StripeEvent, TwilioMessage
from hookreceiver.providers import Shopify, Slack, Stripe, Twilio, WeChat
from hookreceiver.receiver import Endpoint
from hookreceiver.testing import FROZEN_AT, FrozenClock, HookClient

pytestmark = pytest.mark.anyio

STRIPE_SECRET = "whsec_client_tests"


class Boom(RuntimeError):
    pass


def stripe_app(max_attempts: int = 3) -> tuple[HookReceiver, Endpoint]:
    receiver = HookReceiver(settings=Settings(), run_worker=True)
    return receiver, receiver.endpoint("/stripe", Stripe(secret=STRIPE_SECRET), max_attempts=max_attempts)


async def test_handlers_have_run_when_send_returns() -> None:
    receiver, stripe = stripe_app()
    paid: list[str] = []

    @stripe.on("invoice.paid")
    async def record(delivery: Delivery) -> None:
        paid.append(delivery.payload["data"]["object"]["id"])

    async with HookClient(receiver) as client:
        result = await client.send("/stripe")  # the shipped invoice.paid sample
    assert result.status_code == 200 and result.response.json()["status"] == "accepted"
    assert result.status == "done" and result.error is None
    assert paid == ["in_1P8x2OHk3vGm7TqLr9sT1uVw"]
    assert result.delivery is not None and result.delivery.topic == "invoice.paid"


async def test_a_failing_handler_reports_failed_with_the_exception() -> None:
    receiver, stripe = stripe_app()

    @stripe.on("invoice.paid")
    def explode(delivery: Delivery) -> None:
        raise Boom(f"attempt {delivery.attempt}")

    async with HookClient(receiver) as client:
        result = await client.send("/stripe", topic="invoice.paid")
        assert result.status_code == 200  # acknowledged: the failure is ours, not the sender's
        assert result.status == "failed"
        assert isinstance(result.error, Boom) and str(result.error) == "attempt 1"
        assert result.outcome is not None and result.outcome.delay is not None
        with pytest.raises(Boom, match="attempt 1"):
            result.raise_for_error()
        assert client.clock() == FROZEN_AT  # without settle the retry waits, the clock stays
        assert await client.dead_letters() == []


async def test_settle_runs_the_retries_until_dead_lettered() -> None:
    receiver, stripe = stripe_app(max_attempts=3)
    attempts: list[int] = []

    @stripe.on("invoice.paid")
    def explode(delivery: Delivery) -> None:
        attempts.append(delivery.attempt)
        raise Boom("still broken")

    async with HookClient(receiver) as client:
        result = await client.send("/stripe", settle=True)
        assert result.status == "dead"
        assert [o.status for o in result.outcomes] == ["retry", "retry", "dead"]
        assert attempts == [1, 2, 3]
        assert client.clock() > FROZEN_AT  # jumped over the backoff delays
        [letter] = await client.dead_letters()
        assert letter.attempts == 3 and "Boom: still broken" in letter.error


async def test_settle_stops_at_the_first_success() -> None:
    receiver, stripe = stripe_app(max_attempts=5)
    attempts: list[int] = []

    @stripe.on("invoice.paid")
    def flaky(delivery: Delivery) -> None:
        attempts.append(delivery.attempt)
        if delivery.attempt < 2:
            raise Boom("first time")

    async with HookClient(receiver) as client:
        result = await client.send("/stripe", settle=True)
    assert result.status == "done" and attempts == [1, 2]


async def test_typed_payload_failure_is_a_failed_run_with_the_validation_error() -> None:
    receiver, stripe = stripe_app()

    @stripe.on("invoice.paid", model=StripeEvent)
    async def typed(delivery: Delivery[StripeEvent]) -> None: ...

    async with HookClient(receiver) as client:
        result = await client.send("/stripe", {"data": "not an object"}, topic="invoice.paid")
    assert result.status_code == 200 and result.status == "failed"
    assert isinstance(result.error, ModelValidationError) and "data" in str(result.error)
    assert "not an object" not in str(result.error)  # names the field, not the value


async def test_rejected_duplicate_and_unrouted_requests() -> None:
    receiver, stripe = stripe_app()
    runs: list[str] = []

    @stripe.on("invoice.*")
    async def record(delivery: Delivery) -> None:
        runs.append(delivery.delivery_id)

    async with HookClient(receiver) as client:
        good = client.request("/stripe", delivery_id="evt_dup")
        forged = HttpRequest(
            good.method,
            good.url,
            good.path,
            good.headers,
            good.query_string,
            good.body.replace(b"2000", b"9000"),
        )
        rejected = await client.post(forged)
        assert (rejected.status_code, rejected.status, rejected.outcomes) == (401, "rejected", ())
        assert rejected.response.json()["error"] == "bad_signature"

        first, second = await client.post(good), await client.post(good)
        assert (first.status, second.status) == ("done", "not_run")
        assert second.response.json()["status"] == "duplicate"

        unrouted = await client.send("/stripe", topic="payment_intent.succeeded")
        assert unrouted.status == "not_run" and unrouted.response.json()["status"] == "unrouted"
    assert runs == ["evt_dup"]


async def test_stale_signatures_are_rejected_against_the_frozen_clock() -> None:
    receiver, _ = stripe_app()
    async with HookClient(receiver, clock=FrozenClock(at=2_000_000_000)) as client:
        stale = await client.send("/stripe", timestamp=client.clock() - 301)
        fresh = await client.send("/stripe", delivery_id="evt_fresh")
    assert stale.status == "rejected" and stale.response.json()["error"] == "stale_timestamp"
    assert fresh.status_code == 200


async def test_url_signed_twilio_and_query_signed_wechat() -> None:
    receiver = HookReceiver(settings=Settings())
    sms = receiver.endpoint("/sms", Twilio(secret="twilio-auth-token"))
    behind_proxy = receiver.endpoint(
        "/sms-public", Twilio(secret="twilio-auth-token"), public_url="https://hooks.example.com/twilio/sms"
    )
    wechat = receiver.endpoint("/wechat", WeChat(secret="wechat_token"))
    seen: list[Any] = []

    @sms.on("message.received", model=TwilioMessage)
    @behind_proxy.on("message.received", model=TwilioMessage)
    def incoming(delivery: Delivery[TwilioMessage]) -> None:
        seen.append(delivery.payload.Body)

    @wechat.on("text")
    def text(delivery: Delivery) -> None:
        seen.append(delivery.payload["Content"])

    async with HookClient(receiver) as client:
        direct = await client.send(
            "/sms",
            {"Body": "hello", "From": "+1555", "To": "+1666", "MessageSid": "SM1", "AccountSid": "AC1"},
            topic="message.received",
        )
        proxied = await client.send("/sms-public")
        assert client.request("/sms-public").url == "https://hooks.example.com/twilio/sms"
        chat = await client.send("/wechat", {"Content": "你好"}, topic="text")
    assert direct.status == proxied.status == chat.status == "done"
    assert direct.response.text.endswith("<Response/>")  # Twilio's own ack, from the provider
    assert chat.response.text == "success"
    assert seen == ["hello", "STATUS 1042", "你好"]


async def test_handshakes_are_answered_and_run_nothing() -> None:
    receiver = HookReceiver(settings=Settings())
    slack = receiver.endpoint("/slack", Slack(secret="slack-secret"))
    slack.on("*")(lambda delivery: None)
    async with HookClient(receiver) as client:
        result = await client.send("/slack", {"challenge": "ch-123"}, topic="url_verification")
    assert result.status == "not_run" and result.response.json() == {"challenge": "ch-123"}


async def test_the_receiver_is_restored_and_each_client_starts_clean() -> None:
    own_store = MemoryStore()
    receiver = HookReceiver(store=own_store, settings=Settings(), run_worker=True)
    shop = receiver.endpoint("/shop", Shopify(secret="shpss_x"))
    outcomes: list[Outcome] = []
    receiver.worker.listeners.append(outcomes.append)
    shop.on("orders/create")(lambda delivery: None)
    original_clock, original_worker = receiver.clock, receiver.worker

    for _ in range(2):  # the same sample twice: a fresh store each time, so no duplicate
        async with HookClient(receiver) as client:
            assert receiver.store is client.store is not own_store
            assert receiver.clock is client.clock and receiver.run_worker is False
            result = await client.send("/shop", delivery_id="evt-same")
            assert result.status == "done"
    assert [o.status for o in outcomes] == ["done", "done"]  # the receiver's listeners still hear
    assert receiver.store is own_store and receiver.clock is original_clock
    assert receiver.worker is original_worker and receiver.run_worker is True
    assert await own_store.state("/shop:evt-same") is None


async def test_misuse_is_reported() -> None:
    receiver, _ = stripe_app()
    client = HookClient(receiver)
    with pytest.raises(RuntimeError, match="async with HookClient"):
        await client.send("/stripe")
    async with client:
        with pytest.raises(LookupError, match=r"no endpoint at '/nope' \(endpoints: /stripe\)"):
            await client.send("/nope")
    receiver.worker.start()
    try:
        with pytest.raises(RuntimeError, match="worker is running"):
            HookClient(receiver).open()
    finally:
        await receiver.worker.stop()


async def test_replayed_deliveries_run_with_run() -> None:
    receiver, stripe = stripe_app()
    runs: list[int] = []
    stripe.on("invoice.paid")(lambda delivery: runs.append(delivery.attempt))
    async with HookClient(receiver) as client:
        result = await client.send("/stripe")
        assert result.delivery is not None
        assert await client.store.replay(result.delivery.key)
        again = await client.run()
    assert [o.status for o in again] == ["done"] and runs == [1, 1]


async def test_a_send_reports_its_own_delivery_not_an_earlier_retry() -> None:
    receiver, stripe = stripe_app(max_attempts=5)
    runs: list[tuple[str, int]] = []

    @stripe.on("invoice.paid")
    def only_a_fails(delivery: Delivery) -> None:
        runs.append((delivery.delivery_id, delivery.attempt))
        if delivery.delivery_id == "evt_A":
            raise Boom("A is broken")

    async with HookClient(receiver) as client:
        first = await client.send("/stripe", delivery_id="evt_A")
        assert first.status == "failed"
        client.clock.advance(3600)  # A's retry is due now, and runs alongside B
        second = await client.send("/stripe", delivery_id="evt_B")
    assert sorted(runs) == [("evt_A", 1), ("evt_A", 2), ("evt_B", 1)]
    assert second.status == "done" and second.error is None
    assert (first.key, second.key) == ("/stripe:evt_A", "/stripe:evt_B")
    second.raise_for_error()
    assert [(o.delivery.delivery_id, o.status) for o in second.outcomes] == [("evt_B", "done")]
    assert second.delivery is not None and second.delivery.delivery_id == "evt_B"
    assert [(o.delivery.delivery_id, o.status) for o in second.other_outcomes] == [("evt_A", "retry")]
    assert isinstance(second.other_outcomes[0].error, Boom)


async def test_the_key_of_a_provider_answering_in_its_own_shape_is_found_from_the_request() -> None:
    receiver = HookReceiver(settings=Settings())
    sms = receiver.endpoint("/sms", Twilio(secret="twilio-auth-token"))
    sms.on("message.received")(lambda delivery: None)
    async with HookClient(receiver) as client:
        result = await client.send("/sms", delivery_id="idem-1")
    assert result.response.text.endswith("<Response/>")  # TwiML: no delivery_id in the answer
    # Twilio's id is SID:status:hash of signed content; sign() puts delivery_id in the SID.
    assert result.key is not None and result.key.startswith("/sms:idem-1:received:")
    assert result.status == "done"


async def test_run_with_settle_runs_a_retry_scheduled_by_an_earlier_send() -> None:
    receiver, stripe = stripe_app(max_attempts=3)
    attempts: list[int] = []

    @stripe.on("invoice.paid")
    def explode(delivery: Delivery) -> None:
        attempts.append(delivery.attempt)
        raise Boom("down")

    async with HookClient(receiver) as client:
        first = await client.send("/stripe")  # no settle: attempt 1 fails, attempt 2 is scheduled
        assert first.status == "failed" and await client.dead_letters() == []
        assert await client.run() == ()  # nothing is due yet
        settled = await client.run(settle=True)
        [letter] = await client.dead_letters()
        assert client.clock() > FROZEN_AT
        assert await client.run(settle=True) == ()  # nothing left: returns at once
    assert [(o.delivery.attempt, o.status) for o in settled] == [(2, "retry"), (3, "dead")]
    assert attempts == [1, 2, 3] and letter.attempts == 3


async def test_settle_gives_up_on_a_retry_the_store_never_hands_out() -> None:
    # A store on a clock of its own (a real clock, here) never sees the frozen clock jump.
    receiver, stripe = stripe_app(max_attempts=3)
    stripe.on("invoice.paid")(lambda delivery: (_ for _ in ()).throw(Boom("down")))
    async with HookClient(receiver, store=MemoryStore()) as client:
        result = await client.send("/stripe", settle=True)
    assert [o.status for o in result.outcomes] == ["retry"]


async def test_fresh_id_sends_the_same_sample_as_new_deliveries() -> None:
    receiver, stripe = stripe_app()
    runs: list[str] = []
    stripe.on("invoice.paid")(lambda delivery: runs.append(delivery.delivery_id))
    async with HookClient(receiver) as client:
        same = [await client.send("/stripe") for _ in range(2)]
        fresh = [await client.send("/stripe", fresh_id=True) for _ in range(2)]
    assert [r.status for r in same] == ["done", "not_run"]  # the sample's own id: a duplicate
    assert [r.status for r in fresh] == ["done", "done"]
    assert len(set(runs)) == 3 and runs[1:] == [r.key.split(":", 1)[1] for r in fresh if r.key]


ADYEN_KEY = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"


def adyen_item(psp: str, code: str = "AUTHORISATION") -> dict[str, Any]:
    return {
        "NotificationRequestItem": {
            "pspReference": psp,
            "originalReference": "",
            "merchantAccountCode": "TestMerchant",
            "merchantReference": f"order-{psp}",
            "amount": {"value": 1000, "currency": "EUR"},
            "eventCode": code,
            "success": "true",
        }
    }


async def test_a_batch_reports_the_runs_of_each_of_its_items() -> None:
    """Adyen answers ``[accepted]``, which names no delivery: the items are read from the request."""
    from hookreceiver.providers import Adyen

    receiver = HookReceiver(settings=Settings(), run_worker=True)
    adyen = receiver.endpoint("/adyen", Adyen(secret=ADYEN_KEY))
    seen: list[str] = []

    @adyen.on("*")
    async def record(delivery: Delivery) -> None:
        seen.append(delivery.delivery_id)
        if delivery.payload["pspReference"] == "PSP2":
            raise Boom("second item")

    async with HookClient(receiver) as client:
        one = await client.send(
            "/adyen", {"live": "false", "notificationItems": [adyen_item("PSP1")]}, topic="AUTHORISATION"
        )
        assert one.response.text == "[accepted]"
        assert one.status == "done" and len(one.keys) == 1 and one.key == one.keys[0]
        batch = {"live": "false", "notificationItems": [adyen_item("PSP3"), adyen_item("PSP2")]}
        two = await client.send("/adyen", batch, topic="AUTHORISATION")
    assert len(two.keys) == 2 and len(two.outcomes) == 2
    assert sorted(o.status for o in two.outcomes) == ["done", "retry"]
    assert two.status == "failed"  # the worst of the items' runs
    assert len(seen) == 3


async def test_a_delivery_id_made_up_by_the_provider_is_the_one_stored() -> None:
    """Dropbox sends no delivery id; the one stored is made up when the receiver reads the request,
    and a second reading would make up another: the runs are found by the id the ack names."""
    from hookreceiver.providers import Dropbox

    receiver = HookReceiver(settings=Settings(), run_worker=True)
    dropbox = receiver.endpoint("/dropbox", Dropbox(secret="dropbox-app-secret-for-tests"))

    @dropbox.on("*")
    async def record(delivery: Delivery) -> None:
        return None

    async with HookClient(receiver) as client:
        result = await client.send("/dropbox")
    assert result.status == "done"
    assert result.key == f"/dropbox:{result.response.json()['delivery_id']}"
