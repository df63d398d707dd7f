"""A campaign's states and the moves between them. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from simexit.campaigns.errors import CampaignStateConflict


class CampaignStatus(StrEnum):
    draft = "draft"  # created; dry runs allowed; waits for a second person's approval
    approved = "approved"  # approved; its first chunks wait for `start_at`
    running = "running"
    paused = "paused"
    aborted = "aborted"  # stopped for good: lines not yet acted on stay untouched
    done = "done"


class Move(StrEnum):
    approve = "approve"
    start = "start"
    pause = "pause"
    resume = "resume"
    abort = "abort"
    finish = "finish"


S, M = CampaignStatus, Move
MOVES: Final[Mapping[tuple[CampaignStatus, Move], CampaignStatus]] = {
    (S.draft, M.approve): S.approved,
    (S.approved, M.start): S.running,
    (S.approved, M.pause): S.paused,
    (S.running, M.pause): S.paused,
    (S.paused, M.resume): S.running,
    (S.running, M.finish): S.done,
    **{(s, M.abort): S.aborted for s in (S.draft, S.approved, S.running, S.paused)},
}
TERMINAL: Final = frozenset({S.aborted, S.done})


def move(status: CampaignStatus, what: Move) -> CampaignStatus:
    found = MOVES.get((status, what))
    if found is None:
        raise CampaignStateConflict(
            f"a campaign that is {status.value} cannot {what.value}", field="status"
        )
    return found
