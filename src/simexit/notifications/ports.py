"""What notifications need from the outside world, as Protocols; `simexit.integrations` implements them.

A channel (e-mail, SMS, push, ...) is one adapter: it knows its name, which contact address it
writes to, how a rendered template is stored for it and how a stored message is sent. The
notification service only iterates a `ChannelRegistry`; it names no channel. The registry is
built once at the edge from settings (`simexit.integrations.transports.build_transports`) and
handed to the process with `use_transports`. A channel without a transport is the local sink:
the message is stored and shown in the console, never silently dropped.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from simexit.models.notification import CHANNEL_NAME_LENGTH
from simexit.notifications.sms_encoding import SmsEncoding
from simexit.notifications.templates import RenderedMessage

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# Contact kinds: the keys of the address mapping `notify` takes, and what a channel writes to.
# Two channels may share one (SMS and a WhatsApp channel both write to a phone number).
EMAIL_ADDRESS = "email"
PHONE_NUMBER = "phone"
# A device or app-installation token the push service knows.
PUSH_TOKEN = "push_token"  # noqa: S105 - a contact kind, not a secret


class DeliveryError(Exception):
    """A transport refused or failed. The message is safe to store: no credentials, no body."""


@dataclass(frozen=True, slots=True)
class Shaped:
    """A rendered template as one channel stores it in the notification row."""

    text: str
    subject: str | None = None
    html: str | None = None
    # How the network counts the text, for channels where that is billed (SMS: GSM-7 or UCS-2
    # and the number of parts); None elsewhere.
    encoding: str | None = None
    segments: int | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file a message carries (the receipt PDF of a request), made when the message is sent."""

    filename: str
    content_type: str  # "application/pdf"
    data: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class Message:
    """A queued notification as its channel reads it to send it: the stored row's values."""

    notification_id: uuid.UUID  # stable across retries: gateways and receivers de-duplicate on it
    kind: str
    recipient: str
    subject: str | None
    text: str
    html: str | None
    language: str
    created_at: datetime
    subject_id: str = ""  # what it is about; for a one-time code, the challenge the code is of
    # Made by the delivery job on its way to the transport (`Transports.attachments`), never
    # stored: the row keeps the text only.
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class SendReceipt:
    detail: str | None = None  # the gateway's answer, e.g. "0: Accepted for delivery"


class Channel(Protocol):
    """One way to reach a subscriber. `name` is stored on every row and is part of its dedup key,
    so it never changes once messages have been queued through the channel."""

    @property
    def name(self) -> str: ...

    @property
    def contact(self) -> str:
        """The contact kind this channel writes to (`EMAIL_ADDRESS`, `PHONE_NUMBER`, ...)."""
        ...

    @property
    def transport(self) -> str | None:
        """The transport's name as the delivery log shows it ("smtp"); None for the local sink."""
        ...

    @property
    def attaches(self) -> bool:
        """Whether its messages carry files (e-mail does; SMS and push never ask for any)."""
        ...

    def shape(self, rendered: RenderedMessage) -> Shaped: ...

    def send(self, message: Message) -> SendReceipt:
        """Build the transport's message and hand it over; raise `DeliveryError` when refused.
        Never called when `transport` is None."""
        ...


class ChannelRegistry:
    """The channels a process can use, in the order a subscriber's messages are listed."""

    def __init__(self, channels: Iterable[Channel]) -> None:
        self._channels: dict[str, Channel] = {}
        for channel in channels:
            if not 0 < len(channel.name) <= CHANNEL_NAME_LENGTH:
                raise ValueError(
                    f"a notification channel's name must be 1 to {CHANNEL_NAME_LENGTH} characters: "
                    f"'{channel.name}'"
                )
            if channel.name in self._channels:
                raise ValueError(f"two notification channels are named '{channel.name}'")
            self._channels[channel.name] = channel

    def __iter__(self) -> Iterator[Channel]:
        return iter(self._channels.values())

    def __len__(self) -> int:
        return len(self._channels)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._channels)

    def get(self, name: str) -> Channel | None:
        return self._channels.get(name)

    def reaching(self, contacts: Mapping[str, str | None]) -> list[tuple[Channel, str]]:
        """Each channel that has an address among `contacts`, with that address, in order."""
        return [
            (channel, address)
            for channel in self
            if (address := contacts.get(channel.contact) or None) is not None
        ]

    def only(self, names: Iterable[str]) -> ChannelRegistry:
        """The channels named, in this registry's order; a name it does not know is refused."""
        wanted = tuple(names)
        unknown = sorted(set(wanted) - set(self._channels))
        if unknown:
            raise ValueError(
                f"unknown notification channel {', '.join(map(repr, unknown))} "
                f"(this process has {', '.join(self.names) or 'none'})"
            )
        return ChannelRegistry(c for c in self if c.name in wanted)

    def position(self, name: str) -> int:
        """Where `name` sorts; channels this process does not know go last."""
        names = self.names
        return names.index(name) if name in names else len(names)


class AttachmentDraft(Protocol):
    """What one file needs, read from the database; making the file needs nothing more."""

    def render(self) -> Attachment:
        """Make the file: CPU only, no database, no transaction open (the delivery job's send
        step). Raises when it cannot be made here (no font, say): the message then goes
        without it, and the delivery log and the log say so."""
        ...


class AttachmentSource(Protocol):
    """The file a kind of message carries, e.g. the receipt of a request on "case.received".
    Registered per kind in `Transports.attachments` by the edge, which knows where it is drawn."""

    def draft(self, session: Session, message: Message, *, now: datetime) -> AttachmentDraft | None:
        """Read what the file needs, in the delivery plan's read-only transaction; None when this
        message gets none (its subject is gone, say)."""
        ...


# The transports the built-in e-mail and SMS channels use (`simexit.notifications.channels`).


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    message_id: str  # stable per notification, so a resend can be recognised downstream
    to: str
    subject: str
    text: str
    html: str | None
    language: str
    created_at: datetime
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class OutgoingSms:
    delivery_id: str  # the notification id; Kannel echoes it in delivery reports
    to: str
    text: str
    encoding: SmsEncoding
    segments: int


class EmailSender(Protocol):
    name: str

    def send(self, message: OutgoingEmail) -> SendReceipt: ...


class SmsSender(Protocol):
    name: str

    def send(self, message: OutgoingSms) -> SendReceipt: ...


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """A gateway's later word on a sent message, already read from its own format."""

    transport: str  # the gateway that reported, e.g. "kannel"
    outcome: str  # as the delivery log shows it: "delivered", "accepted_by_smsc", ...
    settles: str | None  # "delivered" or "undeliverable" when it is final; None for progress
    detail: str | None = None


class WebhookSender(Protocol):
    def post(self, url: str, *, body: bytes, headers: Mapping[str, str]) -> int:
        """POST and return the HTTP status code; raise DeliveryError when no answer came."""
        ...


@dataclass(frozen=True, slots=True)
class Transports:
    channels: ChannelRegistry
    webhooks: WebhookSender | None = None  # None: webhook jobs fail (and retry) until configured
    # Operator code -> the channels its subscribers are reached on (the gateways file's
    # `channels`); an operator not listed uses every channel of `channels`.
    by_operator: Mapping[str, ChannelRegistry] = field(default_factory=dict)
    # For operators the file does not list: its `default` section's channels, when it has some.
    default_channels: ChannelRegistry | None = None
    # The server secret one-time codes derive from (`verification.codes.derive_code`): a code is
    # written into its message only when handed to a transport. None: code messages fail (and
    # retry) here.
    code_secret: bytes | None = field(default=None, repr=False)
    # Message kind -> the file its messages carry on the channels that attach (e-mail). The
    # file is made when the message is sent, from the subject's rows, and is never stored.
    attachments: Mapping[str, AttachmentSource] = field(default_factory=dict)

    def channels_for(self, operator_code: str) -> ChannelRegistry:
        found = self.by_operator.get(operator_code)
        if found is not None:
            return found
        return self.default_channels if self.default_channels is not None else self.channels
