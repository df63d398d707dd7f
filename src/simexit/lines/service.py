"""Line use cases the edges call directly: a returned SIM, an eSIM profile notice.

Each takes the session first, never commits, and writes an audit row for what it changes.
The queries live here until lines get a repository of their own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from simexit.audit import service as audit
from simexit.errors import Conflict, InvalidInput
from simexit.jobs import enqueue
from simexit.jobs.queue import PRIORITY_BULK
from simexit.lines import repository as line_repository
from simexit.lines.errors import LineNotFound, NotPermitted
from simexit.lines.states import (
    DOWNLOAD_POINTS,
    LineStatus,
    SuspensionFlag,
    download_progress_event,
    status_for_flags,
)
from simexit.models import Line
from simexit.notifications import service as notifications
from simexit.notifications import webhooks
from simexit.operators.repository import operator_info
from simexit.principals import SYSTEM, Actor, ActorType

log = structlog.get_logger()

# How far ahead of this server's clock a caller's "now" may be; more is a mistake, not skew.
CLOCK_SKEW = timedelta(minutes=5)


class NoPhysicalSim(Conflict):
    code = "no_physical_sim"


class ReturnedInFuture(InvalidInput):
    code = "returned_at_in_future"


# Profile events after which the phone no longer uses the line, although the contract runs on.
PROFILE_GONE_EVENTS = frozenset({"deleted", "disabled"})
BILLED_STATUSES = frozenset({LineStatus.active, LineStatus.suspended})
# Bars or unbars the line in the HLR/HSS after the commit (handled in `cases.network`).
NETWORK_SYNC_JOB = "lines.network_sync"
# One job for the lines of a campaign's chunk: the same sync, line after line, in one job.
NETWORK_SYNC_MANY_JOB = "lines.network_sync_many"


class LineNotEsim(Conflict):
    """A well-formed ICCID whose line has a physical SIM: the line's kind, not the request, is
    what stands in the way (as `NoPhysicalSim` the other way round)."""

    code = "line_not_esim"


def _require_operator_side(actor: Actor, action: str) -> None:
    """Staff, operator keys and reseller keys (a store takes SIMs back); never a subscriber."""
    if actor.type is ActorType.subscriber:
        raise NotPermitted(f"only the operator or its reseller can {action}", field="line_id")


def record_sim_return(
    session: Session,
    *,
    actor: Actor,
    line_id: uuid.UUID,
    now: datetime,
    returned_at: datetime | None = None,
    note: str | None = None,
    request_id: str | None = None,
) -> Line:
    """Record that the physical SIM came back. Repeating it changes nothing."""
    line = line_repository.get_line(session, actor, line_id, for_update=True)
    _require_operator_side(actor, "record a returned SIM")
    if line.kind == "esim":
        raise NoPhysicalSim("an eSIM line has no card to return", field="line_id")
    if returned_at is not None and returned_at > now + CLOCK_SKEW:
        raise ReturnedInFuture("a SIM cannot have come back in the future", field="returned_at")
    if line.sim_returned_at is not None:
        return line
    line.sim_returned_at = returned_at or now
    line.updated_at = now
    audit.record(
        session,
        operator_id=line.operator_id,
        actor=actor,
        action="line.sim_returned",
        subject_type="line",
        subject_id=line.id,
        at=now,
        changes={"sim_returned_at": [None, line.sim_returned_at.isoformat()]},
        note=note,
        request_id=request_id,
    )
    log.info("line.sim_returned", line_id=str(line.id))
    return line


def find_line_by_iccid(session: Session, actor: Actor, iccid: str) -> Line:
    statement = select(Line).where(Line.iccid == iccid)
    if actor.operator_id is not None:
        statement = statement.where(Line.operator_id == actor.operator_id)
    if actor.reseller_id is not None:
        statement = statement.where(Line.reseller_id == actor.reseller_id)
    if actor.type is ActorType.subscriber:
        statement = statement.where(Line.subscriber_id == actor.subscriber_id)
    line = session.scalars(statement.with_for_update()).one_or_none()
    if line is None:
        raise LineNotFound("no line has this ICCID", field="iccid")
    return line


# Notices that say where the profile is now: kept on the line (`esim_profile_state`) for the
# teardown, which sends no CancelOrder for a profile on a device (SGP.22 §5.3.4).
PROFILE_STATE_EVENTS = frozenset({"deleted", "disabled", "enabled", "installed", "downloaded"})
ON_DEVICE_EVENTS = frozenset({"enabled", "installed"})
ENDED_STATUSES = frozenset({LineStatus.terminated, LineStatus.number_released})


@dataclass(frozen=True, slots=True)
class EsimNoticeResult:
    line: Line
    subscriber_notified: bool
    # The profile came onto a device of a line that has ended: its cancellation did not stop it.
    on_ended_line: bool = False


def handle_esim_notice(
    session: Session,
    *,
    actor: Actor,
    iccid: str,
    event: str,
    at: datetime,
    now: datetime,
    eid: str | None = None,
    request_id: str | None = None,
    details: dict[str, object] | None = None,
) -> EsimNoticeResult:
    """An SM-DP+ says a profile was deleted, disabled, installed, ... on a device.

    Never changes the contract (DESIGN.md §4): deleting a profile is not a cancellation. When the
    line is still billed and the profile is gone, the subscriber is told so, once per notice.
    When the line has ended and the profile is installed or enabled all the same, the notice is
    flagged and the subscriber told to delete it (it no longer works in the network)."""
    line = find_line_by_iccid(session, actor, iccid)
    _require_operator_side(actor, "relay eSIM notices")
    if line.kind != "esim":
        raise LineNotEsim("this ICCID belongs to a line without an eSIM", field="iccid")
    audit.record(
        session,
        operator_id=line.operator_id,
        actor=actor,
        action=f"line.esim_profile_{event}",
        subject_type="line",
        subject_id=line.id,
        at=now,
        changes={
            "event": event,
            "at": at.isoformat(),
            "eid": eid,
            "line_status": line.status,
            **(details or {}),
        },
        request_id=request_id,
    )
    if event in PROFILE_STATE_EVENTS:
        line.esim_profile_state = event
    if event in ON_DEVICE_EVENTS and line.status in ENDED_STATUSES:
        notified = _profile_on_ended_line(session, line, at, now)
        return EsimNoticeResult(line, notified, on_ended_line=True)
    notified = False
    if event in PROFILE_GONE_EVENTS and line.status in BILLED_STATUSES:
        subscriber = line_repository.subscriber(session, line.subscriber_id)
        contacts = line_repository.addresses(subscriber)
        if subscriber.erased_at is None and notifications.reaches(contacts):
            notifications.notify(
                session,
                now=now,
                operator_id=line.operator_id,
                kind="esim.deleted_line_active",
                subject_id=_notice_subject(line, at),
                language=subscriber.language,
                contacts=contacts,
                context={"msisdn": line.msisdn},
            )
            notified = True
    log.info("line.esim_notice", line_id=str(line.id), notice=event, subscriber_notified=notified)
    return EsimNoticeResult(line, notified)


def handle_download_progress(
    session: Session,
    *,
    actor: Actor,
    iccid: str,
    point: int,
    status: str,
    at: datetime,
    now: datetime,
    eid: str | None = None,
    details: dict[str, object] | None = None,
    request_id: str | None = None,
) -> EsimNoticeResult:
    """ES2+.HandleDownloadProgressInfo from the SM-DP+ (SGP.22 §5.3.5): how far a profile's
    download came. A successful download or installation is an eSIM notice like those of
    `handle_esim_notice` (which keeps the profile's state on the line and flags an installation
    on a line that has ended); anything else is recorded on the line's audit trail only."""
    event = download_progress_event(point, status)
    return handle_esim_notice(
        session,
        actor=actor,
        iccid=iccid,
        event=event,
        at=at,
        now=now,
        eid=eid,
        request_id=request_id,
        details={
            "notification_point": DOWNLOAD_POINTS.get(point, str(point)),
            "status": status,
            **(details or {}),
        },
    )


def _profile_on_ended_line(session: Session, line: Line, at: datetime, now: datetime) -> bool:
    log.warning("line.esim_profile_on_ended_line", line_id=str(line.id), status=line.status)
    audit.record(
        session,
        operator_id=line.operator_id,
        actor=SYSTEM,
        action="line.esim_profile_on_ended_line",
        subject_type="line",
        subject_id=line.id,
        at=now,
        changes={"iccid": line.iccid, "line_status": line.status, "at": at.isoformat()},
    )
    subscriber = line_repository.subscriber(session, line.subscriber_id)
    contacts = line_repository.addresses(subscriber)
    if subscriber.erased_at is not None or not notifications.reaches(contacts):
        return False
    notifications.notify(
        session,
        now=now,
        operator_id=line.operator_id,
        kind="esim.delete_profile",
        subject_id=_notice_subject(line, at),
        language=subscriber.language,
        contacts=contacts,
        context={"msisdn": line.msisdn},
    )
    return True


def _notice_subject(line: Line, at: datetime) -> str:
    """One message per line and notice time, to the second: a line id and a UTC time with its
    microseconds would pass the 64 characters of `notifications.subject_id` (PostgreSQL refused
    the row: a 500 for any notice with a fraction of a second)."""
    return f"{line.id}:{at.astimezone(UTC).isoformat(timespec='seconds')}"


def set_suspension_flag(
    session: Session,
    *,
    actor: Actor,
    line_id: uuid.UUID,
    flag: SuspensionFlag,
    active: bool,
    now: datetime,
    note: str | None = None,
    request_id: str | None = None,
) -> Line:
    """Set or clear one suspension reason (lost/stolen, debt, regulatory, voluntary).

    Reasons overlap: the line is barred while any is set and active again when the last one is
    cleared. A terminated line keeps its state; repeating a change is a no-op.
    """
    line = line_repository.get_line(session, actor, line_id, for_update=True)
    if actor.type is ActorType.subscriber and not (flag is SuspensionFlag.lost_stolen and active):
        # A subscriber may report their own SIM lost; everything else is the operator's call.
        raise NotPermitted("only the operator can change this suspension", field="flag")
    if actor.reseller_id is not None:
        raise NotPermitted("only the operator can change a suspension", field="flag")
    if line.status not in BILLED_STATUSES:
        raise LineNotSuspendable(
            f"a line that is {line.status.replace('_', ' ')} cannot be suspended or resumed",
            field="line_id",
        )
    flags = set(line.suspension_flags or [])
    before_flags, before_status = sorted(flags), line.status
    if active:
        flags.add(flag.value)
    else:
        flags.discard(flag.value)
    if sorted(flags) == before_flags:
        return line
    line.suspension_flags = sorted(flags)
    if flag is SuspensionFlag.voluntary and not active:
        line.voluntary_until = None  # resumed: nothing left for the scheduler to end
    line.status = status_for_flags(line.status, {SuspensionFlag(f) for f in flags})
    line.suspended_since = (line.suspended_since or now.date()) if flags else None
    line.updated_at = now
    audit.record(
        session,
        operator_id=line.operator_id,
        actor=actor,
        action="line.suspended" if active else "line.suspension_cleared",
        subject_type="line",
        subject_id=line.id,
        at=now,
        changes={
            "status": [before_status, line.status],
            "flags": [before_flags, line.suspension_flags],
        },
        note=note,
        request_id=request_id,
    )
    if bool(flags) != bool(before_flags):  # barred while any flag is set
        enqueue(
            session,
            NETWORK_SYNC_JOB,
            now=now,
            operator_id=line.operator_id,
            line_id=str(line.id),
        )
    if line.status != before_status:
        webhooks.emit(
            session,
            now=now,
            operator_id=line.operator_id,
            event_type="line.suspended" if line.status == LineStatus.suspended else "line.resumed",
            data={
                "id": str(line.id),
                "status": line.status,
                "suspension_flags": line.suspension_flags,
            },
        )
    return line


def set_suspension_flag_many(
    session: Session,
    *,
    actor: Actor,
    lines: list[Line],
    flag: SuspensionFlag,
    active: bool,
    now: datetime,
    note: str | None = None,
) -> list[uuid.UUID]:
    """`set_suspension_flag` for many lines the caller has locked (`FOR UPDATE`) and checked (a
    campaign's chunk): the same change, audit row, network sync and webhook per line, with the
    row changes, audit rows and jobs each written in one statement. The ids of the lines it
    changed; a line already as asked, or not billed, is left alone."""
    rows: list[dict[str, object]] = []
    entries: list[audit.Entry] = []
    synced: list[str] = []
    changed: list[uuid.UUID] = []
    hooked = bool(lines) and operator_info(session, lines[0].operator_id).has_webhook_endpoints
    for line in lines:
        if line.status not in BILLED_STATUSES:
            continue
        flags = set(line.suspension_flags or [])
        before_flags, before_status = sorted(flags), line.status
        (flags.add if active else flags.discard)(flag.value)
        if sorted(flags) == before_flags:
            continue
        status = status_for_flags(line.status, {SuspensionFlag(f) for f in flags})
        voluntary_until = (
            None if flag is SuspensionFlag.voluntary and not active else line.voluntary_until
        )
        since = (line.suspended_since or now.date()) if flags else None
        rows.append(
            {
                "line_id": line.id, "new_status": status, "new_flags": sorted(flags),
                "new_since": since, "new_voluntary_until": voluntary_until,
                "new_updated_at": now,
            }
        )  # fmt: skip
        entries.append(
            audit.Entry(
                "line", line.id, "line.suspended" if active else "line.suspension_cleared",
                {"status": [before_status, status], "flags": [before_flags, sorted(flags)]}, note,
            )
        )  # fmt: skip
        if bool(flags) != bool(before_flags):
            synced.append(str(line.id))
        if status != before_status and hooked:
            webhooks.emit(
                session,
                now=now,
                operator_id=line.operator_id,
                event_type="line.suspended" if status == LineStatus.suspended else "line.resumed",
                data={"id": str(line.id), "status": status, "suspension_flags": sorted(flags)},
            )
        changed.append(line.id)
    if not rows:
        return changed
    operator_id = lines[0].operator_id
    line_repository.write_suspensions(session, rows)
    for line in lines:  # the loaded rows are stale now: nobody may write them back
        session.expire(line)
    audit.record_many(session, operator_id=operator_id, actor=actor, at=now, entries=entries)
    if synced:
        enqueue(
            session,
            NETWORK_SYNC_MANY_JOB,
            now=now,
            operator_id=operator_id,
            priority=PRIORITY_BULK,
            line_ids=synced,
        )
    return changed


class LineNotSuspendable(Conflict):
    code = "line_not_suspendable"
