"""A campaign's run: the selection copied into its line table, then chunks of lines, each line
acted on under the same rules as a single request (a termination is a case: opened, its
identity attested by the operator's own decision, submitted through the policy gates, its
preview frozen, audited and the subscriber told; a suspension goes through the line service).

A chunk is one job and one transaction: its lines' outcomes commit with the actions on them,
or neither does, so a worker killed mid-chunk leaves those lines `pending` for the next worker,
and a line done is never done again (its outcome is no longer `pending`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.orm import Session

from simexit.audit import service as audit
from simexit.campaigns import repository
from simexit.campaigns.rules import Action, LineState, Outcome, Selection, skip_reason
from simexit.campaigns.states import CampaignStatus, Move, move
from simexit.cases import service as case_service
from simexit.cases.context import CaseContext
from simexit.cases.states import CaseStatus
from simexit.errors import DomainError
from simexit.jobs import enqueue
from simexit.jobs.queue import PRIORITY_BULK
from simexit.lines import repository as line_repository
from simexit.lines import service as lines_service
from simexit.lines.states import LineStatus, SuspensionFlag
from simexit.models import Campaign, CampaignLine, Line
from simexit.notifications import service as notifications
from simexit.policies.model import Channel, RequestType
from simexit.principals import Actor, ActorType
from simexit.verification.methods import ATTESTED_METHODS, Method, methods_from_pack

log = structlog.get_logger()

START_JOB = "campaigns.start"
CHUNK_JOB = "campaigns.chunk"
CHAINS = 2  # chunk jobs of one campaign at a time: one per worker of a two-worker deployment
CHUNK_LINES = {Action.terminate: 100, Action.suspend: 250, Action.resume: 250, Action.notify: 250}
RECHECK_AFTER = timedelta(seconds=2)  # lines held by another chain: look again after this


def campaign_actor(campaign: Campaign) -> Actor:
    """Who acts on the lines: simexit, on the campaign's behalf (the approver is on its row)."""
    return Actor(ActorType.system, f"campaign:{campaign.id}", operator_id=campaign.operator_id)


def flag_of(campaign: Campaign) -> SuspensionFlag:
    return SuspensionFlag(campaign.params.get("flag") or SuspensionFlag.regulatory.value)


def line_state(line: Line, *, open_case: bool) -> LineState:
    return LineState(
        status=LineStatus(line.status),
        flags=frozenset(line.suspension_flags or ()),
        port_pending=bool(line.port_pending),
        open_case=open_case,
        unpaid_bills_minor=line.unpaid_bills_minor or 0,
    )


def start(session: Session, campaign: Campaign, *, now: datetime) -> None:
    """Copy the selection (as it is now) into the line table and queue the first chunks."""
    campaign.status = move(CampaignStatus(campaign.status), Move.start)
    campaign.started_at = campaign.started_at or now
    campaign.updated_at = now
    campaign.lines_selected = repository.copy_selection(
        session, campaign, Selection.of(campaign.selection)
    )
    audit.record(
        session,
        operator_id=campaign.operator_id,
        actor=campaign_actor(campaign),
        action="campaign.started",
        subject_type="campaign",
        subject_id=campaign.id,
        at=now,
        changes={"status": ["approved", "running"], "lines_selected": campaign.lines_selected},
    )
    queue_chains(session, campaign, now=now)


def queue_chains(session: Session, campaign: Campaign, *, now: datetime) -> None:
    for chain in range(CHAINS):
        queue_chunk(session, campaign, chain=chain, seq=0, now=now)


def queue_chunk(
    session: Session,
    campaign: Campaign,
    *,
    chain: int,
    seq: int,
    now: datetime,
    run_at: datetime | None = None,
) -> None:
    enqueue(
        session,
        CHUNK_JOB,
        now=now,
        run_at=run_at,
        dedup_key=f"{CHUNK_JOB}:{campaign.id}:{campaign.generation}:{chain}:{seq}",
        operator_id=campaign.operator_id,
        priority=PRIORITY_BULK,
        campaign_id=str(campaign.id),
        chain=chain,
        seq=seq,
        generation=campaign.generation,
    )


@dataclass(frozen=True, slots=True)
class ChunkResult:
    claimed: int
    pending_left: int


def run_chunk(
    session: Session, ctx: CaseContext, campaign: Campaign, *, now: datetime
) -> ChunkResult:
    """Act on the next pending lines; their outcomes commit with the actions."""
    action = Action(campaign.action)
    claimed = repository.claim_pending(session, campaign.id, limit=CHUNK_LINES[action])
    if claimed:
        lines = repository.lines_for_update(session, [c.line_id for c in claimed])
        with_cases = repository.lines_with_open_cases(session, list(lines))
        if action in {Action.suspend, Action.resume}:
            _flag_chunk(session, campaign, claimed, lines, with_cases, now=now)
        else:
            for entry in claimed:
                line = lines.get(entry.line_id)
                _act(
                    session,
                    ctx,
                    campaign,
                    entry,
                    line,
                    open_case=line is not None and line.id in with_cases,
                    now=now,
                )
        session.flush()
    pending = repository.count_pending(session, campaign.id) if len(claimed) == 0 else -1
    return ChunkResult(len(claimed), pending)


def _flag_chunk(
    session: Session,
    campaign: Campaign,
    claimed: list[CampaignLine],
    lines: dict[uuid.UUID, Line],
    with_cases: set[uuid.UUID],
    *,
    now: datetime,
) -> None:
    """A suspension or resumption chunk, set-based: the same skip rules line by line, then one
    statement each for the line rows, their audit rows and their network jobs."""
    action, flag = Action(campaign.action), flag_of(campaign)
    acting: list[Line] = []
    for entry in claimed:
        entry.acted_at = now
        line = lines.get(entry.line_id)
        reason = (
            "line_gone"
            if line is None
            else skip_reason(action, line_state(line, open_case=line.id in with_cases), flag=flag)
        )
        if reason is not None or line is None:
            entry.outcome, entry.reason = Outcome.skipped.value, reason
        else:
            acting.append(line)
    changed = set(
        lines_service.set_suspension_flag_many(
            session,
            actor=campaign_actor(campaign),
            lines=acting,
            flag=flag,
            active=action is Action.suspend,
            now=now,
            note=f"campaign {campaign.id} ({campaign.name})",
        )
    )
    for entry in claimed:
        if entry.outcome == Outcome.pending.value:
            done = entry.line_id in changed
            entry.outcome = Outcome.done.value if done else Outcome.skipped.value
            entry.reason = None if done else "unchanged"


def _act(
    session: Session,
    ctx: CaseContext,
    campaign: Campaign,
    entry: CampaignLine,
    line: Line | None,
    *,
    open_case: bool,
    now: datetime,
) -> None:
    entry.acted_at = now
    if line is None:
        entry.outcome, entry.reason = Outcome.skipped.value, "line_gone"
        return
    action = Action(campaign.action)
    reason = skip_reason(action, line_state(line, open_case=open_case), flag=flag_of(campaign))
    if reason is not None:
        entry.outcome, entry.reason = Outcome.skipped.value, reason
        return
    try:
        with session.begin_nested():  # one line's refusal undoes that line only
            entry.outcome, entry.reason, entry.case_id = _apply(session, ctx, campaign, line, now)
    except DomainError as error:
        entry.outcome, entry.reason = Outcome.failed.value, f"{error.code}: {error}"[:200]
        log.info("campaign.line_failed", campaign_id=str(campaign.id), line_id=str(line.id))


def _apply(
    session: Session, ctx: CaseContext, campaign: Campaign, line: Line, now: datetime
) -> tuple[str, str | None, uuid.UUID | None]:
    action = Action(campaign.action)
    actor = campaign_actor(campaign)
    note = f"campaign {campaign.id} ({campaign.name})"
    if action is Action.terminate:
        return _terminate(session, ctx, campaign, line, actor=actor, now=now, note=note)
    if action is Action.notify:
        _notify(session, campaign, line, now=now)
        return Outcome.done.value, None, None
    lines_service.set_suspension_flag(
        session,
        actor=actor,
        line_id=line.id,
        flag=flag_of(campaign),
        active=action is Action.suspend,
        now=now,
        note=note,
    )
    return Outcome.done.value, None, None


def _terminate(
    session: Session,
    ctx: CaseContext,
    campaign: Campaign,
    line: Line,
    *,
    actor: Actor,
    now: datetime,
    note: str,
) -> tuple[str, str | None, uuid.UUID | None]:
    """A termination case, as an agent would open one for the operator: opened, identity
    attested (the operator ends its own contract), submitted through the policy gates. The pack's
    notice sets its effective date, and the case tells the subscriber in their language."""
    opened = case_service.open_case(
        session,
        ctx,
        actor=actor,
        line_id=line.id,
        case_type=RequestType.terminate,
        channel=Channel.agent,
        now=now,
        reason_code=str(campaign.params.get("reason_code") or "operator_campaign"),
        comment=note,
    )
    case = opened.case
    if not opened.created:
        return Outcome.skipped.value, "open_case", case.id
    required = methods_from_pack(case.preview.identity_methods if case.preview else ())
    method = next((m for m in required if m in ATTESTED_METHODS), Method.id_document)
    case_service.attest_identity(
        session, ctx, actor=actor, case_id=case.id, method=method, now=now, note=note
    )
    case_service.submit(session, ctx, actor=actor, case_id=case.id, now=now)
    if case.status is CaseStatus.blocked:
        codes = ",".join(b.code for b in case.blockers)
        case_service.withdraw(
            session, ctx, actor=actor, case_id=case.id, now=now, note=f"{note}: blocked {codes}"
        )
        return Outcome.skipped.value, f"policy:{codes}"[:200], case.id
    reason = "in_review" if case.status is CaseStatus.in_review else None
    return Outcome.done.value, reason, case.id


def _notify(session: Session, campaign: Campaign, line: Line, *, now: datetime) -> None:
    """A pack-driven warning (`params.notice`) in the subscriber's language, or the operator's
    own words, in the subscriber's language where it gave one."""
    subscriber = line_repository.contact(session, line.subscriber_id)
    if subscriber.erased:
        return
    notice: dict[str, Any] | None = campaign.params.get("notice")
    if notice is not None:
        kind = "line.campaign_notice"
        context: dict[str, Any] = {
            "msisdn": line.msisdn,
            "notice": notice["kind"],
            "date": notice["date"],
            "limit": notice.get("limit", ""),
        }
    else:
        messages: dict[str, Any] = campaign.params.get("messages") or {}
        language = subscriber.language if subscriber.language in messages else "en"
        content = messages.get(language) or next(iter(messages.values()), campaign.name)
        kind, context = "operator.message", {"content": content, "subject": campaign.name}
    notifications.notify(
        session,
        now=now,
        operator_id=campaign.operator_id,
        kind=kind,
        subject_id=f"cmp-{campaign.id.hex[:12]}-{line.id.hex}",
        language=subscriber.language,
        contacts=subscriber.addresses,
        context=context,
    )


def finish(session: Session, campaign: Campaign, *, now: datetime) -> None:
    if repository.finish_if_running(session, campaign.id, now):
        audit.record(
            session,
            operator_id=campaign.operator_id,
            actor=campaign_actor(campaign),
            action="campaign.finished",
            subject_type="campaign",
            subject_id=campaign.id,
            at=now,
            changes={
                "status": ["running", "done"],
                "outcomes": repository.outcome_counts(session, campaign.id),
            },
        )
