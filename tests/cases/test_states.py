from __future__ import annotations

import pytest

from simexit.cases.states import (
    OPEN,
    TERMINAL,
    TRANSITIONS,
    CaseStatus,
    InvalidTransition,
    Trigger,
    available_triggers,
    mermaid_diagram,
    transition,
)
from simexit.models.case import OPEN_STATUSES_SQL

TRANSITION_CASES = [(s, t, target) for (s, t), target in TRANSITIONS.items()]
ILLEGAL = [(s, t) for s in CaseStatus for t in Trigger if (s, t) not in TRANSITIONS]


@pytest.mark.parametrize(("current", "trigger", "expected"), TRANSITION_CASES)
def test_transition(current: CaseStatus, trigger: Trigger, expected: CaseStatus) -> None:
    assert transition(current, trigger) is expected


@pytest.mark.parametrize(("current", "trigger"), ILLEGAL)
def test_illegal_transition_is_refused_with_both_names(
    current: CaseStatus, trigger: Trigger
) -> None:
    with pytest.raises(InvalidTransition) as error:
        transition(current, trigger)
    assert error.value.status == 409
    assert error.value.context == {"current": current.value, "trigger": trigger.value}


def test_terminal_states_have_no_exits() -> None:
    assert all(not available_triggers(s) for s in TERMINAL)


def test_every_state_is_reachable_from_draft() -> None:
    seen, frontier = {CaseStatus.draft}, [CaseStatus.draft]
    while frontier:
        current = frontier.pop()
        for trigger in available_triggers(current):
            target = transition(current, trigger)
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    assert seen == set(CaseStatus)


def test_every_open_state_can_still_end() -> None:
    for state in OPEN:
        assert available_triggers(state), state


def test_withdraw_is_not_possible_once_execution_started() -> None:
    for state in (CaseStatus.executing, CaseStatus.completed, CaseStatus.failed):
        assert Trigger.withdraw not in available_triggers(state)


def test_database_index_knows_the_same_open_states() -> None:
    assert {s.value for s in OPEN} == set(
        OPEN_STATUSES_SQL.split("(")[1].rstrip(")").replace("'", "").split(",")
    )


def test_diagram_lists_every_transition() -> None:
    diagram = mermaid_diagram()
    for (source, trigger), target in TRANSITIONS.items():
        assert f"{source.value} --> {target.value}: {trigger.value}" in diagram
