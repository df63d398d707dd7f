"""The notification channels and their transports, built once at the edge from settings.

A new channel is one adapter module in `simexit.integrations` and one line in
`build_channels`; the notification service does not change.
"""

from __future__ import annotations

from simexit.config import Settings
from simexit.integrations.kannel.client import KannelConfig, KannelSmsSender
from simexit.integrations.push.channel import HttpPushSender, PushChannel, PushConfig
from simexit.integrations.smtp.client import SmtpConfig, SmtpEmailSender
from simexit.integrations.webhooks.client import HttpWebhookSender
from simexit.notifications.channels import EmailChannel, SmsChannel
from simexit.notifications.ports import Channel, ChannelRegistry, Transports

# Where Kannel should call back with delivery reports, below SIMEXIT_BASE_URL. The HTTP route
# there calls `simexit.notifications.service.apply_delivery_report`.
KANNEL_DLR_PATH = "/hooks/kannel/dlr"


def build_transports(settings: Settings) -> Transports:
    return Transports(channels=build_channels(settings), webhooks=HttpWebhookSender())


def build_channels(settings: Settings) -> ChannelRegistry:
    """E-mail and SMS always (SMTP when smtp_host is set, Kannel when kannel_sendsms_url is set,
    the local sink otherwise), then push when push_url is set; a subscriber's messages are
    listed in this order."""
    email = (
        SmtpEmailSender(
            SmtpConfig(
                host=settings.smtp_host,
                port=settings.smtp_port,
                security=settings.smtp_security,
                username=settings.smtp_username,
                password=settings.smtp_password.get_secret_value(),
                mail_from=settings.mail_from,
            )
        )
        if settings.smtp_host
        else None
    )
    if email is not None:
        email.prepare()
    sms = (
        KannelSmsSender(
            KannelConfig(
                sendsms_url=settings.kannel_sendsms_url,
                username=settings.kannel_username,
                password=settings.kannel_password.get_secret_value(),
                sender=settings.sms_sender,
                dlr_url=settings.base_url.rstrip("/") + KANNEL_DLR_PATH
                if settings.base_url
                else None,
            )
        )
        if settings.kannel_sendsms_url
        else None
    )
    channels: list[Channel] = [EmailChannel(email), SmsChannel(sms)]
    if settings.push_url:
        channels.append(PushChannel(HttpPushSender(PushConfig(url=settings.push_url))))
    return ChannelRegistry(channels)


def sink_channel_names(settings: Settings) -> tuple[tuple[str, ...], frozenset[str]]:
    """The channel names `build_channels` registers, in order, and those among them that go to
    the local sink; read off the settings alone, so nothing connects anywhere."""
    names = ["email", "sms", *(["push"] if settings.push_url else [])]
    sinks = {"email"} if not settings.smtp_host else set()
    if not settings.kannel_sendsms_url:
        sinks.add("sms")
    return tuple(names), frozenset(sinks)
