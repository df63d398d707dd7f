"""eID step-up for a case against the real OpenID provider: the provider round trip between two
write transactions, and each refusal recorded as a failed check, never as verified. Also the
acceptance of issue 18: a Telenor web cancellation without BankID is refused, naming BankID."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import select, update

from simexit.cases import service as cases
from simexit.cases.errors import IdentityMethodRequired
from simexit.models import AuditEvent, Line, Subscriber, Verification
from simexit.policies.model import Channel, RequestType
from simexit.principals import Actor, ActorType
from simexit.runtime import Runtime
from simexit.verification.eid import check_secrets
from simexit.verification.methods import Method
from simexit.verification.ports import CheckSecrets, IdentityNotProven, VerifiedIdentity
from simexit.verification.secrets import national_id_hash
from tests.api.conftest import NOW, lines_of
from tests.oidc.conftest import ACCOUNTS, HIGH, SUBSTANTIAL, LocalProvider, sign_in_at_provider


@dataclass(frozen=True)
class Opened:
    line: Line
    actor: Actor
    case_id: uuid.UUID


def telenor_web_case(runtime: Runtime, owner: str = "kari") -> Opened:
    line = lines_of(runtime, "telenor-no", status="active", unpaid_bills_minor=0)[0]
    actor = Actor(
        ActorType.subscriber,
        str(line.subscriber_id),
        operator_id=line.operator_id,
        subscriber_id=line.subscriber_id,
    )
    number = ACCOUNTS[owner]["pid"]
    with runtime.db.session() as session:
        session.execute(
            update(Subscriber)
            .where(Subscriber.id == line.subscriber_id)
            .values(
                national_id_hash=national_id_hash(
                    number, secret=runtime.cases.secret_key, operator_id=line.operator_id
                )
            )
        )
        case = cases.open_case(
            session,
            runtime.cases,
            actor=actor,
            line_id=line.id,
            case_type=RequestType.suspend,
            channel=Channel.web,
            now=NOW,
        ).case
        return Opened(line, actor, case.id)


def step_up(
    runtime: Runtime,
    provider: LocalProvider,
    opened: Opened,
    who: str,
    acr: str = HIGH,
    **bend: object,
) -> cases.EidOutcome:
    """The portal's round trip: start (write), sign in at the provider and trade the code (no
    transaction), finish (write)."""
    with runtime.db.session() as session:
        check = cases.start_eid_check(
            session,
            runtime.cases,
            actor=opened.actor,
            case_id=opened.case_id,
            method=Method.bankid,
            now=NOW,
        )
        check_id = str(check.id)
    adapter = provider.adapter()
    secrets = check_secrets(runtime.cases.secret_key, check_id)
    start = adapter.begin_check(
        check_id=check_id, return_url="", login_hint=who, secrets=secrets, acr_values=(acr,)
    )
    answer = sign_in_at_provider(start.redirect_url)
    identity: VerifiedIdentity | None = None
    refusal = None
    try:
        identity = adapter.complete_check(
            check_id=check_id,
            response=answer,
            secrets=CheckSecrets(str(bend["nonce"]), secrets.code_verifier)
            if "nonce" in bend
            else secrets,
            now=int(bend.get("now", time.time())),  # type: ignore[call-overload]
        )
    except IdentityNotProven as refused:
        refusal = str(refused)
    with runtime.db.session() as session:
        return cases.finish_eid_check(
            session,
            runtime.cases,
            actor=opened.actor,
            check_id=uuid.UUID(check_id),
            identity=identity,
            refusal=refusal,
            now=NOW,
        )


def checks(runtime: Runtime, opened: Opened) -> list[Verification]:
    with runtime.db.read_session() as session:
        return list(
            session.scalars(select(Verification).where(Verification.case_id == opened.case_id))
        )


def test_bankid_at_the_right_level_for_the_right_person_verifies(
    runtime: Runtime, demo: object, oidc_provider: LocalProvider
) -> None:
    opened = telenor_web_case(runtime)
    outcome = step_up(runtime, oidc_provider, opened, "kari")
    assert outcome.passed, outcome.reason
    (check,) = checks(runtime, opened)
    assert (check.method, check.status) == ("bankid", "passed")
    assert check.evidence["assurance"] == HIGH
    with runtime.db.read_session() as session:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.subject_id == str(opened.case_id))
        )
        assert ACCOUNTS["kari"]["pid"] not in str([r.changes for r in rows])
    with runtime.db.session() as session:
        submitted = cases.submit(
            session,
            runtime.cases,
            actor=opened.actor,
            case_id=opened.case_id,
            now=NOW,
            consent_text="yes",
        )
        assert "identity_method_differs" not in [r.code for r in submitted.review_reasons]


@pytest.mark.parametrize(
    ("who", "acr", "bend", "reason"),
    [
        (
            "kari",
            SUBSTANTIAL,
            {},
            "assurance level (urn:test:loa:substantial) is too low for bankid",
        ),
        ("ola", HIGH, {}, "belongs to another person"),
        ("kari", HIGH, {"now": time.time() + 2 * 86_400}, "expired"),
    ],
    ids=["too-low-acr", "another-persons-number", "expired-token"],
)
def test_each_refusal_is_recorded_and_nothing_is_verified(
    runtime: Runtime,
    demo: object,
    oidc_provider: LocalProvider,
    who: str,
    acr: str,
    bend: dict[str, object],
    reason: str,
) -> None:
    opened = telenor_web_case(runtime)
    outcome = step_up(runtime, oidc_provider, opened, who, acr, **bend)
    assert not outcome.passed
    assert outcome.reason is not None
    assert reason in outcome.reason
    (check,) = checks(runtime, opened)
    assert check.status == "failed"
    assert check.verified_at is None
    assert outcome.case.verified_at is None


def test_a_wrong_nonce_is_recorded_as_failed(
    runtime: Runtime, demo: object, oidc_provider: LocalProvider
) -> None:
    opened = telenor_web_case(runtime)
    outcome = step_up(
        runtime,
        oidc_provider,
        opened,
        "kari",
        nonce="another-sign-in",
    )
    assert not outcome.passed
    assert outcome.reason is not None
    assert "nonce" in outcome.reason
    assert {c.status for c in checks(runtime, opened)} == {"failed"}


def test_telenor_web_without_bankid_is_refused_naming_bankid(
    runtime: Runtime, demo: object
) -> None:
    opened = telenor_web_case(runtime)
    with runtime.db.session() as session, pytest.raises(IdentityMethodRequired) as refused:
        cases.start_verification(
            session,
            runtime.cases,
            actor=opened.actor,
            case_id=opened.case_id,
            method=Method.sms_otp,
            now=NOW,
        )
    assert refused.value.field == "method"
    assert refused.value.context["needed"] == "bankid"
    assert refused.value.context["offered"] == "bankid"
    assert "bankid" in refused.value.message
