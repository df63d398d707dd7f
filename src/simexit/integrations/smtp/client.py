"""E-mail over SMTP (smtplib): plain, STARTTLS or implicit TLS, with optional login."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from simexit.notifications.ports import DeliveryError, OutgoingEmail, SendReceipt


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int = 25
    security: str = "none"  # none | starttls | tls
    username: str = ""
    password: str = field(default="", repr=False)
    mail_from: str = "simexit <no-reply@simexit.local>"
    timeout_seconds: float = 20.0


def build_message(message: OutgoingEmail, *, mail_from: str) -> EmailMessage:
    """multipart/alternative: the plain text first, the HTML second (clients show the last they
    can); with attachments, that inside a multipart/mixed, the files after it."""
    email = EmailMessage()
    email["From"] = mail_from
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Message-ID"] = message.message_id
    email["Date"] = format_datetime(message.created_at)
    email.set_content(message.text)
    if message.html:
        email.add_alternative(message.html, subtype="html")
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        email.add_attachment(
            attachment.data,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    # After the body: set_content() drops every Content-* header set before it.
    email["Content-Language"] = message.language.replace("_", "-")
    return email


class SmtpEmailSender:
    name = "smtp"

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def prepare(self) -> None:
        """Build and serialize one message now. The `email` package imports its header and
        content machinery and compiles its patterns on the first message, tens of milliseconds
        of CPU that a worker sharing its process with the API would otherwise spend in the
        middle of serving requests."""
        sample = OutgoingEmail(
            message_id="<prepare@simexit>",
            to="prepare@simexit.invalid",
            subject="Førebuing · подготовка · 准备",
            text="text",
            html="<p>html</p>",
            language="nb",
            created_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
        build_message(sample, mail_from=self.config.mail_from).as_bytes()

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        if config.security == "tls":
            return smtplib.SMTP_SSL(
                config.host,
                config.port,
                timeout=config.timeout_seconds,
                context=ssl.create_default_context(),
            )
        client = smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds)
        if config.security == "starttls":
            client.starttls(context=ssl.create_default_context())
        return client

    def send(self, message: OutgoingEmail) -> SendReceipt:
        email = build_message(message, mail_from=self.config.mail_from)
        try:
            with self._connect() as client:
                if self.config.username:
                    client.login(self.config.username, self.config.password)
                refused = client.send_message(email)
        except smtplib.SMTPResponseException as error:
            # The server's own words (code and text); they never contain our password.
            raise DeliveryError(f"SMTP {error.smtp_code}: {error.smtp_error!r}") from None
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(
                f"SMTP to {self.config.host}:{self.config.port} failed: {type(error).__name__}: {error}"
            ) from None
        if refused:
            raise DeliveryError(f"SMTP refused the recipient: {sorted(refused.values())!r}")
        return SendReceipt(detail="accepted by the SMTP server")
