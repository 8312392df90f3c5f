"""Light envelope models for the built-in providers, for ``@endpoint.on(..., model=...)``.

Envelopes, not every event schema: each types the fields its provider's events share and keeps
the rest (``extra="allow"``), so a field the provider adds later never fails validation.
"""

from hookreceiver.models.adyen import AdyenAmount, AdyenNotificationItem
from hookreceiver.models.asana import AsanaEvent, AsanaResource
from hookreceiver.models.base import Envelope, FormEnvelope
from hookreceiver.models.bitbucket import BitbucketActor, BitbucketEvent, BitbucketRepository
from hookreceiver.models.calendly import CalendlyWebhook
from hookreceiver.models.coinbase import CoinbaseEvent, CoinbaseWebhook
from hookreceiver.models.discord import DiscordInteraction, DiscordInteractionData, DiscordUser
from hookreceiver.models.dropbox import DropboxAccounts, DropboxNotification
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
from hookreceiver.models.hubspot import HubSpotEvent
from hookreceiver.models.intercom import IntercomNotification, IntercomNotificationData
from hookreceiver.models.linear import LinearWebhook
from hookreceiver.models.mailgun import MailgunEventData, MailgunSignature, MailgunWebhook
from hookreceiver.models.meta import (
    MetaChange,
    MetaEntry,
    MetaWebhook,
    WhatsAppMessage,
    WhatsAppValue,
)
from hookreceiver.models.paddle import PaddleEvent
from hookreceiver.models.paypal import PayPalEvent
from hookreceiver.models.paystack import PaystackEvent
from hookreceiver.models.postmark import PostmarkBounce, PostmarkDelivery, PostmarkInbound
from hookreceiver.models.pubsub import PubSubMessage, PubSubPush
from hookreceiver.models.razorpay import RazorpayEvent
from hookreceiver.models.sendgrid import SendGridEvent
from hookreceiver.models.sentry import SentryActor, SentryInstallation, SentryWebhook
from hookreceiver.models.shopify import ShopifyCustomer, ShopifyLineItem, ShopifyOrder
from hookreceiver.models.slack import (
    SlackAction,
    SlackEvent,
    SlackEventCallback,
    SlackInteraction,
    SlackSlashCommand,
)
from hookreceiver.models.sns import SNSMessage
from hookreceiver.models.square import SquareEvent, SquareEventData
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
from hookreceiver.models.twitch import TwitchMessage, TwitchSubscription
from hookreceiver.models.typeform import TypeformEvent, TypeformResponse
from hookreceiver.models.vercel import VercelEvent
from hookreceiver.models.wechat import WeChatMessage
from hookreceiver.models.zendesk import ZendeskEvent
from hookreceiver.models.zoom import ZoomEvent, ZoomPayload

__all__ = [
    "AdyenAmount",
    "AdyenNotificationItem",
    "AsanaEvent",
    "AsanaResource",
    "BitbucketActor",
    "BitbucketEvent",
    "BitbucketRepository",
    "CalendlyWebhook",
    "CoinbaseEvent",
    "CoinbaseWebhook",
    "DiscordInteraction",
    "DiscordInteractionData",
    "DiscordUser",
    "DropboxAccounts",
    "DropboxNotification",
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
    "HubSpotEvent",
    "IntercomNotification",
    "IntercomNotificationData",
    "LinearWebhook",
    "MailgunEventData",
    "MailgunSignature",
    "MailgunWebhook",
    "MetaChange",
    "MetaEntry",
    "MetaWebhook",
    "PaddleEvent",
    "PayPalEvent",
    "PaystackEvent",
    "PostmarkBounce",
    "PostmarkDelivery",
    "PostmarkInbound",
    "PubSubMessage",
    "PubSubPush",
    "RazorpayEvent",
    "SNSMessage",
    "SendGridEvent",
    "SentryActor",
    "SentryInstallation",
    "SentryWebhook",
    "ShopifyCustomer",
    "ShopifyLineItem",
    "ShopifyOrder",
    "SlackAction",
    "SlackEvent",
    "SlackEventCallback",
    "SlackInteraction",
    "SlackSlashCommand",
    "SquareEvent",
    "SquareEventData",
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
    "TwitchMessage",
    "TwitchSubscription",
    "TypeformEvent",
    "TypeformResponse",
    "VercelEvent",
    "WeChatMessage",
    "WhatsAppMessage",
    "WhatsAppValue",
    "ZendeskEvent",
    "ZoomEvent",
    "ZoomPayload",
]
