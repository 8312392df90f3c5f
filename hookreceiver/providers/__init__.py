"""Provider adapters, one per file, and a name -> class table for the CLI and the testing kit."""

from hookreceiver.providers.adyen import Adyen
from hookreceiver.providers.asana import Asana
from hookreceiver.providers.base import (
    BaseProvider,
    Identity,
    Provider,
    ProviderFactory,
    lookup,
    receive,
    receive_all,
)
from hookreceiver.providers.bitbucket import Bitbucket
from hookreceiver.providers.calendly import Calendly
from hookreceiver.providers.coinbase import Coinbase
from hookreceiver.providers.dingtalk import DingTalk
from hookreceiver.providers.discord import Discord
from hookreceiver.providers.dropbox import Dropbox
from hookreceiver.providers.feishu import Feishu, Lark
from hookreceiver.providers.generic import Generic, Source
from hookreceiver.providers.github import GitHub
from hookreceiver.providers.gitlab import GitLab
from hookreceiver.providers.hubspot import HubSpot
from hookreceiver.providers.intercom import Intercom
from hookreceiver.providers.linear import Linear
from hookreceiver.providers.mailgun import Mailgun
from hookreceiver.providers.meta import Meta
from hookreceiver.providers.paddle import Paddle
from hookreceiver.providers.paypal import PayPal
from hookreceiver.providers.paystack import Paystack
from hookreceiver.providers.postmark import Postmark
from hookreceiver.providers.pubsub import PubSub
from hookreceiver.providers.razorpay import Razorpay
from hookreceiver.providers.sendgrid import SendGrid
from hookreceiver.providers.sentry import Sentry
from hookreceiver.providers.shopify import Shopify
from hookreceiver.providers.slack import Slack
from hookreceiver.providers.sns import SNS
from hookreceiver.providers.square import Square
from hookreceiver.providers.standard import StandardWebhooks, Svix
from hookreceiver.providers.stripe import Stripe
from hookreceiver.providers.telegram import Telegram
from hookreceiver.providers.twilio import Twilio
from hookreceiver.providers.twitch import Twitch
from hookreceiver.providers.typeform import Typeform
from hookreceiver.providers.vercel import Vercel
from hookreceiver.providers.wechat import WeChat
from hookreceiver.providers.wecom import WeCom
from hookreceiver.providers.zendesk import Zendesk
from hookreceiver.providers.zoom import Zoom

# Every class here takes its secret(s) as ``secret=`` (ProviderFactory), so the CLI and the testing
# kit build any of them by name. WeCom and DingTalk are not here: each needs an aes_key and a
# receive id besides its token (sign with ``hookreceiver send --app``).
PROVIDERS: dict[str, ProviderFactory] = {
    "adyen": Adyen,
    "asana": Asana,
    "bitbucket": Bitbucket,
    "calendly": Calendly,
    "coinbase": Coinbase,
    "discord": Discord,
    "dropbox": Dropbox,
    "feishu": Feishu,
    "generic": Generic,
    "github": GitHub,
    "gitlab": GitLab,
    "hubspot": HubSpot,
    "intercom": Intercom,
    "lark": Lark,
    "linear": Linear,
    "mailgun": Mailgun,
    "meta": Meta,
    "paddle": Paddle,
    "paystack": Paystack,
    "postmark": Postmark,
    "razorpay": Razorpay,
    "sendgrid": SendGrid,
    "sentry": Sentry,
    "shopify": Shopify,
    "slack": Slack,
    "square": Square,
    "standard-webhooks": StandardWebhooks,
    "stripe": Stripe,
    "svix": Svix,
    "telegram": Telegram,
    "twilio": Twilio,
    "twitch": Twitch,
    "typeform": Typeform,
    "vercel": Vercel,
    "wechat": WeChat,
    "zendesk": Zendesk,
    "zoom": Zoom,
}

__all__ = [
    "PROVIDERS",
    "SNS",
    "Adyen",
    "Asana",
    "BaseProvider",
    "Bitbucket",
    "Calendly",
    "Coinbase",
    "DingTalk",
    "Discord",
    "Dropbox",
    "Feishu",
    "Generic",
    "GitHub",
    "GitLab",
    "HubSpot",
    "Identity",
    "Intercom",
    "Lark",
    "Linear",
    "Mailgun",
    "Meta",
    "Paddle",
    "PayPal",
    "Paystack",
    "Postmark",
    "Provider",
    "ProviderFactory",
    "PubSub",
    "Razorpay",
    "SendGrid",
    "Sentry",
    "Shopify",
    "Slack",
    "Source",
    "Square",
    "StandardWebhooks",
    "Stripe",
    "Svix",
    "Telegram",
    "Twilio",
    "Twitch",
    "Typeform",
    "Vercel",
    "WeChat",
    "WeCom",
    "Zendesk",
    "Zoom",
    "lookup",
    "receive",
    "receive_all",
]
