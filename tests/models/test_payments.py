"""Envelope models of the payment providers and the certificate-signed ones, on what a handler
receives: the shipped samples signed and received for real (PayPal and SNS with test certificates)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from hookreceiver import Delivery
from hookreceiver.models import (
    AdyenNotificationItem,
    CoinbaseWebhook,
    PaddleEvent,
    PayPalEvent,
    PaystackEvent,
    RazorpayEvent,
    SNSMessage,
    SquareEvent,
)
from hookreceiver.providers import PayPal, receive
from hookreceiver.providers.sns import SNS
from hookreceiver.testing import sample_topics
from hookreceiver.testing.certs import certificate_pair
from tests.models.support import NOW, received


@pytest.mark.parametrize("topic", sample_topics("paddle"))
def test_paddle(topic: str) -> None:
    event = PaddleEvent.model_validate(received("paddle", topic))
    assert event.event_type == topic and event.notification_id is not None
    assert event.occurred_at == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)


def test_square() -> None:
    event = SquareEvent.model_validate(received("square", "payment.updated"))
    assert (event.type, event.data.type) == ("payment.updated", "payment")
    assert event.data.object["payment"]["status"] == "COMPLETED"


def test_adyen_item_with_text_booleans() -> None:
    item = AdyenNotificationItem.model_validate(received("adyen", "AUTHORISATION"))
    assert (item.eventCode, item.success, item.pspReference) == ("AUTHORISATION", True, "7914073381342284")
    assert item.amount is not None and (item.amount.value, item.amount.currency) == (1000, "EUR")
    assert "hmacSignature" in item.additionalData
    refund = AdyenNotificationItem.model_validate(received("adyen", "REFUND"))
    assert refund.originalReference == "7914073381342284"


def test_razorpay_paystack_coinbase() -> None:
    razorpay = RazorpayEvent.model_validate(received("razorpay", "order.paid"))
    assert (
        razorpay.contains == ["payment", "order"] and razorpay.payload["order"]["entity"]["status"] == "paid"
    )
    paystack = PaystackEvent.model_validate(received("paystack", "charge.success"))
    assert (paystack.event, paystack.data["reference"]) == ("charge.success", "qTPrJoy9Bx")
    coinbase = CoinbaseWebhook.model_validate(received("coinbase", "charge:confirmed"))
    assert coinbase.event.type == "charge:confirmed" and coinbase.attempt_number == 1
    assert coinbase.event.data["code"] == "66BEOV2A"


def test_paypal() -> None:
    pair = certificate_pair("paypal-models", "messageverificationcerts.paypal.com")
    paypal = PayPal(webhook_id="WH-ID", fetch=lambda url: pair.certificate_pem, signing_key=pair.private_pem)
    request = paypal.sign(
        {"resource_type": "capture", "resource": {"id": "42311647XV020574X"}, "summary": "Payment completed"},
        topic="PAYMENT.CAPTURE.COMPLETED",
        delivery_id="WH-0G2756385H040842W",
        timestamp=NOW,
        url="https://hooks.example.com/paypal",
    )
    delivery = receive(paypal, request, endpoint="/paypal", now=NOW)
    assert isinstance(delivery, Delivery)
    event = PayPalEvent.model_validate(delivery.payload)
    assert (event.id, event.event_type, event.resource["id"]) == (
        "WH-0G2756385H040842W",
        "PAYMENT.CAPTURE.COMPLETED",
        "42311647XV020574X",
    )


def test_sns_notification() -> None:
    pair = certificate_pair("sns-models")
    arn = "arn:aws:sns:us-east-1:123456789012:orders"
    sns = SNS(topic_arns=[arn], fetch=lambda url: pair.certificate_pem, signing_key=pair.private_pem)
    request = sns.sign(
        {"order": 7}, topic="Notification", delivery_id="m-1", timestamp=NOW, url="https://e/sns"
    )
    delivery = receive(sns, request, endpoint="/sns", now=NOW)
    assert isinstance(delivery, Delivery)
    message = SNSMessage.model_validate(delivery.payload)
    assert (message.Type, message.MessageId, message.TopicArn) == ("Notification", "m-1", arn)
    assert json.loads(message.Message) == {"order": 7}


def test_wrong_types_are_named() -> None:
    with pytest.raises(ValidationError, match="amount.value"):
        AdyenNotificationItem.model_validate(
            {
                "pspReference": "1",
                "merchantAccountCode": "m",
                "eventCode": "AUTHORISATION",
                "success": "true",
                "amount": {"currency": "EUR", "value": "ten"},
            }
        )
