"""The console case page and GET /v1/cases/{id} show a case's teardown steps and their state."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from simexit.cases.states import CaseStatus
from simexit.cases.teardown import STEPS
from simexit.models import Case, TeardownStep
from simexit.runtime import Runtime
from tests.web.client import WebClient
from tests.web.conftest import staff_sign_in
from tests.web.test_console import _submit_case

AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def mark_failed_at_deactivation(session: Session, case_id: uuid.UUID) -> Case:
    """The case as a termination that failed at its second step, the first one done."""
    case = session.get(Case, case_id)
    assert case is not None
    case.type, case.status = "terminate", CaseStatus.failed
    case.failure_reason = "hss_deactivate: HLR: connection refused"
    session.add_all(
        [
            TeardownStep(
                case_id=case.id,
                step="bar_outgoing",
                status="done",
                attempts=1,
                outcome="barred",
                updated_at=AT,
            ),
            TeardownStep(
                case_id=case.id,
                step="hss_deactivate",
                status="failed",
                attempts=5,
                detail="HLR: connection refused",
                updated_at=AT,
            ),
        ]
    )
    session.flush()
    return case


def test_the_case_page_has_a_step_table(client: WebClient, runtime: Runtime) -> None:
    case = _submit_case(client, runtime)
    with runtime.db.session() as session:
        mark_failed_at_deactivation(session, case.id)
    staff_sign_in(client, "agent@ice-no.demo")
    page = client.get(f"/console/cases/{case.id}?lang=en").text
    assert (
        "Steps in the operator&#39;s systems" in page or "Steps in the operator's systems" in page
    )
    assert (
        '<tr class="step-done"><td>Bar the line in the network</td><td>Done</td><td>1</td>' in page
    )
    assert '<td>Failed</td><td>5</td><td class="mono">HLR: connection refused</td>' in page
    assert page.count('class="step-pending"') == len(STEPS["terminate"]) - 2
    norwegian = client.get(f"/console/cases/{case.id}?lang=nb").text
    assert "Sperr linjen i nettet" in norwegian


def test_a_draft_shows_no_step_table(client: WebClient, runtime: Runtime) -> None:
    case = _submit_case(client, runtime)
    assert case.status == "in_review"
    staff_sign_in(client, "agent@ice-no.demo")
    assert 'class="steps"' not in client.get(f"/console/cases/{case.id}").text
