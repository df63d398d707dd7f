"""Use cases of campaigns: create, dry run, approve (four eyes), pause, resume, abort, read.

Each runs in its caller's transaction (a request, a CLI command); the run itself is jobs
(`campaigns.tasks`, `campaigns.flows`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from simexit.audit import service as audit
from simexit.campaigns import flows, presets, repository
from simexit.campaigns.errors import ApproverRoleRequired, CampaignNotFound, SameApprover
from simexit.campaigns.rules import Action, DryRun, Progress, Selection, progress, skip_reason
from simexit.campaigns.states import CampaignStatus, Move, move
from simexit.cases import repository as case_repository
from simexit.cases.context import CaseContext
from simexit.cases.service.common import decide, today_for
from simexit.errors import Forbidden
from simexit.jobs import enqueue
from simexit.models import Campaign, CampaignLine, Line
from simexit.policies.model import CaseRequest, Channel, RequestType
from simexit.policies.model import Outcome as PolicyOutcome
from simexit.principals import Actor, ActorType, StaffRole

DRY_RUN_BATCH = 1000
DRY_RUN_EVALUATED = 500  # lines of a termination whose money the dry run works out in full
SAMPLE = 10
APPROVER_ROLES = frozenset({StaffRole.supervisor, StaffRole.admin})


class NotOperatorStaff(Forbidden):
    code = "operator_staff_required"


def _require_operator_staff(actor: Actor) -> uuid.UUID:
    if actor.operator_id is None or actor.reseller_id is not None or not actor.is_staff:
        raise NotOperatorStaff(
            "campaigns are the operator's: use an operator-level key or a staff sign-in",
            field="authorization",
        )
    return actor.operator_id


def create(
    session: Session,
    *,
    actor: Actor,
    name: str,
    action: Action,
    selection: Selection,
    params: dict[str, Any],
    start_at: datetime | None,
    now: datetime,
) -> Campaign:
    operator_id = _require_operator_staff(actor)
    campaign = Campaign(
        id=uuid.uuid4(),
        operator_id=operator_id,
        name=name,
        action=action.value,
        selection=selection.as_dict(),
        params=params,
        status=CampaignStatus.draft.value,
        start_at=start_at,
        generation=0,
        lines_selected=0,
        created_by=actor.label[:200],
        created_at=now,
        updated_at=now,
    )
    session.add(campaign)
    session.flush()
    _audit(session, campaign, actor, "campaign.created", now, {
        "status": [None, campaign.status], "action": campaign.action,
        "selection": campaign.selection, "params": params,
    })  # fmt: skip
    return campaign


def create_from_pack(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    kind: presets.PresetKind,
    step: presets.Step,
    warn_days: int,
    brand: str | None,
    rule_index: int | None,
    start_at: datetime | None,
    now: datetime,
) -> Campaign:
    """A draft from the operator's pack rule (`campaigns.presets`), named after it and with the
    rule's source in its parameters."""
    operator_id = _require_operator_staff(actor)
    operator = case_repository.operator(session, operator_id)
    doc = ctx.packs.get(operator.policy_pack).document
    today = today_for(operator, now)
    if kind is presets.PresetKind.dormant_sweep:
        preset = presets.dormant_sweep(
            doc, today=today, step=step, warn_days=warn_days, rule_index=rule_index
        )
    elif kind is presets.PresetKind.sim_limit:
        preset = presets.sim_limit(doc, today=today, step=step, warn_days=warn_days)
    else:
        preset = presets.brand_closure(doc, brand=brand)
    return create(
        session,
        actor=actor,
        name=preset.name[:120],
        action=preset.action,
        selection=preset.selection,
        params={**preset.params, "preset": kind.value, "step": step.value},
        start_at=start_at,
        now=now,
    )


def get(
    session: Session, actor: Actor, campaign_id: uuid.UUID, *, for_update: bool = False
) -> Campaign:
    operator_id = _require_operator_staff(actor)
    found = repository.get(session, operator_id, campaign_id, for_update=for_update)
    if found is None:
        raise CampaignNotFound("no such campaign", field="campaign_id")
    return found


def list_campaigns(
    session: Session, actor: Actor, *, limit: int, after: tuple[datetime, uuid.UUID] | None
) -> list[Campaign]:
    return repository.newest(session, _require_operator_staff(actor), limit=limit, after=after)


def dry_run(
    session: Session, ctx: CaseContext, *, actor: Actor, campaign_id: uuid.UUID, now: datetime
) -> DryRun:
    """What a run would do now; writes nothing (run it in a read-only session)."""
    campaign = get(session, actor, campaign_id)
    action, flag = Action(campaign.action), flows.flag_of(campaign)
    operator = case_repository.operator(session, campaign.operator_id)
    today = today_for(operator, now)
    result = DryRun()
    batches = repository.selected_lines(
        session, campaign.operator_id, Selection.of(campaign.selection), batch=DRY_RUN_BATCH
    )
    for lines in batches:
        with_cases = repository.lines_with_open_cases(session, [line.id for line in lines])
        for line in lines:
            state = flows.line_state(line, open_case=line.id in with_cases)
            reason = skip_reason(action, state, flag=flag)
            result.count(reason)
            if reason is None:
                _evaluate(session, ctx, result, action, line, today)
    return result


def _evaluate(
    session: Session, ctx: CaseContext, result: DryRun, action: Action, line: Line, today: Any
) -> None:
    if len(result.sample) < SAMPLE:
        result.sample.append(
            {"line_id": str(line.id), "msisdn": line.msisdn, "status": line.status}
        )
    if action is not Action.terminate or result.evaluated >= DRY_RUN_EVALUATED:
        return
    decision = decide(
        session,
        ctx,
        line=line,
        request=CaseRequest(type=RequestType.terminate, channel=Channel.agent),
        today=today,
    )
    result.evaluated += 1
    result.add_money(decision.currency, refund=decision.refund.minor, fee=decision.total_due.minor)
    if decision.outcome is PolicyOutcome.block:
        for blocker in decision.blockers:
            result.policy_blocked[blocker.code] = result.policy_blocked.get(blocker.code, 0) + 1


def approve(session: Session, *, actor: Actor, campaign_id: uuid.UUID, now: datetime) -> Campaign:
    """Four eyes: a second person, a supervisor or an admin, approves; the run starts at
    `start_at` (now when none)."""
    campaign = get(session, actor, campaign_id, for_update=True)
    if actor.label == campaign.created_by:
        raise SameApprover(
            "four eyes: the person who created a campaign cannot approve it", field="approver"
        )
    if actor.type is not ActorType.agent or actor.role not in APPROVER_ROLES:
        raise ApproverRoleRequired(
            "approving a campaign needs a signed-in staff member with the supervisor or admin role",
            field="approver",
        )
    before = campaign.status
    campaign.status = move(CampaignStatus(before), Move.approve)
    campaign.approved_by, campaign.approved_at, campaign.updated_at = actor.label[:200], now, now
    _audit(
        session, campaign, actor, "campaign.approved", now, {"status": [before, campaign.status]}
    )
    enqueue(
        session,
        flows.START_JOB,
        now=now,
        run_at=campaign.start_at if campaign.start_at and campaign.start_at > now else None,
        dedup_key=f"{flows.START_JOB}:{campaign.id}",
        operator_id=campaign.operator_id,
        campaign_id=str(campaign.id),
    )
    return campaign


def pause(session: Session, *, actor: Actor, campaign_id: uuid.UUID, now: datetime) -> Campaign:
    """Chunks in flight finish; no further chunk starts until `resume`."""
    return _change(session, actor, campaign_id, Move.pause, now)


def resume(session: Session, *, actor: Actor, campaign_id: uuid.UUID, now: datetime) -> Campaign:
    campaign = _change(session, actor, campaign_id, Move.resume, now)
    campaign.generation += 1  # new chunk jobs; the paused run's keys stay taken
    if campaign.started_at is None:  # paused before its start: start now
        campaign.status = CampaignStatus.approved.value
        flows.start(session, campaign, now=now)
    else:
        flows.queue_chains(session, campaign, now=now)
    return campaign


def abort(session: Session, *, actor: Actor, campaign_id: uuid.UUID, now: datetime) -> Campaign:
    """Stop for good: lines not acted on yet are marked `aborted` and left alone."""
    campaign = _change(session, actor, campaign_id, Move.abort, now)
    aborted = repository.abort_pending(session, campaign.id, now)
    campaign.finished_at = now
    _audit(session, campaign, actor, "campaign.lines_aborted", now, {"lines": aborted})
    return campaign


_AUDITED = {
    Move.pause: "campaign.paused",
    Move.resume: "campaign.resumed",
    Move.abort: "campaign.aborted",
}


def _change(
    session: Session, actor: Actor, campaign_id: uuid.UUID, what: Move, now: datetime
) -> Campaign:
    campaign = get(session, actor, campaign_id, for_update=True)
    before = campaign.status
    campaign.status = move(CampaignStatus(before), what)
    campaign.updated_at = now
    changes = {"status": [before, campaign.status]}
    _audit(session, campaign, actor, _AUDITED[what], now, changes)
    return campaign


def progress_of(session: Session, campaign: Campaign, *, now: datetime) -> Progress:
    counts = repository.outcome_counts(session, campaign.id)
    return progress(counts, started_at=campaign.started_at, now=campaign.finished_at or now)


def skipped_by_reason(session: Session, campaign: Campaign) -> dict[str, int]:
    return repository.skip_counts(session, campaign.id)


def report(session: Session, actor: Actor, campaign_id: uuid.UUID) -> Iterator[CampaignLine]:
    get(session, actor, campaign_id)
    yield from repository.report(session, campaign_id)


REPORT_COLUMNS = ("line_id", "msisdn", "outcome", "reason", "case_id", "acted_at")


def report_row(entry: CampaignLine) -> tuple[str, ...]:
    return (
        str(entry.line_id),
        entry.msisdn,
        entry.outcome,
        entry.reason or "",
        str(entry.case_id) if entry.case_id else "",
        entry.acted_at.isoformat() if entry.acted_at else "",
    )


def _audit(
    session: Session,
    campaign: Campaign,
    actor: Actor,
    action: str,
    now: datetime,
    changes: dict[str, Any],
) -> None:
    audit.record(
        session,
        operator_id=campaign.operator_id,
        actor=actor,
        action=action,
        subject_type="campaign",
        subject_id=campaign.id,
        at=now,
        changes=changes,
    )
