"""The built-in channels, e-mail and SMS, and the transports this process uses.

Each channel takes its transport (an SMTP or Kannel sender from `simexit.integrations`) or None
for the local sink. Other channels (push, ...) live in `simexit.integrations` and are registered
beside these by `simexit.integrations.transports.build_transports`; nothing here or in the
service changes for them.

`use_transports` is called once by the edge that starts a process (`Runtime.prepare_jobs`, the
embedded server); until then e-mail and SMS go to the local sink and webhooks wait.
"""

from __future__ import annotations

from simexit.notifications import sms_encoding
from simexit.notifications.ports import (
    EMAIL_ADDRESS,
    PHONE_NUMBER,
    ChannelRegistry,
    EmailSender,
    Message,
    OutgoingEmail,
    OutgoingSms,
    SendReceipt,
    Shaped,
    SmsSender,
    Transports,
)
from simexit.notifications.templates import RenderedMessage


class EmailChannel:
    name = "email"
    contact = EMAIL_ADDRESS
    attaches = True

    def __init__(self, sender: EmailSender | None = None) -> None:
        self.sender = sender

    @property
    def transport(self) -> str | None:
        return self.sender.name if self.sender else None

    def shape(self, rendered: RenderedMessage) -> Shaped:
        return Shaped(text=rendered.text, subject=rendered.subject, html=rendered.html)

    def send(self, message: Message) -> SendReceipt:
        if self.sender is None:
            raise RuntimeError("the local sink sends nothing")
        return self.sender.send(
            OutgoingEmail(
                message_id=f"<{message.notification_id}@simexit>",
                to=message.recipient,
                subject=message.subject or "",
                text=message.text,
                html=message.html,
                language=message.language,
                created_at=message.created_at,
                attachments=message.attachments,
            )
        )


class SmsChannel:
    name = "sms"
    contact = PHONE_NUMBER
    attaches = False

    def __init__(self, sender: SmsSender | None = None) -> None:
        self.sender = sender

    @property
    def transport(self) -> str | None:
        return self.sender.name if self.sender else None

    def shape(self, rendered: RenderedMessage) -> Shaped:
        text = rendered.short_text(self.name)
        counted = sms_encoding.shape(text)
        return Shaped(text=text, encoding=counted.encoding.value, segments=counted.segments)

    def send(self, message: Message) -> SendReceipt:
        if self.sender is None:
            raise RuntimeError("the local sink sends nothing")
        counted = sms_encoding.shape(message.text)
        return self.sender.send(
            OutgoingSms(
                delivery_id=str(message.notification_id),
                to=message.recipient,
                text=message.text,
                encoding=counted.encoding,
                segments=counted.segments,
            )
        )


def local_sinks() -> ChannelRegistry:
    """E-mail and SMS with no transport: what a process uses before the edge configures it."""
    return ChannelRegistry([EmailChannel(), SmsChannel()])


class _Configured:
    transports = Transports(channels=local_sinks())


def use_transports(transports: Transports) -> None:
    _Configured.transports = transports


def current_transports() -> Transports:
    return _Configured.transports
