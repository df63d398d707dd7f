"""What notifications need from the outside world, as Protocols; `simexit.integrations` implements them.

`Transports` is built once at the edge from settings (`simexit.integrations.transports.build_transports`)
and handed to the worker. An e-mail or SMS transport left as None means the local sink: the
message is stored and shown in the console, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from simexit.notifications.sms_encoding import SmsEncoding


class DeliveryError(Exception):
    """A transport refused or failed. The message is safe to store: no credentials, no body."""


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    message_id: str  # stable per notification, so a resend can be recognised downstream
    to: str
    subject: str
    text: str
    html: str | None
    language: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class OutgoingSms:
    delivery_id: str  # the notification id; Kannel echoes it in delivery reports
    to: str
    text: str
    encoding: SmsEncoding
    segments: int


@dataclass(frozen=True, slots=True)
class SendReceipt:
    detail: str | None = None  # the gateway's answer, e.g. "0: Accepted for delivery"


class EmailSender(Protocol):
    name: str

    def send(self, message: OutgoingEmail) -> SendReceipt: ...


class SmsSender(Protocol):
    name: str

    def send(self, message: OutgoingSms) -> SendReceipt: ...


class WebhookSender(Protocol):
    def post(self, url: str, *, body: bytes, headers: Mapping[str, str]) -> int:
        """POST and return the HTTP status code; raise DeliveryError when no answer came."""
        ...


@dataclass(frozen=True, slots=True)
class Transports:
    email: EmailSender | None = None  # None: local sink
    sms: SmsSender | None = None  # None: local sink
    webhooks: WebhookSender | None = None  # None: webhook jobs fail (and retry) until configured
