"""The portal's eID step-up (issue 18): a Telenor web cancellation sends no SMS code, offers
BankID, and goes through the operator's identity provider, simulated or the real local one."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from sqlalchemy import select, update

from simexit.config import Settings
from simexit.db import Database
from simexit.models import Case, Line, Operator, Subscriber, Verification
from simexit.runtime import Runtime
from simexit.seed.demo import seed_demo
from simexit.verification.secrets import national_id_hash
from simexit.web.app import create_web_app
from tests.oidc.conftest import ACCOUNTS, LocalProvider, sign_in_at_provider
from tests.web.client import WEB_TEST_SECRET, WebClient
from tests.web.conftest import sign_in


@pytest.fixture
def web_runtime(db: Database) -> Runtime:
    rt = Runtime(Settings(database_url=db.url, secret_key=WEB_TEST_SECRET))  # type: ignore[arg-type]
    rt.__dict__["db"] = db
    with db.session() as session:
        seed_demo(session, packs=rt.packs, now=datetime.now(UTC), password_hash="not-a-hash")
    return rt


@pytest.fixture
def web(web_runtime: Runtime) -> Iterator[WebClient]:
    client = WebClient(create_web_app(web_runtime))
    yield client
    client.close()


def telenor_line(runtime: Runtime, *, number_of: str | None = None) -> Line:
    with runtime.db.session() as session:
        operator = session.scalars(select(Operator).where(Operator.code == "telenor-no")).one()
        line = session.scalars(
            select(Line).where(
                Line.operator_id == operator.id,
                Line.status == "active",
                Line.unpaid_bills_minor == 0,
                Line.kind == "physical_sim",
            )
        ).first()
        assert line is not None
        if number_of is not None:
            stored = national_id_hash(
                ACCOUNTS[number_of]["pid"],
                secret=runtime.cases.secret_key,
                operator_id=operator.id,
            )
            session.execute(
                update(Subscriber)
                .where(Subscriber.id == line.subscriber_id)
                .values(national_id_hash=stored)
            )
        return line


def ask_to_cancel(web: WebClient, runtime: Runtime, line: Line) -> str:
    sign_in(web, runtime, line.msisdn)
    response = web.submit(
        f"/my/lines/{line.id}",
        f"/my/lines/{line.id}/request",
        {"type": "terminate", "consent": "yes", "settlement": "refund", "reason": "moving_abroad"},
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def verifications(runtime: Runtime, line: Line) -> list[Verification]:
    with runtime.db.read_session() as session:
        case = session.scalars(select(Case).where(Case.line_id == line.id)).one()
        return list(session.scalars(select(Verification).where(Verification.case_id == case.id)))


def test_no_code_is_sent_and_bankid_is_offered(web: WebClient, web_runtime: Runtime) -> None:
    line = telenor_line(web_runtime)
    confirm_url = ask_to_cancel(web, web_runtime, line)
    page = web.get(confirm_url)
    assert page.status_code == 200
    assert 'data-eid-offer="bankid"' in page.text
    assert 'name="code"' not in page.text
    (pending,) = verifications(web_runtime, line)  # no code was sent: no code check
    assert (pending.method, pending.status) == ("bankid", "pending")


def test_the_simulated_provider_of_a_sandbox_operator_confirms(
    web: WebClient, web_runtime: Runtime
) -> None:
    line = telenor_line(web_runtime)
    confirm_url = ask_to_cancel(web, web_runtime, line)
    to_provider = web.get(confirm_url.replace("/confirm", "/eid"))
    assert to_provider.status_code == 303
    back = web.get(to_provider.headers["location"])
    assert back.status_code == 303, back.text
    passed = [v for v in verifications(web_runtime, line) if v.status == "passed"]
    assert [v.method for v in passed] == ["bankid"]
    assert passed[0].evidence["simulated"] is True


def with_real_provider(runtime: Runtime, provider: LocalProvider) -> None:
    directory = runtime.gateways
    built = directory.for_operator("telenor-no")
    directory._built["telenor-no"] = dataclasses.replace(built, identity=provider.adapter())


def test_bankid_through_the_real_provider_confirms_and_sends(
    web: WebClient, web_runtime: Runtime, oidc_provider: LocalProvider
) -> None:
    with_real_provider(web_runtime, oidc_provider)
    line = telenor_line(web_runtime, number_of="kari")
    confirm_url = ask_to_cancel(web, web_runtime, line)
    to_provider = web.get(confirm_url.replace("/confirm", "/eid"))
    assert to_provider.headers["location"].startswith(oidc_provider.issuer)
    answer = sign_in_at_provider(to_provider.headers["location"])
    back = web.get(f"/my/eid/callback?{urlencode(answer)}")
    assert back.status_code == 303, back.text
    with web_runtime.db.read_session() as session:
        case = session.scalars(select(Case).where(Case.line_id == line.id)).one()
    assert case.status not in {"draft", "awaiting_verification"}
    assert "passed" in {v.status for v in verifications(web_runtime, line)}


def test_another_persons_bankid_is_refused_on_the_page(
    web: WebClient, web_runtime: Runtime, oidc_provider: LocalProvider
) -> None:
    with_real_provider(web_runtime, oidc_provider)
    line = telenor_line(web_runtime, number_of="ola")  # kari signs in at the provider
    confirm_url = ask_to_cancel(web, web_runtime, line)
    to_provider = web.get(confirm_url.replace("/confirm", "/eid"))
    answer = sign_in_at_provider(to_provider.headers["location"])
    back = web.get(f"/my/eid/callback?{urlencode(answer)}")
    assert back.status_code == 400
    assert 'role="alert"' in back.text
    assert 'data-eid-offer="bankid"' in back.text  # offered again
    statuses = {v.status for v in verifications(web_runtime, line)}
    assert "passed" not in statuses
    assert "failed" in statuses
