"""Light envelope models for the built-in providers, for ``@endpoint.on(..., model=...)``.

Envelopes, not every event schema: each types the fields its provider's events share and keeps
the rest (``extra="allow"``), so a field the provider adds later never fails validation.
"""

from hookreceiver.models.base import Envelope, FormEnvelope
from hookreceiver.models.github import (
    GitHubCommit,
    GitHubEvent,
    GitHubInstallation,
    GitHubOrganization,
    GitHubPullRequest,
    GitHubPullRequestEvent,
    GitHubPush,
    GitHubRepository,
    GitHubUser,
)
from hookreceiver.models.gitlab import GitLabEvent, GitLabProject, GitLabPush, GitLabUser
from hookreceiver.models.shopify import ShopifyCustomer, ShopifyLineItem, ShopifyOrder
from hookreceiver.models.slack import (
    SlackAction,
    SlackEvent,
    SlackEventCallback,
    SlackInteraction,
    SlackSlashCommand,
)
from hookreceiver.models.standard import StandardEvent
from hookreceiver.models.stripe import StripeEvent, StripeEventData, StripeRequest
from hookreceiver.models.twilio import TwilioCall, TwilioMessage
from hookreceiver.models.wechat import WeChatMessage

__all__ = [
    "Envelope",
    "FormEnvelope",
    "GitHubCommit",
    "GitHubEvent",
    "GitHubInstallation",
    "GitHubOrganization",
    "GitHubPullRequest",
    "GitHubPullRequestEvent",
    "GitHubPush",
    "GitHubRepository",
    "GitHubUser",
    "GitLabEvent",
    "GitLabProject",
    "GitLabPush",
    "GitLabUser",
    "ShopifyCustomer",
    "ShopifyLineItem",
    "ShopifyOrder",
    "SlackAction",
    "SlackEvent",
    "SlackEventCallback",
    "SlackInteraction",
    "SlackSlashCommand",
    "StandardEvent",
    "StripeEvent",
    "StripeEventData",
    "StripeRequest",
    "TwilioCall",
    "TwilioMessage",
    "WeChatMessage",
]
