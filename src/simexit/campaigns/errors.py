from __future__ import annotations

from simexit.errors import Conflict, Forbidden, NotFound


class CampaignNotFound(NotFound):
    code = "campaign_not_found"


class CampaignStateConflict(Conflict):
    code = "campaign_state_conflict"


class SameApprover(Conflict):
    """Four eyes: whoever created a campaign may not approve it."""

    code = "four_eyes_same_person"


class ApproverRoleRequired(Forbidden):
    code = "supervisor_required"
