"""Case messages go only by the confirmation channels the pack names (Russia: SMS and the state
portal, so no e-mail), through the decision frozen into the case."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from simexit.cases.service.common import confirmation_contacts
from simexit.notifications.ports import EMAIL_ADDRESS, PHONE_NUMBER, PUSH_TOKEN
from simexit.policies.engine import evaluate
from simexit.policies.loader import PackRegistry
from simexit.policies.model import Decision
from simexit.policies.serialize import decision_from_dict, decision_to_dict
from tests.policies.policy_factories import line_for, request

ADDRESSES = {EMAIL_ADDRESS: "a@example.org", PHONE_NUMBER: "+79161234567", PUSH_TOKEN: "tok"}


def _decision(packs: PackRegistry, pack_id: str) -> Decision:
    return evaluate(packs.get(pack_id), line_for(pack_id), request(), date(2026, 6, 1))


def test_russian_case_has_no_email(packs: PackRegistry) -> None:
    decision = _decision(packs, "ru/mts")
    assert decision.confirmation_channels == ("sms", "gov_portal")
    assert confirmation_contacts(decision, ADDRESSES) == {
        PHONE_NUMBER: "+79161234567",
        PUSH_TOKEN: "tok",
    }


def test_norwegian_case_has_sms_and_email(packs: PackRegistry) -> None:
    decision = _decision(packs, "no/telenor")
    assert confirmation_contacts(decision, ADDRESSES) == ADDRESSES


def test_decisions_frozen_before_the_channels_were_kept_send_as_before(
    packs: PackRegistry,
) -> None:
    old = decision_to_dict(_decision(packs, "ru/mts"))
    del old["confirmation_channels"]
    assert confirmation_contacts(decision_from_dict(old), ADDRESSES) == ADDRESSES
    assert confirmation_contacts(None, ADDRESSES) == ADDRESSES


def test_channels_survive_the_round_trip(packs: PackRegistry) -> None:
    decision = replace(_decision(packs, "ru/mts"))
    assert decision_from_dict(decision_to_dict(decision)) == decision
