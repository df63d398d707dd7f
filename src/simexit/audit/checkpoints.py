"""Signed checkpoints of the chain heads: making them, keeping them, and reading them back.

An export is an exchange (`audit.tasks`): `plan` signs the heads that moved since the last
checkpoint (read-only), `export` hands them to the sinks with no transaction open, `record`
stores the ones every sink took in `audit_checkpoints` (append-only). A checkpoint is only
stored after it was exported, so a stored one that the archive lacks means the archive lost it.

`collect` gathers an operator's checkpoints from the table and the archive for
`simexit audit verify` and keeps only those the public key signed; anything odd about them (a
bad signature, a missing file, a stored checkpoint the file lacks) is a problem of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.orm import Session

from simexit.audit import repository
from simexit.audit.ports import CheckpointArchive, CheckpointExportError, CheckpointSink
from simexit.audit.signing import (
    Checkpoint,
    CheckpointFormatError,
    SignedCheckpoint,
    from_json_line,
    sign,
    signature_problem,
)
from simexit.models import AuditCheckpoint

log = structlog.get_logger()


def plan(
    session: Session, private_key: Ed25519PrivateKey, *, now: datetime
) -> list[SignedCheckpoint]:
    """A signed checkpoint for every operator whose head moved past its last checkpoint."""
    last = repository.last_checkpoint_seqs(session)
    return [
        sign(private_key, operator_id=str(operator_id), seq=seq, head_hash=digest, signed_at=now)
        for operator_id, seq, digest in repository.all_heads(session)
        if seq > last.get(operator_id, 0)
    ]


@dataclass(frozen=True, slots=True)
class ExportResult:
    exported: tuple[SignedCheckpoint, ...]
    failures: tuple[str, ...] = field(default=())


def export(signed: Sequence[SignedCheckpoint], sinks: Sequence[CheckpointSink]) -> ExportResult:
    """Hand each checkpoint to every sink; one that any sink refused is not exported."""
    exported: list[SignedCheckpoint] = []
    failures: list[str] = []
    for checkpoint in signed:
        refused = False
        for sink in sinks:
            try:
                sink.append(checkpoint)
            except CheckpointExportError as error:
                refused = True
                failures.append(f"{sink.name}: {error}")
        if not refused:
            exported.append(checkpoint)
    return ExportResult(tuple(exported), tuple(failures))


def record(session: Session, exported: Sequence[SignedCheckpoint]) -> int:
    """Store the exported checkpoints (a repeat of a stored one is skipped); returns how many."""
    added = 0
    for signed in exported:
        c = signed.checkpoint
        operator_id = uuid.UUID(c.operator_id)
        if repository.has_checkpoint(session, operator_id, c.seq):
            continue
        repository.add_checkpoint(
            session,
            AuditCheckpoint(
                operator_id=operator_id,
                seq=c.seq,
                head_hash=c.head_hash,
                signed_at=c.signed_at,
                key_id=c.key_id,
                signature=signed.signature,
            ),
        )
        added += 1
        log.info("audit.checkpoint.recorded", operator_id=c.operator_id, seq=c.seq)
    return added


# -- reading them back


@dataclass(frozen=True, slots=True)
class CheckpointProblem:
    seq: int | None  # the checkpoint's event, when known
    problem: str


@dataclass(frozen=True, slots=True)
class CollectedCheckpoints:
    """An operator's checkpoints that verified: seq -> signed head hash, and what did not."""

    trusted: dict[int, str]
    problems: tuple[CheckpointProblem, ...]


def _stored(row: AuditCheckpoint) -> SignedCheckpoint:
    return SignedCheckpoint(
        Checkpoint(str(row.operator_id), row.seq, row.head_hash, row.signed_at, row.key_id),
        row.signature,
    )


def collect(
    session: Session,
    operator_id: uuid.UUID,
    *,
    public_key: Ed25519PublicKey,
    archive: CheckpointArchive | None,
) -> CollectedCheckpoints:
    stored = [_stored(row) for row in repository.stored_checkpoints(session, operator_id)]
    problems: list[CheckpointProblem] = []
    candidates: list[tuple[str, SignedCheckpoint]] = [("the database", s) for s in stored]
    if archive is not None:
        where = archive.location(str(operator_id))
        lines = archive.read(str(operator_id))
        if lines is None:
            if stored:
                problems.append(
                    CheckpointProblem(
                        None, f"checkpoint file {where} is missing ({len(stored)} were exported)"
                    )
                )
            lines = []
        archived: set[tuple[int, str]] = set()
        for number, line in enumerate(lines, start=1):
            try:
                signed = from_json_line(line)
            except CheckpointFormatError as error:
                problems.append(CheckpointProblem(None, f"{where} line {number}: {error}"))
                continue
            if signed.checkpoint.operator_id != str(operator_id):
                problems.append(
                    CheckpointProblem(None, f"{where} line {number}: names another operator")
                )
                continue
            archived.add((signed.checkpoint.seq, signed.checkpoint.head_hash))
            candidates.append((f"{where} line {number}", signed))
        if lines:
            for s in stored:
                if (s.checkpoint.seq, s.checkpoint.head_hash) not in archived:
                    problems.append(
                        CheckpointProblem(
                            s.checkpoint.seq,
                            f"the checkpoint at event {s.checkpoint.seq} is stored but not in {where}",
                        )
                    )
    trusted: dict[int, str] = {}
    for source, signed in candidates:
        c = signed.checkpoint
        wrong = signature_problem(signed, public_key)
        if wrong is None and c.operator_id != str(operator_id):
            wrong = "it names another operator"
        if wrong is not None:
            problems.append(
                CheckpointProblem(c.seq, f"the checkpoint at event {c.seq} ({source}): {wrong}")
            )
            continue
        known = trusted.setdefault(c.seq, c.head_hash)
        if known != c.head_hash:  # only the key's holder could sign two heads for one event
            problems.append(
                CheckpointProblem(c.seq, f"two signed checkpoints disagree about event {c.seq}")
            )
    return CollectedCheckpoints(trusted, tuple(problems))
