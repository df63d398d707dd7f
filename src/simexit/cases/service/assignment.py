"""Who works a case: an agent claims it, or a supervisor assigns it (or hands it back)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from simexit.audit import service as audit
from simexit.cases import repository
from simexit.cases.errors import AssigneeNotFound, CaseClosed
from simexit.cases.service.review import require_staff
from simexit.cases.states import OPEN
from simexit.models import Case, StaffUser
from simexit.principals import Actor


def assign(
    session: Session,
    *,
    actor: Actor,
    case_id: uuid.UUID,
    assignee: StaffUser | None,
    now: datetime,
) -> Case:
    """Put `assignee` (None: nobody) on the case. A staff member who names themself claims it;
    the audit row says which (`case.claim`, `case.assign`, `case.unassign`) and who before."""
    case = repository.get_case(session, actor, case_id, for_update=True)
    require_staff(actor, "assign")
    if case.status not in OPEN:
        raise CaseClosed("a closed case cannot be assigned", field="case_id")
    if assignee is not None and (
        assignee.operator_id != case.operator_id or assignee.disabled_at is not None
    ):
        raise AssigneeNotFound("no such staff member of this operator", field="assignee_id")
    previous = case.assignee_id
    new = assignee.id if assignee is not None else None
    if previous == new:
        return case
    case.assignee_id, case.assigned_at = new, now if new is not None else None
    if assignee is None:
        action = "case.unassign"
    elif assignee.email == actor.id:
        action = "case.claim"
    else:
        action = "case.assign"
    audit.record(
        session,
        operator_id=case.operator_id,
        actor=actor,
        action=action,
        subject_type="case",
        subject_id=case.id,
        at=now,
        changes={
            "assignee_id": [str(previous) if previous else None, str(new) if new else None],
            "assignee": assignee.email if assignee is not None else None,
        },
    )
    return case
