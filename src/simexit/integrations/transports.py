"""The notification transports, built once at the edge from settings."""

from __future__ import annotations

from simexit.config import Settings
from simexit.integrations.kannel.client import KannelConfig, KannelSmsSender
from simexit.integrations.smtp.client import SmtpConfig, SmtpEmailSender
from simexit.integrations.webhooks.client import HttpWebhookSender
from simexit.notifications.ports import Transports

# Where Kannel should call back with delivery reports, below SIMEXIT_BASE_URL. The HTTP route
# there calls `simexit.notifications.service.apply_delivery_report`.
KANNEL_DLR_PATH = "/hooks/kannel/dlr"


def build_transports(settings: Settings) -> Transports:
    """SMTP when smtp_host is set, Kannel when kannel_sendsms_url is set; the local sink otherwise."""
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
    return Transports(email=email, sms=sms, webhooks=HttpWebhookSender())
