"""Who may do what in the console: the buttons are available_triggers(status) ∩ the role's."""

from __future__ import annotations

from simexit.cases.states import AGENT_TRIGGERS, CaseStatus, Trigger, available_triggers
from simexit.models import StaffUser
from simexit.principals import Actor, ActorType, StaffRole

# What each role may do by hand; a button shows only for available_triggers(status) ∩ this.
ROLE_TRIGGERS: dict[StaffRole, frozenset[Trigger]] = {
    StaffRole.agent: frozenset(
        {Trigger.approve, Trigger.reject, Trigger.submit, Trigger.request_information}
    ),
    StaffRole.supervisor: frozenset(
        {
            Trigger.approve,
            Trigger.reject,
            Trigger.retry,
            Trigger.withdraw,
            Trigger.submit,
            Trigger.request_information,
        }
    ),
    StaffRole.admin: AGENT_TRIGGERS,
}
CONSOLE_TRIGGERS = (
    Trigger.submit,
    Trigger.approve,
    Trigger.reject,
    Trigger.retry,
    Trigger.withdraw,
)
# A rejected case may be sent again by anyone who may reject; a failed one by those who may retry.
RESUBMIT_FROM = {CaseStatus.rejected: Trigger.reject, CaseStatus.failed: Trigger.retry}
# Who may hand a case to someone else (anyone may claim one for themself).
ASSIGNING_ROLES = frozenset({StaffRole.supervisor, StaffRole.admin})
# Who may put a dead job back in the queue.
JOB_RETRY_ROLES = frozenset({StaffRole.supervisor.value, StaffRole.admin.value})


def permitted_actions(status: CaseStatus, role: StaffRole) -> list[Trigger]:
    allowed = available_triggers(status) & ROLE_TRIGGERS[role]
    return [trigger for trigger in CONSOLE_TRIGGERS if trigger in allowed]


def can_resubmit(status: CaseStatus, role: StaffRole) -> bool:
    needed = RESUBMIT_FROM.get(status)
    return needed is not None and needed in ROLE_TRIGGERS[role]


def can_ask(status: CaseStatus, role: StaffRole) -> bool:
    """The "ask the subscriber for information" form (its own route, not a decision button)."""
    return Trigger.request_information in available_triggers(status) & ROLE_TRIGGERS[role]


def can_attest(status: CaseStatus) -> bool:
    return Trigger.start_verification in available_triggers(status)


def staff_actor(staff: StaffUser) -> Actor:
    return Actor(
        ActorType.agent,
        staff.email,
        operator_id=staff.operator_id,
        role=StaffRole(staff.role),
        name=staff.full_name,
    )
