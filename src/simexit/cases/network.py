"""A line's state in the network outside a case's teardown: suspension flags and number release.

* `lines.network_sync`: a suspension flag was set or cleared (`lines.service.
  set_suspension_flag`: voluntary, lost/stolen, debt, regulatory). The line is barred in the
  HLR/HSS while any flag is set and unbarred when the last one is cleared; the job reads the
  flags when it runs, so two quick changes end in the state of the last one.
* `lines.network_remove`: the number left quarantine (`lines.release_numbers`): the subscriber
  is deleted from the HLR/HSS.

Both are exchanges like the teardown steps (plan read-only, call with no transaction open,
record the outcome in the job's transaction); a failed call raises `AttemptFailed`, so the job
retries with back-off and its error shows in the console's job list.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

import structlog
from sqlalchemy.orm import Session

from simexit.audit import service as audit
from simexit.cases.ports import GatewayError, Gateways
from simexit.cases.teardown import Outcome
from simexit.jobs.runner import AttemptFailed
from simexit.kit.gateway_metrics import gateway_call
from simexit.lines.service import NETWORK_SYNC_JOB, NETWORK_SYNC_MANY_JOB
from simexit.lines.states import LineStatus
from simexit.models import Line
from simexit.operators.repository import operator_info
from simexit.principals import SYSTEM

log = structlog.get_logger()

SYNC_JOB: Final = NETWORK_SYNC_JOB
SYNC_MANY_JOB: Final = NETWORK_SYNC_MANY_JOB
REMOVE_JOB: Final = "lines.network_remove"

NetworkAction = Literal["bar", "unbar", "remove"]


@dataclass(frozen=True, slots=True)
class NetworkChange:
    line_id: uuid.UUID
    operator_id: uuid.UUID
    operator_code: str
    msisdn: str
    imsi: str | None
    action: NetworkAction
    flags: tuple[str, ...]


def wanted_action(status: str, flags: set[str]) -> NetworkAction | None:
    """Pure: what the network must do for a line in this state. A line being terminated or gone
    is the teardown's and the number release's business, not the flags'."""
    if status not in {LineStatus.active, LineStatus.suspended}:
        return None
    return "bar" if flags else "unbar"


def _change(session: Session, line: Line, action: NetworkAction) -> NetworkChange:
    return NetworkChange(
        line_id=line.id,
        operator_id=line.operator_id,
        operator_code=operator_info(session, line.operator_id).code,
        msisdn=line.msisdn,
        imsi=line.imsi,
        action=action,
        flags=tuple(sorted(line.suspension_flags or [])),
    )


def plan_sync(session: Session, *, line_id: uuid.UUID) -> NetworkChange | None:
    line = session.get(Line, line_id)
    if line is None:
        return None
    action = wanted_action(line.status, set(line.suspension_flags or []))
    return _change(session, line, action) if action is not None else None


def plan_removal(session: Session, *, line_id: uuid.UUID) -> NetworkChange | None:
    line = session.get(Line, line_id)
    if line is None or line.status != LineStatus.number_released:
        return None  # reactivated meanwhile, or never released
    return _change(session, line, "remove")


def network_call_id(change: NetworkChange) -> str | None:
    """A number is released once per line, so its removal has one id on every try; a flag sync
    sets the state the flags want, idempotent by itself, and has none."""
    return f"simexit-line-{change.line_id}-remove" if change.action == "remove" else None


def call(change: NetworkChange, gateways: Gateways) -> Outcome:
    """With no transaction open; the peer's failures become the outcome."""
    network = gateways.network
    operation = {
        "bar": network.bar_outgoing,
        "unbar": network.reactivate,
        "remove": network.remove,
    }[change.action]
    name = {"bar": "bar_outgoing", "unbar": "reactivate", "remove": "remove"}[change.action]
    try:
        with gateway_call(gateway="network", adapter=network, operation=name):
            operation(imsi=change.imsi, msisdn=change.msisdn, call_id=network_call_id(change))
    except GatewayError as error:
        return Outcome.failed(str(error), retryable=error.retryable)
    except (OSError, TimeoutError) as error:
        return Outcome.failed(f"{type(error).__name__}: {error}", retryable=True)
    return Outcome.succeeded(
        {"bar": "barred", "unbar": "unbarred", "remove": "removed"}[change.action]
    )


def record(session: Session, *, change: NetworkChange, outcome: Outcome, now: datetime) -> None:
    if not outcome.ok:
        log.warning(
            "line.network_failed",
            line_id=str(change.line_id),
            action=change.action,
            error=outcome.detail,
        )
        if outcome.retryable:
            raise AttemptFailed(f"{change.action}: {outcome.detail}")
    audit.record(
        session,
        operator_id=change.operator_id,
        actor=SYSTEM,
        action=f"line.network_{change.action}" + ("" if outcome.ok else "_refused"),
        subject_type="line",
        subject_id=change.line_id,
        at=now,
        changes={"network": outcome.detail, "flags": list(change.flags)},
    )
