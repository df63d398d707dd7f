"""What the case page shows of information requests: each ask, its answer and its files."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session as DbSession

from simexit.attachments import service as attachments
from simexit.cases.service.information import requests_of
from simexit.models import Case
from simexit.web.i18n import N_, Texts
from simexit.web.texts import INFORMATION_KIND, label

REQUEST_STATE = {
    "open": N_("Waiting for the subscriber"),
    "answered": N_("Answered"),
    "lapsed": N_("No answer by the due date"),
    "closed": N_("Closed with the case"),
}


@dataclass(frozen=True, slots=True)
class FileView:
    id: uuid.UUID
    media_type: str
    size_kb: int


@dataclass(frozen=True, slots=True)
class RequestView:
    kind: str
    message: str
    due: str
    state: str
    answer: str
    files: tuple[FileView, ...]


def information_panel(db: DbSession, t: Texts, case: Case) -> list[RequestView]:
    files = attachments.of_case(db, case.id)
    return [
        RequestView(
            kind=label(t, INFORMATION_KIND, asked.kind),
            message=asked.message or "",
            due=t.date(asked.due_date),
            state=label(t, REQUEST_STATE, asked.status),
            answer=asked.answer_text or "",
            files=tuple(
                FileView(f.id, f.media_type, max(1, f.size_bytes // 1024))
                for f in files
                if f.information_request_id == asked.id
            ),
        )
        for asked in requests_of(db, case.id)
    ]
