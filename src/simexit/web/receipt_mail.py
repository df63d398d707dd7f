"""The receipt as the attachment of the e-mails that confirm a request (issue 17, item 5).

`attachment_sources()` is what the edge hands the notifications (`Transports.attachments`): the
messages that answer a sent request first (received for review, approved, on hold) carry its
receipt PDF, in the message's language. Nothing of the file is stored: the delivery job reads the
case in its plan and draws the PDF in its send step, with no transaction open. A case approved
after review is told twice, and both messages carry the receipt as it stands then.

Where the receipt cannot be drawn (no CJK font here, `receipt_pdf.NoFont`), the message goes
without it and the delivery log says so; the portal's receipt page shows the same.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session as DbSession

from simexit.cases.errors import CaseNotFound
from simexit.cases.repository import get_case
from simexit.notifications.ports import Attachment, AttachmentSource, Message
from simexit.principals import SYSTEM
from simexit.web.i18n import Texts
from simexit.web.receipt import Receipt, receipt_for
from simexit.web.receipt_pdf import render_pdf

PDF = "application/pdf"
# The messages that confirm a request: the first a subscriber gets after sending it, whichever
# way it went (`cases.service.intake.submit`).
RECEIPT_KINDS = ("case.received", "case.approved", "case.blocked")


@dataclass(frozen=True, slots=True)
class ReceiptDraft:
    """One case's receipt, read and worded; drawing it is CPU only (about a second)."""

    receipt: Receipt

    def render(self) -> Attachment:
        return Attachment(
            filename=self.receipt.filename, content_type=PDF, data=render_pdf(self.receipt)
        )


class ReceiptAttachments:
    """The receipt of the case a message is about (its subject), in the message's language."""

    def draft(self, session: DbSession, message: Message, *, now: datetime) -> ReceiptDraft | None:
        try:
            case = get_case(session, SYSTEM, uuid.UUID(message.subject_id))
        except (ValueError, CaseNotFound):
            return None
        receipt = receipt_for(session, Texts(message.language), case, now=now)
        return ReceiptDraft(receipt) if receipt is not None else None


def attachment_sources() -> Mapping[str, AttachmentSource]:
    source = ReceiptAttachments()
    return dict.fromkeys(RECEIPT_KINDS, source)
