"""Where a case's refund goes, on the console's and the portal's case pages.

The page shows the destination (masked) and the payout's state, and, while the money has
not left, a form that records a new one through `refunds.service.give_destination`: the same
checks as the API (the pack's ways, the account form's check digits), each refusal shown in the
reader's language."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session as DbSession

from simexit.api.field_messages import field_detail
from simexit.errors import InvalidFields
from simexit.models import Case, Operator
from simexit.principals import Actor
from simexit.refunds import service as refunds
from simexit.refunds.destinations import BANK_KINDS, METHOD_OF_KIND, DestinationKind
from simexit.refunds.states import OPEN_FOR_DESTINATION
from simexit.web.i18n import N_, Texts

KIND_LABELS = {
    "no_account": N_("Norwegian account number"),
    "iban": N_("IBAN"),
    "us_account": N_("US bank account (ABA routing)"),
    "ru_account": N_("Russian bank account (BIC)"),
    "card": N_("The card paid with (payment token)"),
    "line": N_("Another line of the subscriber (line id)"),
}
PAYOUT_LABELS = {
    "awaiting_destination": N_("Waits for a destination"),
    "scheduled": N_("Scheduled"),
    "sent": N_("Sent to the bank"),
    "settled": N_("Paid"),
    "returned": N_("Returned by the bank: give a new destination"),
}


@dataclass(frozen=True)
class RefundPanel:
    masked: str | None
    payout_status: str | None
    kinds: tuple[str, ...]  # the forms the operator's packs allow, in the order shown
    open: bool  # a destination may still be given


def refund_panel(
    db: DbSession, ctx: refunds.RefundContext, actor: Actor, case: Case
) -> RefundPanel | None:
    """What the case page shows of the refund; None when the case pays none."""
    if not refunds.pays_refund(case):
        return None
    operator = db.get(Operator, case.operator_id)
    assert operator is not None  # noqa: S101 - a case's operator exists
    allowed = refunds.allowed_for(ctx, operator)
    kinds = tuple(
        kind.value
        for kind in DestinationKind
        if METHOD_OF_KIND[kind] in allowed.methods
        and (kind not in BANK_KINDS or kind in allowed.account_formats)
    )
    view = refunds.destination_view(db, actor, case.id)
    status = view.payout_status
    return RefundPanel(
        masked=view.masked,
        payout_status=status.value if status else None,
        kinds=kinds,
        open=status is None or status in OPEN_FOR_DESTINATION,
    )


def problems_text(t: Texts, invalid: InvalidFields) -> str:
    """Each refused field's rule, in the page's language."""
    return " ".join(
        field_detail(rule, t.language, detail, params)
        for _field, rule, detail, params in invalid.problems
    )
