"""The jobs of a campaign's run: its start, then chains of chunks, each queueing the next.

A chunk re-checks the campaign first: paused, aborted or done, it does nothing (and queues
nothing: `resume` queues new chains). Its lines' outcomes commit with the actions on them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from simexit.campaigns import flows, repository
from simexit.campaigns.states import CampaignStatus
from simexit.cases.context import CaseContext
from simexit.jobs.registry import exponential, job

_context: CaseContext | None = None


def install(cases: CaseContext) -> None:
    global _context
    _context = cases


def _installed() -> CaseContext:
    if _context is None:
        raise RuntimeError("campaign tasks need simexit.campaigns.tasks.install(...) at start")
    return _context


@job(flows.START_JOB, max_attempts=5)
def start(session: Session, *, now: datetime, campaign_id: str) -> None:
    campaign = repository.get(session, None, uuid.UUID(campaign_id), for_update=True)
    if campaign is None or campaign.status != CampaignStatus.approved.value:
        return  # paused before its start, aborted, or started already
    flows.start(session, campaign, now=now)


@job(flows.CHUNK_JOB, max_attempts=8, backoff=exponential(base_seconds=5, cap_seconds=300))
def chunk(
    session: Session, *, now: datetime, campaign_id: str, chain: int, seq: int, generation: int
) -> None:
    # Not locked: chunks of both chains run at once; a pause that commits meanwhile takes
    # effect at the next chunk.
    campaign = repository.get(session, None, uuid.UUID(campaign_id), for_update=False)
    if (
        campaign is None
        or campaign.status != CampaignStatus.running.value
        or campaign.generation != generation
    ):
        return
    result = flows.run_chunk(session, _installed(), campaign, now=now)
    if result.claimed == 0 and result.pending_left == 0:
        flows.finish(session, campaign, now=now)
        return
    # Lines left but none to claim: the other chain holds them; look again a little later.
    later = now + flows.RECHECK_AFTER if result.claimed == 0 else None
    flows.queue_chunk(session, campaign, chain=chain, seq=seq + 1, now=now, run_at=later)
