"""Kannel's delivery reports (the dlr-url callback), read into the channel-neutral report."""

from __future__ import annotations

from simexit.errors import InvalidInput
from simexit.notifications.ports import DeliveryReport

# Kannel's dlr-url %d values: 1 delivered to phone, 2 not delivered to phone, 4 queued on the
# SMSC, 8 accepted by the SMSC, 16 refused by the SMSC.
DLR_OUTCOMES = {
    1: "delivered",
    2: "undeliverable",
    4: "queued_at_smsc",
    8: "accepted_by_smsc",
    16: "refused_by_smsc",
}
_SETTLES = {1: "delivered", 2: "undeliverable", 16: "undeliverable"}


def read_report(dlr_type: int | str, smsc_reply: str | None = None) -> DeliveryReport:
    try:
        code = int(dlr_type)
    except ValueError:
        raise InvalidInput("The delivery report has a malformed type.", field="type") from None
    return DeliveryReport(
        transport="kannel",
        outcome=DLR_OUTCOMES.get(code, f"type_{code}"),
        settles=_SETTLES.get(code),
        detail=smsc_reply,
    )
