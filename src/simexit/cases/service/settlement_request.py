"""What a request asks for its balance, checked when the case is opened.

A settlement the operator's rules do not offer (a transfer where the pack has none, a refund
where the balance is forfeited) is refused with the reason instead of turning silently into a
forfeit. A transfer goes only to an active line of the same operator and the same subscriber:
the number must exist there, be live, and not be the line that ends. (A line of someone else who
consents is not taken yet: nothing records that person's consent.)
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from simexit.kit.problems import FieldProblem, invalid
from simexit.lines.states import LineStatus
from simexit.models import Line
from simexit.policies.model import Decision, SettlementChoice

NOT_OFFERED = "settlement_not_offered"


def check_settlement_request(
    session: Session,
    line: Line,
    decision: Decision,
    settlement: SettlementChoice | None,
    transfer_to_msisdn: str | None,
) -> None:
    """Raise `InvalidFields` (422) naming `settlement` or `transfer_to_msisdn` and the rule."""
    problems: list[FieldProblem] = []
    if settlement is not None and any(f.code == NOT_OFFERED for f in decision.checklist):
        problems.append(
            FieldProblem(
                "settlement",
                NOT_OFFERED,
                f"the operator's rules do not offer a {settlement.value} of the balance",
                {"requested": settlement.value},
            )
        )
    elif settlement is SettlementChoice.transfer and transfer_to_msisdn:
        problems.extend(_target_problems(session, line, transfer_to_msisdn))
    if problems:
        raise invalid(problems)


def _target_problems(session: Session, line: Line, msisdn: str) -> list[FieldProblem]:
    target = session.scalars(
        select(Line).where(Line.operator_id == line.operator_id, Line.msisdn == msisdn)
    ).first()
    field = "transfer_to_msisdn"
    if target is None:
        return [FieldProblem(field, "transfer_target_unknown", "no line of this operator has it")]
    if target.id == line.id:
        return [FieldProblem(field, "transfer_target_same_line", "is the line that ends")]
    if target.subscriber_id != line.subscriber_id:
        return [
            FieldProblem(
                field, "transfer_target_other_subscriber", "must be a line of the same subscriber"
            )
        ]
    if target.status is not LineStatus.active:
        return [FieldProblem(field, "transfer_target_inactive", "must be an active line")]
    return []
