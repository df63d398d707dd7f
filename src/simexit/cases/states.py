"""The case lifecycle as data (DESIGN.md §4). Pure: stdlib and errors only.

`docs/workflow.md` is generated from `TRANSITIONS` by `simexit cases diagram`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from simexit.errors import Conflict


class CaseStatus(StrEnum):
    draft = "draft"
    awaiting_verification = "awaiting_verification"
    submitted = "submitted"
    blocked = "blocked"
    in_review = "in_review"
    # An agent asked the subscriber for something (a document, a corrected name); the SLA waits.
    information_required = "information_required"
    approved = "approved"
    executing = "executing"
    completed = "completed"
    expired = "expired"
    rejected = "rejected"
    withdrawn = "withdrawn"
    failed = "failed"
    superseded = "superseded"


class Trigger(StrEnum):
    start_verification = "start_verification"
    submit = "submit"
    policy_passed = "policy_passed"
    policy_flagged = "policy_flagged"
    policy_blocked = "policy_blocked"
    approve = "approve"
    reject = "reject"
    withdraw = "withdraw"
    expire = "expire"
    execute = "execute"
    execution_succeeded = "execution_succeeded"
    execution_failed = "execution_failed"
    retry = "retry"
    supersede = "supersede"
    request_information = "request_information"
    provide_information = "provide_information"
    information_lapsed = "information_lapsed"


S, T = CaseStatus, Trigger

TRANSITIONS: Final[Mapping[tuple[CaseStatus, Trigger], CaseStatus]] = {
    (S.draft, T.start_verification): S.awaiting_verification,
    (S.awaiting_verification, T.start_verification): S.awaiting_verification,
    (S.awaiting_verification, T.submit): S.submitted,
    (S.blocked, T.submit): S.submitted,
    (S.submitted, T.policy_passed): S.approved,
    (S.submitted, T.policy_flagged): S.in_review,
    (S.submitted, T.policy_blocked): S.blocked,
    (S.in_review, T.approve): S.approved,
    (S.in_review, T.reject): S.rejected,
    (S.blocked, T.reject): S.rejected,
    (S.in_review, T.request_information): S.information_required,
    (S.information_required, T.provide_information): S.in_review,
    (S.information_required, T.reject): S.rejected,
    (S.information_required, T.information_lapsed): S.rejected,
    (S.draft, T.expire): S.expired,
    (S.awaiting_verification, T.expire): S.expired,
    (S.approved, T.execute): S.executing,
    (S.executing, T.execution_succeeded): S.completed,
    (S.executing, T.execution_failed): S.failed,
    (S.failed, T.retry): S.executing,
    (S.failed, T.supersede): S.superseded,
    **{
        (s, T.withdraw): S.withdrawn
        for s in (
            S.draft,
            S.awaiting_verification,
            S.blocked,
            S.in_review,
            S.information_required,
            S.approved,
        )
    },
}

TERMINAL: Final = frozenset({S.completed, S.expired, S.rejected, S.withdrawn, S.superseded})
OPEN: Final = frozenset(s for s in CaseStatus if s not in TERMINAL)

# Who may fire a trigger by hand; the rest are fired by simexit itself (policy, scheduler, flows).
SUBSCRIBER_TRIGGERS: Final = frozenset(
    {T.start_verification, T.submit, T.withdraw, T.provide_information}
)
AGENT_TRIGGERS: Final = frozenset(
    {T.approve, T.reject, T.retry, T.withdraw, T.submit, T.request_information}
)
SYSTEM_TRIGGERS: Final = frozenset(
    {
        T.policy_passed,
        T.policy_flagged,
        T.policy_blocked,
        T.expire,
        T.execute,
        T.execution_succeeded,
        T.execution_failed,
        T.supersede,
        T.information_lapsed,
    }
)


class InvalidTransition(Conflict):
    code = "invalid_transition"

    def __init__(self, current: CaseStatus, trigger: Trigger) -> None:
        super().__init__(
            f"cannot {trigger.value.replace('_', ' ')} a case that is {current.value.replace('_', ' ')}",
            field="status",
            current=current.value,
            trigger=trigger.value,
        )


def transition(current: CaseStatus, trigger: Trigger) -> CaseStatus:
    try:
        return TRANSITIONS[(current, trigger)]
    except KeyError:
        raise InvalidTransition(current, trigger) from None


def available_triggers(current: CaseStatus) -> frozenset[Trigger]:
    return frozenset(t for (s, t) in TRANSITIONS if s == current)


def mermaid_diagram() -> str:
    """A Mermaid stateDiagram-v2 of `TRANSITIONS`, stable in order so the doc diffs cleanly."""
    lines = ["stateDiagram-v2", f"    [*] --> {S.draft.value}"]
    for (source, trigger), target in sorted(
        TRANSITIONS.items(), key=lambda kv: (list(S).index(kv[0][0]), kv[0][1].value)
    ):
        lines.append(f"    {source.value} --> {target.value}: {trigger.value}")
    lines.extend(f"    {s.value} --> [*]" for s in sorted(TERMINAL, key=list(S).index))
    return "\n".join(lines) + "\n"
