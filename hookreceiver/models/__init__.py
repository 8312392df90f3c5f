"""Light envelope models for the built-in providers, for ``@endpoint.on(..., model=...)``.

Envelopes, not every event schema: each types the fields its provider's events share and keeps
the rest (``extra="allow"``), so a field the provider adds later never fails validation.
"""

from hookreceiver.models.base import Envelope, FormEnvelope
from hookreceiver.models.discord import DiscordInteraction, DiscordInteractionData, DiscordUser
from hookreceiver.models.feishu import FeishuEvent, FeishuEventHeader
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
from hookreceiver.models.mailgun import MailgunEventData, MailgunSignature, MailgunWebhook
from hookreceiver.models.meta import (
    MetaChange,
    MetaEntry,
    MetaWebhook,
    WhatsAppMessage,
    WhatsAppValue,
)
from hookreceiver.models.postmark import PostmarkBounce, PostmarkDelivery, PostmarkInbound
from hookreceiver.models.sendgrid import SendGridEvent
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
from hookreceiver.models.telegram import (
    TelegramCallbackQuery,
    TelegramChat,
    TelegramMessage,
    TelegramUpdate,
    TelegramUser,
)
from hookreceiver.models.twilio import TwilioCall, TwilioMessage
from hookreceiver.models.wechat import WeChatMessage

__all__ = [
    "DiscordInteraction",
    "DiscordInteractionData",
    "DiscordUser",
    "Envelope",
    "FeishuEvent",
    "FeishuEventHeader",
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
    "MailgunEventData",
    "MailgunSignature",
    "MailgunWebhook",
    "MetaChange",
    "MetaEntry",
    "MetaWebhook",
    "PostmarkBounce",
    "PostmarkDelivery",
    "PostmarkInbound",
    "SendGridEvent",
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
    "TelegramCallbackQuery",
    "TelegramChat",
    "TelegramMessage",
    "TelegramUpdate",
    "TelegramUser",
    "TwilioCall",
    "TwilioMessage",
    "WeChatMessage",
    "WhatsAppMessage",
    "WhatsAppValue",
]
