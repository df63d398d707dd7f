"""A disabled staff user is signed out everywhere at once and cannot sign in again; a reset
password ends the old sessions too."""

from __future__ import annotations

from simexit.clock import utc_now
from simexit.principals import Actor, ActorType
from simexit.runtime import Runtime
from simexit.staff import service
from simexit.web.security import STAFF_SESSION_COOKIE
from tests.web.client import WebClient
from tests.web.test_sign_in import AGENT, PASSWORD, attempt

ADMIN = Actor(ActorType.cli, "tests")


def _signed_in(client: WebClient) -> None:
    assert attempt(client, AGENT, PASSWORD).status_code == 303
    assert client.get("/console").status_code == 200


def _sent_to_login(client: WebClient) -> None:
    response = client.get("/console")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/login")


def test_disabling_ends_the_session_and_refuses_the_right_password(
    client: WebClient, runtime: Runtime
) -> None:
    _signed_in(client)
    cookie = client.cookies[STAFF_SESSION_COOKIE]
    with runtime.db.session() as session:
        staff = service.staff_by_email(session, AGENT)
        service.disable_staff(
            session, actor=ADMIN, operator_id=None, staff_id=staff.id, now=utc_now()
        )
    client.cookies.set(STAFF_SESSION_COOKIE, cookie)
    _sent_to_login(client)
    refused = attempt(client, AGENT, PASSWORD)
    assert refused.status_code == 400  # answered as a wrong password: nothing to probe


def test_a_reset_password_ends_the_old_session_and_the_new_one_works(
    client: WebClient, runtime: Runtime
) -> None:
    _signed_in(client)
    new_password = "a much longer new password"
    hashed = service.prepare_password(new_password, email=AGENT, hasher=runtime.passwords.hash)
    with runtime.db.session() as session:
        staff = service.staff_by_email(session, AGENT)
        service.reset_password(
            session,
            actor=ADMIN,
            operator_id=None,
            staff_id=staff.id,
            password=hashed,
            now=utc_now(),
        )
    _sent_to_login(client)
    assert attempt(client, AGENT, PASSWORD).status_code == 400
    assert attempt(client, AGENT, new_password).status_code == 303
