"""Keeping, opening and erasing uploads. The bytes are sealed before they reach the store."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Final

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from simexit.attachments.errors import AttachmentNotFound
from simexit.attachments.ports import FileStore
from simexit.attachments.rules import checked_type
from simexit.jobs import enqueue
from simexit.kit.sealing import BytesSealer
from simexit.models import Attachment

LABEL: Final = b"simexit attachment v1"
DELETE_JOB: Final = "attachments.delete_files"


def _sealer(secret_key: bytes) -> BytesSealer:
    return BytesSealer(secret_key, LABEL)


def keep(
    session: Session,
    store: FileStore,
    *,
    secret_key: bytes,
    operator_id: uuid.UUID,
    case_id: uuid.UUID,
    information_request_id: uuid.UUID,
    data: bytes,
    max_bytes: int,
    now: datetime,
) -> Attachment:
    """Check the upload, seal it bound to its new id and keep it; the row is in this transaction.

    The file is written before the transaction commits: a rolled-back answer leaves one sealed
    file no row names, which opens with nothing but the secret key and this id."""
    media = checked_type(data, max_bytes=max_bytes)
    attachment = Attachment(
        id=uuid.uuid4(),
        operator_id=operator_id,
        case_id=case_id,
        information_request_id=information_request_id,
        media_type=media,
        size_bytes=len(data),
        created_at=now,
    )
    attachment.storage_key = f"{operator_id}/{attachment.id}"
    sealed = _sealer(secret_key).seal_bytes(data, bound_to=str(attachment.id))
    store.put(attachment.storage_key, sealed.encode())
    session.add(attachment)
    return attachment


def of_case(session: Session, case_id: uuid.UUID) -> list[Attachment]:
    return list(
        session.scalars(
            select(Attachment).where(Attachment.case_id == case_id).order_by(Attachment.created_at)
        )
    )


def get(session: Session, *, case_id: uuid.UUID, attachment_id: uuid.UUID) -> Attachment:
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.case_id != case_id:
        raise AttachmentNotFound("there is no such file on this case", field="attachment_id")
    return attachment


def read(store: FileStore, attachment: Attachment, *, secret_key: bytes) -> bytes:
    try:
        sealed = store.get(attachment.storage_key)
    except KeyError:
        raise AttachmentNotFound("the file is no longer kept", field="attachment_id") from None
    return _sealer(secret_key).open_bytes(sealed.decode(), bound_to=str(attachment.id))


def erase_of_cases(session: Session, case_ids: Iterable[uuid.UUID], *, now: datetime) -> int:
    """Delete the rows of these cases' files and enqueue deleting the files (after the commit,
    by the worker: a file deleted inside a transaction that then rolls back is lost for good)."""
    ids = list(case_ids)
    if not ids:
        return 0
    rows = list(session.scalars(select(Attachment).where(Attachment.case_id.in_(ids))))
    if not rows:
        return 0
    keys = [row.storage_key for row in rows]
    session.execute(delete(Attachment).where(Attachment.id.in_([row.id for row in rows])))
    enqueue(session, DELETE_JOB, now=now, operator_id=rows[0].operator_id, keys=keys)
    return len(rows)
