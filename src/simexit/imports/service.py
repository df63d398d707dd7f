"""Use cases of imports: what to import into, an uploaded file's import, one batch of its job."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from simexit.access.scopes import require_admin
from simexit.audit import service as audit
from simexit.cases.service.common import today_for
from simexit.errors import NotFound
from simexit.imports.chunks import CHUNK_BYTES, open_upload
from simexit.imports.flows import ImportTarget, apply_batch
from simexit.imports.reader import FileFormat, ImportFileError, RowSource
from simexit.imports.rows import KNOWN_COLUMNS, RowChecker
from simexit.imports.rules import ImportTotals, Rejection
from simexit.jobs import enqueue
from simexit.models import DataImport, ImportChunk, ImportRejection, Operator
from simexit.paging import newest_first
from simexit.policies.loader import PackRegistry
from simexit.principals import Actor
from simexit.provisioning.facts import operator_facts

RUN_JOB = "imports.run"
BATCH_ROWS = 2000


@dataclass(frozen=True, slots=True)
class Upload:
    """A file as it arrived, spooled (memory, then disk): never held whole in memory."""

    file: IO[bytes]
    size: int
    sha256: str


def target_for(
    operator: Operator,
    *,
    packs: PackRegistry,
    secret: bytes,
    fmt: FileFormat,
    now: datetime,
) -> ImportTarget:
    facts = operator_facts(operator, packs.get(operator.policy_pack))
    checker = RowChecker(facts, fmt=fmt, today=today_for(operator, now))
    return ImportTarget(operator_id=operator.id, checker=checker, secret=secret)


def operator_by_code(session: Session, code: str) -> Operator:
    found = session.scalars(select(Operator).where(Operator.code == code)).one_or_none()
    if found is None:
        raise NotFound(f"no operator with code {code!r}", field="operator")
    return found


def record_run(
    session: Session,
    *,
    operator_id: uuid.UUID,
    actor: Actor,
    subject: uuid.UUID | str,
    totals: ImportTotals,
    now: datetime,
    source: dict[str, Any],
    dry_run: bool,
) -> None:
    """The audit row of a finished import: who, which file (its hash), what it changed."""
    audit.record(
        session,
        operator_id=operator_id,
        actor=actor,
        action="import.dry_run" if dry_run else "import.completed",
        subject_type="import",
        subject_id=subject,
        at=now,
        changes={**source, **totals.as_dict()},
    )


class Spool:
    """Takes a file as it arrives, hashing it, into `file` (a spooled temporary file)."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.digest.update(chunk)
        self.file.write(chunk)
        self.size += len(chunk)

    def finish(self) -> Upload:
        self.file.seek(0)
        return Upload(file=self.file, size=self.size, sha256=self.digest.hexdigest())


def start_import(
    session: Session,
    *,
    actor: Actor,
    upload: Upload,
    fmt: FileFormat,
    dry_run: bool,
    now: datetime,
) -> DataImport:
    """Store an uploaded file in chunks and queue its job, in the request's transaction."""
    require_admin(actor)
    if actor.operator_id is None:
        raise NotFound(
            "an import belongs to one operator: use the operator's key", field="operator"
        )
    if upload.size == 0:
        raise ImportFileError("the file is empty: it needs a header row", field="file")
    data_import = DataImport(
        operator_id=actor.operator_id,
        format=fmt.value,
        sha256=upload.sha256,
        size_bytes=upload.size,
        dry_run=dry_run,
        status="queued",
        totals={},
        position_bytes=0,
        position_line=0,
        created_by=actor.label[:200],
        created_at=now,
    )
    session.add(data_import)
    session.flush()
    seq = 0
    while chunk := upload.file.read(CHUNK_BYTES):
        session.add(ImportChunk(import_id=data_import.id, seq=seq, data=chunk))
        seq += 1
        if seq % 16 == 0:
            session.flush()  # a few MB at a time, not the whole file in the session
    audit.record(
        session,
        operator_id=actor.operator_id,
        actor=actor,
        action="import.queued",
        subject_type="import",
        subject_id=data_import.id,
        at=now,
        changes={"sha256": upload.sha256, "size_bytes": upload.size, "dry_run": dry_run},
    )
    enqueue(session, RUN_JOB, now=now, operator_id=actor.operator_id, import_id=str(data_import.id))
    return data_import


def get_import(session: Session, actor: Actor, import_id: uuid.UUID) -> DataImport:
    require_admin(actor)
    found = session.get(DataImport, import_id)
    if found is None or found.operator_id != actor.operator_id:
        raise NotFound("no such import", field="import_id")
    return found


def list_imports(
    session: Session, actor: Actor, *, limit: int, after: tuple[datetime, uuid.UUID] | None
) -> list[DataImport]:
    """Newest first; `after` is the (created_at, id) of the last item of the page before."""
    require_admin(actor)
    query = select(DataImport).where(DataImport.operator_id == actor.operator_id)
    return list(
        session.scalars(
            newest_first(query, DataImport.created_at, DataImport.id, after=after, limit=limit)
        )
    )


def rejections(session: Session, actor: Actor, import_id: uuid.UUID) -> Iterator[ImportRejection]:
    get_import(session, actor, import_id)
    yield from session.scalars(
        select(ImportRejection)
        .where(ImportRejection.import_id == import_id)
        .order_by(ImportRejection.id)
        .execution_options(yield_per=1000)
    )


def run_batch(
    session: Session,
    data_import: DataImport,
    *,
    actor: Actor,
    packs: PackRegistry,
    secret: bytes,
    now: datetime,
) -> bool:
    """One batch of a queued import, in the job's transaction. True when rows remain."""
    operator = session.get(Operator, data_import.operator_id)
    assert operator is not None  # noqa: S101 - a foreign key
    fmt = FileFormat(data_import.format)
    target = target_for(operator, packs=packs, secret=secret, fmt=fmt, now=now)
    stream = open_upload(session, data_import.id, offset=data_import.position_bytes)
    source = RowSource(
        stream,
        fmt,
        known_columns=KNOWN_COLUMNS,
        offset=data_import.position_bytes,
        line=data_import.position_line,
        columns=data_import.columns,
    )
    if data_import.status == "queued":
        data_import.status, data_import.started_at = "running", now
    try:
        rows = list(islice(iter(source), BATCH_ROWS))
    except ImportFileError as error:
        _finish(session, data_import, actor=actor, now=now, error=error.message)
        return False
    totals = _totals_of(data_import.totals)
    found: list[Rejection] = []
    apply_batch(
        session,
        rows,
        target=target,
        totals=totals,
        on_rejection=found.append,
        now=now,
        dry_run=data_import.dry_run,
    )
    session.add_all(
        ImportRejection(
            import_id=data_import.id,
            row=r.row,
            external_id=r.external_id[:100],
            field=r.field[:100],
            rule=r.rule[:60],
            detail=r.detail[:500],
        )
        for r in found
    )
    data_import.totals = totals.as_dict()
    data_import.columns = source.columns
    data_import.position_bytes, data_import.position_line = source.offset, source.line
    if len(rows) < BATCH_ROWS:
        _finish(session, data_import, actor=actor, now=now, totals=totals)
        return False
    return True


def _finish(
    session: Session,
    data_import: DataImport,
    *,
    actor: Actor,
    now: datetime,
    totals: ImportTotals | None = None,
    error: str | None = None,
) -> None:
    data_import.status = "failed" if error else "done"
    data_import.error = error[:500] if error else None
    data_import.finished_at = now
    if error is not None:
        audit.record(
            session,
            operator_id=data_import.operator_id,
            actor=actor,
            action="import.failed",
            subject_type="import",
            subject_id=data_import.id,
            at=now,
            changes={"error": error[:500]},
        )
        return
    record_run(
        session,
        operator_id=data_import.operator_id,
        actor=actor,
        subject=data_import.id,
        totals=totals or ImportTotals(),
        now=now,
        source={"sha256": data_import.sha256, "size_bytes": data_import.size_bytes},
        dry_run=data_import.dry_run,
    )


def _totals_of(stored: dict[str, Any]) -> ImportTotals:
    totals = ImportTotals()
    for name, value in stored.items():
        if hasattr(totals, name) and isinstance(value, int):
            setattr(totals, name, value)
    return totals
