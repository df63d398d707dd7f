"""What situation a line is in, in a few words, from its own facts: for the demo's start-up table
and `simexit lines list`. Read from the row, so it stays true whatever the seed or an import put
there; the policy engine, not this, decides what each fact means for a cancellation."""

from __future__ import annotations

from datetime import date

from simexit.models import Line

_LINKED = {
    "autopay_card": "auto-pay card",
    "two_factor": "2FA logins",
    "third_party_billing": "third-party billing",
}


def situation(line: Line, today: date) -> str:
    """The facts that shape a cancellation of this line, most decisive first."""
    facts: list[str] = []
    if line.status == "terminated" and line.terminated_on is not None:
        ago = (today - line.terminated_on).days
        facts.append(f"terminated {ago} days ago")
        if line.reactivation_deadline is not None and line.reactivation_deadline >= today:
            facts.append(f"reactivation possible until {line.reactivation_deadline.isoformat()}")
    elif line.status != "active":
        facts.append(line.status.replace("_", " "))
    if line.port_pending:
        facts.append("port-out pending (a cancellation is blocked)")
    if line.unpaid_bills_minor:
        facts.append("unpaid bills")
    if line.commitment_end is not None and line.commitment_end > today:
        kind = f"{line.commitment_kind} " if line.commitment_kind else ""
        facts.append(f"{kind}commitment to {line.commitment_end.isoformat()}")
    if line.device_instalment_minor:
        facts.append("device instalments left")
    if line.plan == "postpaid":
        facts.append("postpaid")
    elif line.plan == "prepaid":
        credit = "bonus credit" if line.bonus_balance_minor else "balance"
        facts.append(f"prepaid {credit}" if line.balance_minor else "prepaid, no balance")
        if line.last_topup_on is not None and (today - line.last_topup_on).days > 30:
            facts.append(f"no top-up for {(today - line.last_topup_on).days} days")
    linked = [_LINKED.get(name, name.replace("_", " ")) for name in line.linked_services or ()]
    if linked:
        facts.append("linked: " + ", ".join(linked))
    if line.signed_up_channel == "store":
        facts.append("signed up in a store")
    return "; ".join(facts) or "active, nothing outstanding"
