"""Envelope models of the developer-tool providers and Pub/Sub, on what a handler receives."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hookreceiver import Delivery
from hookreceiver.models import (
    AsanaEvent,
    BitbucketEvent,
    CalendlyWebhook,
    DropboxNotification,
    HubSpotEvent,
    IntercomNotification,
    LinearWebhook,
    PubSubPush,
    SentryWebhook,
    TwitchMessage,
    TypeformEvent,
    VercelEvent,
    ZendeskEvent,
    ZoomEvent,
)
from hookreceiver.providers import PubSub, receive
from hookreceiver.testing.keys import jwt_key_pair
from tests.models.support import NOW, received


def test_bitbucket_linear_intercom_vercel() -> None:
    push = BitbucketEvent.model_validate(received("bitbucket", "repo:push"))
    assert push.repository is not None and push.repository.full_name == "lumen-labs/pager-kit"
    assert push.actor is not None and push.actor.nickname == "mira-okafor" and push.push is not None
    issue = LinearWebhook.model_validate(received("linear", "Issue.create"))
    assert (issue.type, issue.action, issue.data["identifier"]) == ("Issue", "create", "ENG-212")
    assert issue.webhookTimestamp == int(NOW * 1000)
    note = IntercomNotification.model_validate(received("intercom", "conversation.user.created"))
    assert note.topic == "conversation.user.created" and note.data.item["id"] == "147"
    deployment = VercelEvent.model_validate(received("vercel", "deployment.created"))
    assert deployment.type == "deployment.created" and deployment.createdAt == int(NOW * 1000)


def test_sentry_typeform_calendly_zendesk() -> None:
    sentry = SentryWebhook.model_validate(received("sentry", "issue.created"))
    assert sentry.action == "created" and sentry.data["issue"]["shortId"] == "PAGER-KIT-3"
    typeform = TypeformEvent.model_validate(received("typeform", "form_response"))
    assert typeform.form_response.form_id == "lT4Z3j" and typeform.form_response.answers[0]["number"] == 9
    calendly = CalendlyWebhook.model_validate(received("calendly", "invitee.created"))
    assert calendly.event == "invitee.created" and calendly.payload["email"] == "jon@example.com"
    zendesk = ZendeskEvent.model_validate(received("zendesk", "ticket.created"))
    assert zendesk.type == "zen:event-type:ticket.created" and zendesk.detail["subject"] == "Missing webhooks"


def test_zoom_twitch_hubspot_dropbox_asana() -> None:
    zoom = ZoomEvent.model_validate(received("zoom", "meeting.started"))
    assert zoom.payload.object is not None and zoom.payload.object["topic"] == "Webhook review"
    twitch = TwitchMessage.model_validate(received("twitch", "channel.follow"))
    assert twitch.subscription.type == "channel.follow" and twitch.event is not None
    assert twitch.challenge is None
    hubspot = HubSpotEvent.model_validate(received("hubspot", "deal.propertyChange"))
    assert (hubspot.subscriptionType, hubspot.propertyName) == ("deal.propertyChange", "dealstage")
    dropbox = DropboxNotification.model_validate(received("dropbox", "list_folder"))
    assert dropbox.list_folder is not None and len(dropbox.list_folder.accounts) == 2
    asana = AsanaEvent.model_validate(received("asana", "task.changed"))
    assert (asana.action, asana.resource.resource_type) == ("changed", "task")
    assert asana.change is not None and asana.change["field"] == "completed"


def test_pubsub_push() -> None:
    keys = jwt_key_pair("models")
    pubsub = PubSub(
        audience="https://e/p",
        service_account="push@p.iam.gserviceaccount.com",
        fetch=lambda url: keys.jwks,
        signing_key=keys.private,
        key_id=keys.key_id,
    )
    request = pubsub.sign({"order": 7}, topic="orders", delivery_id="42", timestamp=NOW, url="https://e/p")
    delivery = receive(pubsub, request, endpoint="/p", now=NOW)
    assert isinstance(delivery, Delivery)
    push = PubSubPush.model_validate(delivery.payload)
    assert (push.message.messageId, push.data, push.subscription.endswith("/orders")) == (
        "42",
        {"order": 7},
        True,
    )


def test_wrong_types_are_named() -> None:
    with pytest.raises(ValidationError, match="eventId"):
        HubSpotEvent.model_validate(
            {"eventId": "x", "portalId": 1, "occurredAt": 1, "subscriptionType": "contact.creation"}
        )
