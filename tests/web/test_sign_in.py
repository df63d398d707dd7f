"""Staff sign-in protection, sessions that end at logout, and `next` after signing in.

HTTP tier on SQLite and PostgreSQL. No timing is measured (machines are noisy): that every path
does the same work is checked by counting the password verifier's calls."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Literal
from urllib.parse import quote

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

from simexit.clock import utc_now
from simexit.config import Settings
from simexit.models import AuditEvent, SignInFailure, StaffUser
from simexit.runtime import Runtime
from simexit.signin import throttle
from simexit.web.app import create_web_app
from simexit.web.rendering import WebState
from simexit.web.routes.console.login import subject_key
from simexit.web.security import SESSION_COOKIE, STAFF_SESSION_COOKIE, safe_next
from tests.web.client import WebClient, latest_code
from tests.web.conftest import web_line

AGENT = "agent@ice-no.demo"
PASSWORD = "demo-password"


class CountingHasher(PasswordHasher):
    """The runtime's hasher, recording which hash every verify was asked to check."""

    def __init__(self) -> None:
        super().__init__()
        self.verified: list[str] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verified.append(hash if isinstance(hash, str) else hash.decode())
        return super().verify(hash, password)


@pytest.fixture
def hasher(runtime: Runtime) -> CountingHasher:
    counting = CountingHasher()
    runtime.__dict__["passwords"] = counting
    return counting


@pytest.fixture
def behind_proxy(runtime: Runtime) -> Iterator[WebClient]:
    """A client through a trusted proxy, so each test can pick the client address."""
    settings = Settings(
        database_url=runtime.settings.database_url,
        secret_key="test-secret-key-for-the-web-tests-000",  # type: ignore[arg-type]
        trusted_proxies=["127.0.0.1"],
    )
    behind = Runtime(settings)
    behind.__dict__["db"] = runtime.db
    web = WebClient(create_web_app(behind))
    yield web
    web.close()


def attempt(
    client: WebClient, email: str, password: str, *, client_ip: str | None = None, **extra: str
) -> httpx.Response:
    headers = {"x-forwarded-for": client_ip} if client_ip else {}
    data = {"csrf_token": client.csrf("/console/login"), "email": email, "password": password}
    return client.post("/console/login", data={**data, **extra}, headers=headers)


def staff_hash(runtime: Runtime, email: str = AGENT) -> str:
    with runtime.db.read_session() as session:
        return session.scalars(
            select(StaffUser.password_hash).where(StaffUser.email == email)
        ).one()


def wait_over(runtime: Runtime) -> None:
    """As if every delay had run out (the clock is not moved: the rows are)."""
    with runtime.db.session() as session:
        session.execute(update(SignInFailure).values(next_attempt_at=utc_now()))


class TestThrottlePerAccount:
    def test_after_five_failures_even_the_right_password_waits(
        self, client: WebClient, hasher: CountingHasher, runtime: Runtime
    ) -> None:
        for _ in range(5):
            assert attempt(client, AGENT, "wrong").status_code == 400
        response = attempt(client, AGENT, PASSWORD)
        assert response.status_code == 429
        assert 1 <= int(response.headers["Retry-After"]) <= 2  # whole seconds left of 2
        assert "Too many failed sign-ins" in response.text
        real = staff_hash(runtime)
        assert hasher.verified.count(real) == 5  # the throttled attempt never checked it

    def test_the_delay_doubles_and_the_wait_ends(self, client: WebClient, runtime: Runtime) -> None:
        for _ in range(5):
            attempt(client, AGENT, "wrong")
        wait_over(runtime)
        assert attempt(client, AGENT, "wrong").status_code == 400
        assert 1 <= int(attempt(client, AGENT, "wrong").headers["Retry-After"]) <= 4
        wait_over(runtime)
        assert attempt(client, AGENT, PASSWORD).status_code == 303

    def test_an_unknown_address_is_throttled_like_a_known_one(self, client: WebClient) -> None:
        for _ in range(5):
            assert attempt(client, "nobody@ice-no.demo", "wrong").status_code == 400
        assert attempt(client, "nobody@ice-no.demo", "wrong").status_code == 429

    def test_a_right_password_starts_the_count_again(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        for _ in range(4):
            attempt(client, AGENT, "wrong")
        assert attempt(client, AGENT, PASSWORD).status_code == 303
        for _ in range(4):
            assert attempt(client, AGENT, "wrong").status_code == 400

    def test_the_account_row_is_never_locked(self, client: WebClient, runtime: Runtime) -> None:
        for _ in range(12):
            attempt(client, AGENT, "wrong")
            wait_over(runtime)
        assert not hasattr(StaffUser, "locked_until")  # the row has nothing to lock with
        assert attempt(client, AGENT, PASSWORD).status_code == 303


class TestThrottlePerAddress:
    def test_twenty_failures_over_many_accounts_then_the_address_waits(
        self, behind_proxy: WebClient
    ) -> None:
        for n in range(20):
            response = attempt(
                behind_proxy, f"guess{n}@ice-no.demo", "wrong", client_ip="198.51.100.7"
            )
            assert response.status_code == 400
        refused = attempt(behind_proxy, AGENT, PASSWORD, client_ip="198.51.100.7")
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 2
        # Another address is not held up by this one.
        assert attempt(behind_proxy, AGENT, PASSWORD, client_ip="198.51.100.8").status_code == 303

    def test_the_real_user_elsewhere_waits_no_longer_than_the_delay(
        self, behind_proxy: WebClient, runtime: Runtime
    ) -> None:
        """The trade-off: the account's delay holds for every address (or a guesser with many
        addresses would get five free tries on each), so the real user waits too, but only the
        growing delay (at most 15 minutes), never a lock."""
        for _ in range(5):
            attempt(behind_proxy, AGENT, "wrong", client_ip="203.0.113.66")
        waiting = attempt(behind_proxy, AGENT, PASSWORD, client_ip="198.51.100.20")
        assert waiting.status_code == 429
        assert 1 <= int(waiting.headers["Retry-After"]) <= 15 * 60
        wait_over(runtime)
        assert attempt(behind_proxy, AGENT, PASSWORD, client_ip="198.51.100.20").status_code == 303


class TestSameWorkOnEveryPath:
    """One argon2 verify per attempt, whatever the outcome: the answer takes as long for an
    unknown address, a throttled attempt and a wrong password."""

    def test_an_unknown_address_is_verified_against_the_dummy_hash(
        self, client: WebClient, hasher: CountingHasher, runtime: Runtime
    ) -> None:
        assert attempt(client, "nobody@ice-no.demo", PASSWORD).status_code == 400
        assert len(hasher.verified) == 1
        assert hasher.verified[0] != staff_hash(runtime)

    def test_a_wrong_password_is_one_verify_of_the_real_hash(
        self, client: WebClient, hasher: CountingHasher, runtime: Runtime
    ) -> None:
        assert attempt(client, AGENT, "wrong").status_code == 400
        assert hasher.verified == [staff_hash(runtime)]

    def test_a_throttled_attempt_is_one_verify_of_the_dummy_hash(
        self, client: WebClient, hasher: CountingHasher, runtime: Runtime
    ) -> None:
        for _ in range(5):
            attempt(client, AGENT, "wrong")
        hasher.verified.clear()
        assert attempt(client, AGENT, PASSWORD).status_code == 429
        assert len(hasher.verified) == 1
        assert hasher.verified[0] != staff_hash(runtime)
        assert attempt(client, "nobody@ice-no.demo", PASSWORD).status_code == 400
        assert hasher.verified[1] == hasher.verified[0]  # the same dummy hash


class TestLogout:
    def test_the_old_staff_cookie_no_longer_works(self, client: WebClient) -> None:
        assert attempt(client, AGENT, PASSWORD).status_code == 303
        cookie = client.cookies[STAFF_SESSION_COOKIE]
        assert client.get("/console").status_code == 200
        token = client.csrf("/console")
        assert client.post("/console/logout", data={"csrf_token": token}).status_code == 303
        client.cookies.set(STAFF_SESSION_COOKIE, cookie)
        replayed = client.get("/console")
        assert replayed.status_code == 303
        assert replayed.headers["location"].startswith("/console/login")

    def test_the_old_subscriber_cookie_no_longer_works(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        msisdn = web_line(runtime).msisdn
        client.submit("/login", "/login", {"identifier": msisdn})
        client.submit("/login/code", "/login/code", {"code": latest_code(runtime.db, msisdn)})
        cookie = client.cookies[SESSION_COOKIE]
        assert client.get("/my").status_code == 200
        assert client.submit("/my", "/logout", {}).status_code == 303
        client.cookies.set(SESSION_COOKIE, cookie)
        replayed = client.get("/my")
        assert replayed.status_code == 303
        assert replayed.headers["location"].startswith("/login")

    def test_a_forged_token_in_a_well_signed_cookie_signs_nobody_in(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        assert attempt(client, AGENT, PASSWORD).status_code == 303
        forged = client.cookies[STAFF_SESSION_COOKIE] + "x"
        client.cookies.clear()
        client.cookies.set(STAFF_SESSION_COOKIE, forged)
        assert client.get("/console").status_code == 303


class TestSeparateSessions:
    """The portal and the console keep their own cookies: one browser can hold both."""

    def test_a_subscriber_signing_in_and_out_leaves_the_agent_signed_in(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        assert attempt(client, AGENT, PASSWORD).status_code == 303
        staff_cookie = [c for c in client.cookies.jar if c.name == STAFF_SESSION_COOKIE]
        assert [c.path for c in staff_cookie] == ["/console"]
        msisdn = web_line(runtime).msisdn
        client.submit("/login", "/login", {"identifier": msisdn})
        client.submit("/login/code", "/login/code", {"code": latest_code(runtime.db, msisdn)})
        assert client.get("/my").status_code == 200
        assert client.get("/console").status_code == 200
        assert client.submit("/my", "/logout", {}).status_code == 303
        assert client.get("/my").status_code == 303
        assert client.get("/console").status_code == 200

    def test_the_agent_signing_out_leaves_the_subscriber_signed_in(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        msisdn = web_line(runtime).msisdn
        client.submit("/login", "/login", {"identifier": msisdn})
        client.submit("/login/code", "/login/code", {"code": latest_code(runtime.db, msisdn)})
        assert attempt(client, AGENT, PASSWORD).status_code == 303
        token = client.csrf("/console")
        assert client.post("/console/logout", data={"csrf_token": token}).status_code == 303
        assert client.get("/console").status_code == 303
        assert client.get("/my").status_code == 200

    def test_a_staff_cookie_does_not_sign_anyone_in_to_the_portal(self, client: WebClient) -> None:
        assert attempt(client, AGENT, PASSWORD).status_code == 303
        staff = client.cookies[STAFF_SESSION_COOKIE]
        client.cookies.clear()
        client.cookies.set(SESSION_COOKIE, staff)
        assert client.get("/my").status_code == 303
        assert client.get("/console").status_code == 303


EVIL = ["//evil.example", "https://evil.example/x", "/\\evil.example", "javascript:alert(1)"]


class TestNext:
    def test_the_console_sends_a_signed_out_agent_to_login_and_back(
        self, client: WebClient
    ) -> None:
        away = client.get("/console/sim-returns?x=1")
        assert away.status_code == 303
        assert away.headers["location"] == "/console/login?next=" + quote(
            "/console/sim-returns?x=1", safe=""
        )
        page = client.get(away.headers["location"])
        assert 'name="next" value="/console/sim-returns?x=1"' in page.text
        back = attempt(client, AGENT, PASSWORD, next="/console/sim-returns?x=1")
        assert back.status_code == 303
        assert back.headers["location"] == "/console/sim-returns?x=1"

    @pytest.mark.parametrize("target", EVIL)
    def test_the_console_ignores_another_sites_next(self, client: WebClient, target: str) -> None:
        assert 'name="next"' not in client.get(f"/console/login?next={quote(target)}").text
        response = attempt(client, AGENT, PASSWORD, next=target)
        assert response.headers["location"] == "/console"

    def test_the_portal_brings_the_subscriber_back(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        line = web_line(runtime)
        away = client.get(f"/my/lines/{line.id}")
        assert away.status_code == 303
        assert away.headers["location"] == "/login?next=" + quote(f"/my/lines/{line.id}", safe="")
        assert f'value="/my/lines/{line.id}"' in client.get(away.headers["location"]).text
        client.submit(
            "/login", "/login", {"identifier": line.msisdn, "next": f"/my/lines/{line.id}"}
        )
        code = latest_code(runtime.db, line.msisdn)
        back = client.submit("/login/code", "/login/code", {"code": code})
        assert back.status_code == 303
        assert back.headers["location"] == f"/my/lines/{line.id}"

    @pytest.mark.parametrize("target", EVIL)
    def test_the_portal_ignores_another_sites_next(
        self, client: WebClient, runtime: Runtime, target: str
    ) -> None:
        msisdn = web_line(runtime).msisdn
        client.submit("/login", "/login", {"identifier": msisdn, "next": target})
        back = client.submit(
            "/login/code", "/login/code", {"code": latest_code(runtime.db, msisdn)}
        )
        assert back.headers["location"] == "/my"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/console/cases?x=1", "/console/cases?x=1"),
        ("/my/lines/1#top", "/my/lines/1#top"),
        ("/", "/"),
        ("//evil.example", None),
        ("///evil.example", None),
        ("https://evil.example", None),
        ("/\\evil.example", None),
        ("/console\\..\\x", None),
        ("javascript:alert(1)", None),
        ("console/cases", None),
        ("/\tevil", None),
        ("/\n/evil.example", None),
        ("/ x", None),
        ("", None),
        (None, None),
        ("/" + "a" * 2000, None),
    ],
)
def test_safe_next(raw: str | None, expected: str | None) -> None:
    assert safe_next(raw) == expected


def test_concurrent_wrong_passwords_over_two_servers_all_count(runtime: Runtime) -> None:
    """Four wrong passwords at once, two through each of two servers (each its own app and
    database pool over the same database), count four."""
    from simexit.db import Database

    if runtime.db.engine.dialect.name == "sqlite":
        pytest.skip(
            "SQLite has one writer at a time, so two servers' attempts queue and cannot race; "
            "the lost update was PostgreSQL's (the one-server concurrency test covers SQLite)"
        )

    apps, databases = [], []
    for _ in range(2):
        database = Database(runtime.db.url)
        server = Runtime(runtime.settings)
        server.__dict__["db"] = database
        databases.append(database)
        apps.append(create_web_app(server))
    for app in apps:
        # One request first: FastAPI builds each route's validators on first use, and two
        # threads building the same one at once can fail (pydantic's lazy TypeAdapter build is
        # not thread-safe). What this test races is the counting of wrong passwords.
        warm = WebClient(app)
        try:
            warm.csrf("/console/login")
        finally:
            warm.close()
    start = threading.Barrier(4)
    statuses: list[int] = []
    lock = threading.Lock()

    def wrong_password(n: int) -> None:
        web = WebClient(apps[n % 2])  # its own event loop and cookies
        try:
            token = web.csrf("/console/login")
            start.wait()
            data = {"csrf_token": token, "email": AGENT, "password": "wrong"}
            status = web.post("/console/login", data=data).status_code
            with lock:
                statuses.append(status)
        finally:
            web.close()

    threads = [threading.Thread(target=wrong_password, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for database in databases:
        database.dispose()
    assert statuses == [400] * 4
    key = subject_key(WebState(runtime).login_key, "account", AGENT)
    with runtime.db.read_session() as session:
        assert throttle.failures(session, key) == 4


def _trail(runtime: Runtime, email: str = AGENT) -> list[AuditEvent]:
    with runtime.db.read_session() as session:
        staff = session.scalars(select(StaffUser).where(StaffUser.email == email)).one()
        return list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.subject_type == "staff_user")
                .where(AuditEvent.subject_id == str(staff.id))
                .where(AuditEvent.operator_id == staff.operator_id)
                .order_by(AuditEvent.at, AuditEvent.id)
            )
        )


class TestAuditTrail:
    """Every sign-in, failed sign-in of a known account, and sign-out is an audit row in the
    account's operator's trail."""

    def test_a_sign_in_and_its_sign_out_are_audited(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        assert attempt(client, AGENT, PASSWORD).status_code == 303
        client.submit("/console", "/console/logout", {})
        trail = _trail(runtime)
        assert [e.action for e in trail] == ["signin.succeeded", "session.revoked"]
        assert all(e.actor_id == AGENT for e in trail)

    def test_a_failed_sign_in_of_a_known_account_is_audited(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        assert attempt(client, AGENT, "wrong").status_code == 400
        [failed] = _trail(runtime)
        assert failed.action == "signin.failed"
        assert failed.changes == {"reason": "wrong_password"}
        assert failed.actor_id != AGENT  # the attempt did not prove who it was

    def test_throttled_attempts_are_audited_as_failures(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        for _ in range(5):
            attempt(client, AGENT, "wrong")
        assert attempt(client, AGENT, PASSWORD).status_code == 429
        reasons = [e.changes["reason"] for e in _trail(runtime)]
        assert reasons == ["wrong_password"] * 5 + ["throttled"]

    def test_an_unknown_address_leaves_no_audit_row(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        with runtime.db.read_session() as session:
            before = len(session.scalars(select(AuditEvent.id)).all())
        assert attempt(client, "nobody@ice-no.demo", "wrong").status_code == 400
        with runtime.db.read_session() as session:
            assert len(session.scalars(select(AuditEvent.id)).all()) == before
