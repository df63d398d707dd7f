"""What the portal says around a request: the way out of a blocker, and what to know before sending.

Built from the frozen or previewed decision, the line and the operator's pack (its channels with
their numbers and addresses, its unpaid-bills policy). No page is a dead end: a blocked line
shows how to clear the blocker and whom to contact; a line whose number is being moved shows the
move instead of a cancellation form.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from simexit.cases.service.porting import PendingPort
from simexit.guides.build import COUNTRY_LOGINS
from simexit.models import Line
from simexit.policies.model import (
    Decision,
    Finding,
    LineKind,
    Plan,
    RequestType,
)
from simexit.policies.pack import Pack
from simexit.policies.schema import UnpaidBillsPolicy
from simexit.web.i18n import N_, Texts
from simexit.web.texts import CHANNEL, finding_text, label, list_text

# Channels a subscriber cannot use to reach the operator directly.
NOT_A_CONTACT = frozenset({"web", "app", "api", "port_in_operator", "agent", "reseller"})

PAY_HOW = N_(
    "Pay the open amount of {amount} the way you usually pay your bills: online banking, the operator's app or a store."
)
PAY_PLAN = N_("If you cannot pay it all at once, ask the operator for a payment plan.")
GOES_ON_BY_ITSELF = N_(
    "You can still send the request now. It waits on hold and goes ahead by itself as soon as the payment reaches the operator; you can withdraw it at any time."
)
CASE_GOES_ON = N_(
    "Your request goes ahead by itself as soon as the payment reaches the operator. You do not need to send it again."
)
CONTACT = N_("{channel}: {address}")
PORT_MOVING = N_("Your number is being moved to {recipient}.")
PORT_MOVING_UNKNOWN = N_("Your number is being moved to another operator.")
PORT_ASKED = N_("The move was asked for on {date}.")
PORT_DATE = N_("The move is planned for {date}.")
PORT_NO_DATE = N_("Your new operator tells you the date of the move.")
PORT_ENDS = N_(
    "When the move is complete, this subscription ends by itself and you keep your number. You do not need to cancel it, and cancelling now would not stop the move."
)
# What completing the port settles, from the pack's decision for it.
PORT_REFUND = N_(
    "When the move is complete, your remaining balance of {amount} is refunded to you."
)
PORT_TRANSFER = N_(
    "When the move is complete, {amount} of your balance is moved to the number you gave."
)
PORT_FORFEIT = N_("When the move is complete, the remaining balance of {amount} is not paid back.")
PORT_DUE = N_("Your final bill comes to {amount}.")
# Before submitting: whether it can be undone, and until when.
WITHDRAW_UNTIL = N_("You can withdraw the request until it takes effect on {date}.")
WITHDRAW_UNTIL_APPROVED = N_("You can withdraw the request until it takes effect.")
REACTIVATE_UNTIL = N_(
    "After that, the operator can reactivate the line until {date} if you change your mind."
)
IRREVERSIBLE = N_(
    "After that it cannot be reversed: this operator does not reactivate cancelled lines."
)
PAUSE_REVERSIBLE = N_("A pause can be ended early: ask to resume the line whenever you want.")
PAUSE_ELSEWHERE = N_("A pause cannot be asked for here. This operator takes it by {channels}.")


@dataclass(frozen=True)
class PortView:
    moving: str
    asked: str
    planned: str
    ends: str
    # What the port settles: the refund, transfer or forfeit of the balance, the final bill.
    money: tuple[str, ...] = ()


@dataclass(frozen=True)
class WayOut:
    """How to clear what holds a request (or a line) back, on the page that says so."""

    pay: list[str] = field(default_factory=list)
    goes_on: str = ""
    port: PortView | None = None
    contacts: list[str] = field(default_factory=list)

    @property
    def shown(self) -> bool:
        return bool(self.pay or self.port or self.contacts)


def contacts(t: Texts, pack: Pack) -> list[str]:
    """The pack's channels a person can reach, each with its number or address."""
    channels = (pack.to_public_dict().get("cancellation") or {}).get("channels") or {}
    rows: list[str] = []
    for row in channels.get("value") or ():
        channel, address = str(row.get("channel")), row.get("address")
        if channel in NOT_A_CONTACT or not address:
            continue
        text = t(CONTACT, channel=label(t, CHANNEL, channel), address=address)
        if text not in rows:
            rows.append(text)
    return rows


def _unpaid_policy(pack: Pack, line: Line) -> UnpaidBillsPolicy:
    return pack.rules_for(Plan(line.plan), LineKind(line.kind), line.region).unpaid_policy


def way_out(
    t: Texts,
    *,
    pack: Pack,
    line: Line,
    blockers: Sequence[Finding],
    reviews: Sequence[Finding] = (),
    port: PendingPort | None,
    currency: str | None,
    for_case: bool,
) -> WayOut:
    """Every blocker gets a way out, and so does the payment plan a person checks (unpaid bills
    block in one pack and need a plan in another)."""
    findings = [*blockers, *(r for r in reviews if r.code == "instalment_plan_needed")]
    codes = {f.code for f in findings}
    if not codes and not line.port_pending:
        return WayOut()
    pay: list[str] = []
    goes_on = ""
    unpaid = next(
        (f for f in findings if f.code in {"unpaid_bills", "instalment_plan_needed"}), None
    )
    if unpaid is not None:
        pay.append(t(PAY_HOW, amount=_amount(t, unpaid.params, currency)))
        if (
            unpaid.code == "instalment_plan_needed"
            or _unpaid_policy(pack, line) is UnpaidBillsPolicy.instalment_plan
        ):
            pay.append(t(PAY_PLAN))
        if unpaid.code == "unpaid_bills":  # blocked: the bill-paid event moves the case on
            goes_on = t(CASE_GOES_ON) if for_case else t(GOES_ON_BY_ITSELF)
    port_view = None
    if line.port_pending or "port_pending" in codes:
        port_view = _port_view(t, port)
    return WayOut(pay=pay, goes_on=goes_on, port=port_view, contacts=contacts(t, pack))


def _amount(t: Texts, params: Mapping[str, Any], currency: str | None) -> str:
    value = params.get("amount")
    if isinstance(value, Mapping) and "minor" in value:
        return t.money(int(value["minor"]), str(value.get("currency") or currency))
    return ""


def _port_view(t: Texts, port: PendingPort | None) -> PortView:
    if port is None:
        return PortView(t(PORT_MOVING_UNKNOWN), "", t(PORT_NO_DATE), t(PORT_ENDS))
    row, case, settlement = port.port, port.case, port.settlement
    moving = (
        t(PORT_MOVING, recipient=row.recipient_operator)
        if row.recipient_operator
        else t(PORT_MOVING_UNKNOWN)
    )
    planned_on = case.effective_date if case is not None else None
    return PortView(
        moving=moving,
        asked=t(PORT_ASKED, date=t.date(row.requested_at.date())),
        planned=t(PORT_DATE, date=t.date(planned_on)) if planned_on else t(PORT_NO_DATE),
        ends=t(PORT_ENDS),
        money=_port_money(t, settlement),
    )


def _port_money(t: Texts, d: Decision) -> tuple[str, ...]:
    said = [
        t(sentence, amount=t.money(amount.minor, d.currency))
        for sentence, amount in (
            (PORT_REFUND, d.refund),
            (PORT_TRANSFER, d.transfer),
            (PORT_FORFEIT, d.forfeit),
            (PORT_DUE, d.total_due),
        )
        if amount.minor > 0
    ]
    return tuple(said)


@dataclass(frozen=True)
class BeforeSending:
    """Said before every request is sent: can it be undone, and the checks no one flagged."""

    reversibility: list[str]
    unseen: list[str]


def before_sending(
    t: Texts, *, decision: Decision, country: str, today: date, case_type: str = "terminate"
) -> BeforeSending:
    if case_type == "suspend":
        return BeforeSending([t(PAUSE_REVERSIBLE)], [])
    effective = decision.effective_date
    reversibility = [
        t(WITHDRAW_UNTIL, date=t.date(effective))
        if effective is not None and effective > today
        else t(WITHDRAW_UNTIL_APPROVED)
    ]
    if decision.reactivation_deadline is not None:
        reversibility.append(t(REACTIVATE_UNTIL, date=t.date(decision.reactivation_deadline)))
    else:
        reversibility.append(t(IRREVERSIBLE))
    flagged = {f.code for f in decision.checklist}
    unseen: list[str] = []
    logins = COUNTRY_LOGINS.get(country, ("bank", "two_factor"))
    if "move_two_factor" not in flagged:
        unseen.append(finding_text(t, Finding("move_two_factor", {"services": list(logins)}), None))
    if "unbind_autopay" not in flagged:
        unseen.append(finding_text(t, Finding("unbind_autopay", {}), None))
    return BeforeSending(reversibility, unseen)


def pause_elsewhere(t: Texts, pack: Pack, line: Line) -> str:
    """Where a pause is taken when the portal may not take it (AT&T: phone or store)."""
    rules = pack.rules_for(Plan(line.plan), LineKind(line.kind), line.region)
    allowed = rules.channel_index.get((RequestType.suspend, Plan(line.plan), LineKind(line.kind)))
    channels = [c.value for c in allowed or () if c.value not in NOT_A_CONTACT]
    if not channels:
        return ""
    return t(
        PAUSE_ELSEWHERE,
        channels=list_text(t, [label(t, CHANNEL, c) for c in channels], either=True),
    )
