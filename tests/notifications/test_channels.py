"""The channel registry and the built-in channels' shapes. Pure: no database, no transport."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from simexit.integrations.push.channel import PushChannel
from simexit.notifications.channels import EmailChannel, SmsChannel
from simexit.notifications.ports import (
    EMAIL_ADDRESS,
    PHONE_NUMBER,
    PUSH_TOKEN,
    ChannelRegistry,
    Message,
    OutgoingSms,
    SendReceipt,
)
from simexit.notifications.templates import render

RECEIVED = {"reference": "NO-2026-000123", "expected_date": "2026-12-04"}


class NamedSms(SmsChannel):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name


class TestRegistry:
    def test_lists_the_channels_that_have_an_address_in_order(self) -> None:
        registry = ChannelRegistry([EmailChannel(), SmsChannel(), PushChannel()])
        reached = registry.reaching(
            {PUSH_TOKEN: "tok", EMAIL_ADDRESS: "", PHONE_NUMBER: "+4741234567", "fax": "x"}
        )
        assert [(channel.name, address) for channel, address in reached] == [
            ("sms", "+4741234567"),
            ("push", "tok"),
        ]
        assert [registry.position(name) for name in ("email", "sms", "push", "pager")] == [
            0,
            1,
            2,
            3,
        ]

    def test_two_channels_of_one_name_are_refused(self) -> None:
        with pytest.raises(ValueError, match="two notification channels are named 'sms'"):
            ChannelRegistry([SmsChannel(), SmsChannel()])

    def test_a_name_longer_than_its_column_is_refused(self) -> None:
        with pytest.raises(ValueError, match="1 to 10 characters"):
            ChannelRegistry([NamedSms("whatsapp-business")])


class TestShapes:
    def test_email_keeps_subject_text_and_html(self) -> None:
        rendered = render("case.received", "nb", RECEIVED)
        shaped = EmailChannel().shape(rendered)
        assert (shaped.subject, shaped.text, shaped.html) == (
            rendered.subject,
            rendered.text,
            rendered.html,
        )
        assert (shaped.encoding, shaped.segments) == (None, None)

    @pytest.mark.parametrize(("language", "encoding"), [("nb", "gsm7"), ("ru", "ucs2")])
    def test_sms_counts_its_text(self, language: str, encoding: str) -> None:
        rendered = render("case.received", language, RECEIVED)
        shaped = SmsChannel().shape(rendered)
        assert (shaped.subject, shaped.text, shaped.html) == (None, rendered.sms, None)
        assert shaped.encoding == encoding
        assert shaped.segments is not None
        assert shaped.segments >= 1

    def test_sms_hands_its_sender_the_counted_message(self) -> None:
        sent: list[OutgoingSms] = []

        class Recorder:
            name = "recorder"

            def send(self, message: OutgoingSms) -> SendReceipt:
                sent.append(message)
                return SendReceipt("ok")

        channel = SmsChannel(Recorder())
        notification_id = uuid.uuid4()
        message = Message(
            notification_id=notification_id,
            kind="case.received",
            recipient="+79161234567",
            subject=None,
            text="Мы получили ваш запрос",
            html=None,
            language="ru",
            created_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
        assert channel.transport == "recorder"
        assert channel.send(message) == SendReceipt("ok")
        [outgoing] = sent
        assert (outgoing.delivery_id, outgoing.to, outgoing.encoding, outgoing.segments) == (
            str(notification_id),
            "+79161234567",
            "ucs2",
            1,
        )

    def test_without_a_sender_a_channel_is_the_local_sink(self) -> None:
        assert [c.transport for c in (EmailChannel(), SmsChannel(), PushChannel())] == [None] * 3
