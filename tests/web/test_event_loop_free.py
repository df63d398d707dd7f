"""No portal or console POST blocks the server: a real `simexit serve` answers /healthz while
each of them waits for a database lock another process holds, on SQLite and on PostgreSQL.

The lock holder is this test process: on SQLite a `BEGIN IMMEDIATE` transaction with a write
in it (SQLite's one write lock), on PostgreSQL a transaction holding every table in ACCESS
EXCLUSIVE mode (so even the reads a POST starts with wait). Each test sets up what its POST
needs, takes the lock, sends the POST, and probes /healthz while the POST waits. What is
asserted is ordering: the probe was answered before the lock was let go, and the POST had not
been answered by then (it was really waiting), then it completes with its usual answer.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import Connection, Engine, select, text

from simexit.config import PLACEHOLDER_SECRET
from simexit.db import Base, Database, make_engine
from simexit.models import Case, Job, JobStatus, Line, Operator, StaffUser
from simexit.policies.loader import load_registry
from tests.api.test_serve_process import SIMEXIT, free_port, wait_ready
from tests.conftest import BACKENDS
from tests.web.client import CSRF_RE, latest_code

pytestmark = pytest.mark.slow

LOGINS_AT_ONCE = 8
# Generous bounds so a broken server fails the test instead of hanging it; nothing is timed.
PROBE_BOUND = 15.0
WAITING_BOUND = 20.0


# The secret `serve` runs with: the environment's, else the local placeholder.
SERVE_SECRET = os.environ.get("SIMEXIT_SECRET_KEY", PLACEHOLDER_SECRET)
NORWAY = ("ice-no", "telia-no", "telenor-no")


def _web_takes_a_code(policy_pack: str) -> bool:
    """Whether the pack's web channel lets a termination be confirmed by a code sent by SMS;
    Telenor's takes BankID only (`identity_required`), which these tests do not drive."""
    pack = load_registry().get(policy_pack)
    return not any(
        rule.identity_required
        for rule in pack.document.cancellation.channels.value
        if rule.channel.value == "web" and "terminate" in {t.value for t in rule.request_types}
    )


@dataclass
class Served:
    base: str
    backend: str
    db: Database
    # Lines to hand out, one per test, by what the test does with them: "review" ends up in an
    # agent's queue, "case" can be cancelled on the web with a code, "desk" is cancelled by an
    # agent for a caller (its web channel takes an eID only), "any" only signs in.
    pools: dict[str, list[tuple[Line, str]]] = field(default_factory=dict)

    def next_line(self, pool: str = "any") -> tuple[Line, str]:
        """A line nobody used yet, and the code of its operator."""
        return self.pools[pool].pop()


def line_pools(db: Database) -> dict[str, list[tuple[Line, str]]]:
    pools: dict[str, list[tuple[Line, str]]] = {"review": [], "case": [], "desk": [], "any": []}
    with db.read_session() as session:
        rows = session.execute(
            select(Line, Operator.code, Operator.policy_pack)
            .join(Operator, Operator.id == Line.operator_id)
            .where(Line.status == "active")
            .order_by(Line.msisdn)
        ).all()
    takes_a_code = {pack: _web_takes_a_code(pack) for pack in {row[2] for row in rows}}
    for line, code, pack in rows:
        norwegian = code in NORWAY and line.kind != "data_only"
        on_the_web = norwegian and takes_a_code[pack]
        if on_the_web and line.plan == "prepaid":
            pools["review"].append((line, code))
        elif on_the_web and line.kind == "physical_sim":
            pools["case"].append((line, code))
        elif norwegian and line.kind == "physical_sim":
            pools["desk"].append((line, code))
        else:
            pools["any"].append((line, code))
    return pools


def _empty_postgres(url: str) -> None:
    engine = make_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL simexit.allow_audit_truncate = 'on'"))
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp("serve")
    if request.param == "sqlite":
        url = f"sqlite:///{workdir / 'simexit.db'}"
    else:
        url = str(request.getfixturevalue("postgres_url"))
        _empty_postgres(url)  # `serve` seeds the demo into an empty database
    port = free_port()
    env = {**os.environ, "SIMEXIT_DATABASE_URL": url, "SIMEXIT_ENV": "local"}
    env.pop("SIMEXIT_TEST_DATABASE_URL", None)
    with (workdir / "out.txt").open("wb") as out:
        process = subprocess.Popen(
            [str(SIMEXIT), "serve", "--no-worker", "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    db = Database(url)
    try:
        wait_ready(base, process)
        yield Served(base, str(request.param), db, line_pools(db))
    finally:
        db.dispose()
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(30)


# -- the lock another process holds -------------------------------------------------------------


class Lock:
    """The database's write lock (SQLite) or every table (PostgreSQL), held by this process."""

    def __init__(self, served: Served) -> None:
        self.served = served
        self._sqlite: sqlite3.Connection | None = None
        self._engine: Engine | None = None if served.db.is_sqlite else make_engine(served.db.url)
        self._pg: Connection | None = None

    def take(self) -> None:
        if self.served.db.is_sqlite:
            path = self.served.db.url.removeprefix("sqlite:///")
            self._sqlite = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._sqlite.execute("BEGIN IMMEDIATE")
            self._sqlite.execute("UPDATE operators SET name = name")
            return
        assert self._engine is not None
        self._pg = self._engine.connect()
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        self._pg.execute(text(f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE"))

    def release(self) -> None:
        if self._sqlite is not None:
            self._sqlite.execute("ROLLBACK")
            self._sqlite.close()
            self._sqlite = None
        if self._pg is not None:
            self._pg.rollback()
            self._pg.close()
            self._pg = None
        if self._engine is not None:
            self._engine.dispose()

    def someone_waits(self) -> None:
        """Return once the server is waiting for the lock. On PostgreSQL that is seen in
        pg_stat_activity; SQLite shows no waiters, so the POST is given a moment to get there
        (if it has not, the test still holds: it then proves less, never something false)."""
        if self.served.db.is_sqlite:
            time.sleep(0.5)
            return
        assert self._engine is not None
        deadline = time.monotonic() + WAITING_BOUND
        with self._engine.connect() as conn:
            while time.monotonic() < deadline:
                waiting = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).scalar_one()
                conn.rollback()
                if waiting:
                    return
                time.sleep(0.05)
        raise AssertionError("the POST never waited for the lock")


@dataclass(frozen=True)
class Outcome:
    probe_answered_while_locked: bool
    post_answered_while_locked: bool
    status: int
    location: str


def post_under_lock(
    served: Served,
    client: httpx.Client,
    url: str,
    data: dict[str, str],
) -> Outcome:
    """POST `url` (with the CSRF token of `client`'s session) while another process holds the
    lock, and probe /healthz meanwhile."""
    lock = Lock(served)
    cookies = dict(client.cookies)

    async def scenario() -> Outcome:
        async with httpx.AsyncClient(base_url=served.base, cookies=cookies, timeout=60) as web:
            posting = asyncio.create_task(web.post(url, data=data))
            await asyncio.to_thread(lock.someone_waits)
            probe = asyncio.create_task(web.get("/healthz"))
            await asyncio.wait({probe}, timeout=PROBE_BOUND)
            probe_answered = probe.done() and (await probe).status_code == 200
            post_answered = posting.done()
            lock.release()
            response = await asyncio.wait_for(posting, timeout=60)
            await probe
            return Outcome(
                probe_answered,
                post_answered,
                response.status_code,
                response.headers.get("location", ""),
            )

    lock.take()
    try:
        return run_in_own_loop(scenario)
    finally:
        lock.release()


def run_in_own_loop(scenario: Callable[[], Coroutine[Any, Any, Outcome]]) -> Outcome:
    """A loop of its own in a thread of its own: another test in this process (Playwright's
    sync API) may have left the main thread's event loop marked as running."""
    outcome: list[Outcome] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(asyncio.run(scenario()))
        except BaseException as error:  # handed to the test below
            failure.append(error)

    runner = threading.Thread(target=run)
    runner.start()
    runner.join(180)
    if failure:
        raise failure[0]
    return outcome[0]


def assert_never_blocked(outcome: Outcome, status: int = 303) -> None:
    assert outcome.probe_answered_while_locked, (
        "the server did not answer /healthz while the POST waited"
    )
    assert not outcome.post_answered_while_locked, "the POST did not wait for the lock"
    assert outcome.status == status


# -- setting up what each POST needs, over HTTP ------------------------------------------------


def web_client(served: Served) -> httpx.Client:
    return httpx.Client(base_url=served.base, timeout=60, follow_redirects=False)


def token(client: httpx.Client, page: str) -> str:
    found = CSRF_RE.search(client.get(page).text)
    assert found, page
    return found.group(1)


def submit(client: httpx.Client, page: str, action: str, data: dict[str, str]) -> httpx.Response:
    return client.post(action, data={"csrf_token": token(client, page), **data})


def ask_for_code(served: Served, client: httpx.Client, msisdn: str) -> None:
    assert submit(client, "/login", "/login", {"identifier": msisdn}).status_code == 303


def sign_in(served: Served, client: httpx.Client, line: Line) -> None:
    ask_for_code(served, client, line.msisdn)
    code = latest_code(served.db, line.msisdn, SERVE_SECRET)
    assert submit(client, "/login/code", "/login/code", {"code": code}).status_code == 303


def request_cancel(served: Served, client: httpx.Client, line: Line) -> str:
    """The confirm page of a new request to cancel `line`."""
    response = submit(
        client,
        f"/my/lines/{line.id}",
        f"/my/lines/{line.id}/request",
        {"type": "terminate", "consent": "yes", "reason": "moving_abroad"},
    )
    assert response.status_code == 303, response.text
    return response.headers["location"]


def submitted_case(served: Served, client: httpx.Client, line: Line) -> Case:
    confirm = request_cancel(served, client, line)
    code = latest_code(served.db, line.msisdn, SERVE_SECRET)
    assert submit(client, confirm, confirm, {"code": code}).status_code == 303
    with served.db.read_session() as session:
        return session.scalars(select(Case).where(Case.line_id == line.id)).one()


def staff_sign_in(client: httpx.Client, email: str) -> None:
    response = submit(
        client, "/console/login", "/console/login", {"email": email, "password": "demo-password"}
    )
    assert response.status_code == 303, response.text


def form(client: httpx.Client, page: str, **data: str) -> dict[str, str]:
    return {"csrf_token": token(client, page), **data}


# -- every POST of the portal --------------------------------------------------------------------


class TestPortal:
    def test_login(self, served: Served) -> None:
        line, _ = served.next_line()
        with web_client(served) as client:
            data = form(client, "/login", identifier=line.msisdn)
            outcome = post_under_lock(served, client, "/login", data)
        assert_never_blocked(outcome)
        assert outcome.location == "/login/code"

    def test_login_code(self, served: Served) -> None:
        line, _ = served.next_line()
        with web_client(served) as client:
            ask_for_code(served, client, line.msisdn)
            data = form(
                client, "/login/code", code=latest_code(served.db, line.msisdn, SERVE_SECRET)
            )
            outcome = post_under_lock(served, client, "/login/code", data)
        assert_never_blocked(outcome)
        assert outcome.location == "/my"

    def test_request(self, served: Served) -> None:
        line, _ = served.next_line("case")
        with web_client(served) as client:
            sign_in(served, client, line)
            page = f"/my/lines/{line.id}"
            data = form(client, page, type="terminate", consent="yes", reason="moving_abroad")
            outcome = post_under_lock(served, client, f"{page}/request", data)
        assert_never_blocked(outcome)
        assert outcome.location.endswith("/confirm")

    def test_confirm(self, served: Served) -> None:
        line, _ = served.next_line("case")
        with web_client(served) as client:
            sign_in(served, client, line)
            confirm = request_cancel(served, client, line)
            data = form(client, confirm, code=latest_code(served.db, line.msisdn, SERVE_SECRET))
            outcome = post_under_lock(served, client, confirm, data)
        assert_never_blocked(outcome)
        assert outcome.location == confirm.removesuffix("/confirm")

    def test_resend(self, served: Served) -> None:
        line, _ = served.next_line("case")
        with web_client(served) as client:
            sign_in(served, client, line)
            confirm = request_cancel(served, client, line)
            resend = confirm.removesuffix("/confirm") + "/resend"
            outcome = post_under_lock(served, client, resend, form(client, confirm))
        assert_never_blocked(outcome)
        assert outcome.location == confirm

    def test_withdraw(self, served: Served) -> None:
        line, _ = served.next_line("case")
        with web_client(served) as client:
            sign_in(served, client, line)
            case = submitted_case(served, client, line)
            page = f"/my/cases/{case.id}"
            outcome = post_under_lock(served, client, f"{page}/withdraw", form(client, page))
        assert_never_blocked(outcome)
        assert outcome.location == page

    def test_resubmit(self, served: Served) -> None:
        line, operator = served.next_line("review")
        with web_client(served) as client, web_client(served) as agent:
            sign_in(served, client, line)
            case = submitted_case(served, client, line)
            staff_sign_in(agent, f"agent@{operator}.demo")
            staff_page = f"/console/cases/{case.id}"
            rejected = submit(agent, staff_page, f"{staff_page}/reject", {"reason": "other"})
            assert rejected.status_code == 303, rejected.text
            page = f"/my/cases/{case.id}"
            outcome = post_under_lock(served, client, f"{page}/resubmit", form(client, page))
        assert_never_blocked(outcome)
        assert outcome.location.startswith("/my/cases/")
        assert outcome.location != page

    def test_logout(self, served: Served) -> None:
        """Signing out revokes the session row, so it waits for the lock like any write."""
        line, _ = served.next_line()
        with web_client(served) as client:
            sign_in(served, client, line)
            data = form(client, "/my")
            outcome = post_under_lock(served, client, "/logout", data)
        assert_never_blocked(outcome)
        assert outcome.location == "/guides"


# -- every POST of the console -------------------------------------------------------------------


class TestConsole:
    def test_login(self, served: Served) -> None:
        with web_client(served) as client:
            data = form(
                client, "/console/login", email="agent@ice-no.demo", password="demo-password"
            )
            outcome = post_under_lock(served, client, "/console/login", data)
        assert_never_blocked(outcome)
        assert outcome.location == "/console"

    def test_case_action(self, served: Served) -> None:
        line, operator = served.next_line("review")
        with web_client(served) as client, web_client(served) as agent:
            sign_in(served, client, line)
            case = submitted_case(served, client, line)
            staff_sign_in(agent, f"agent@{operator}.demo")
            page = f"/console/cases/{case.id}"
            outcome = post_under_lock(
                served, agent, f"{page}/approve", form(agent, page, note="ok")
            )
        assert_never_blocked(outcome)
        # A decision moves on to the next case in the queue (or the queue), saying what it was.
        assert outcome.location.endswith(f"?decided={case.id}")

    def test_assign(self, served: Served) -> None:
        line, operator = served.next_line("desk")
        with web_client(served) as agent:
            staff_sign_in(agent, f"agent@{operator}.demo")
            opened = submit(
                agent,
                "/console/open",
                "/console/open",
                {
                    "line_id": str(line.id),
                    "channel": "phone",
                    "method": "id_document",
                    "consent_read": "yes",
                },
            )
            assert opened.status_code == 303, opened.text
            page = opened.headers["location"]
            outcome = post_under_lock(
                served, agent, f"{page}/assign", form(agent, page, assignee="me")
            )
        assert_never_blocked(outcome)
        assert outcome.location == page

    def test_bulk_decision(self, served: Served) -> None:
        line, operator = served.next_line("review")
        with web_client(served) as client, web_client(served) as agent:
            sign_in(served, client, line)
            case = submitted_case(served, client, line)
            staff_sign_in(agent, f"agent@{operator}.demo")
            data = form(agent, "/console", action="approve", case_id=str(case.id))
            outcome = post_under_lock(served, agent, "/console/bulk", data)
        assert_never_blocked(outcome, status=200)  # the page of outcomes, one per case

    def test_open_for_a_caller(self, served: Served) -> None:
        line, operator = served.next_line("desk")
        with web_client(served) as agent:
            staff_sign_in(agent, f"agent@{operator}.demo")
            data = form(
                agent,
                "/console/open",
                line_id=str(line.id),
                channel="phone",
                method="id_document",
                consent_read="yes",
            )
            outcome = post_under_lock(served, agent, "/console/open", data)
        assert_never_blocked(outcome)
        assert outcome.location.startswith("/console/cases/")

    def test_sim_return(self, served: Served) -> None:
        line, operator = served.next_line("desk")
        with served.db.session() as session:
            row = session.get(Line, line.id)
            assert row is not None
            row.sim_return_required, row.sim_returned_at = True, None
        with web_client(served) as agent:
            staff_sign_in(agent, f"agent@{operator}.demo")
            data = form(agent, "/console/sim-returns", note="came by post")
            outcome = post_under_lock(served, agent, f"/console/sim-returns/{line.id}", data)
        assert_never_blocked(outcome)
        assert outcome.location.startswith("/console/sim-returns?done=")

    def test_job_retry(self, served: Served) -> None:
        line, _ = served.next_line()
        with web_client(served) as client:
            ask_for_code(served, client, line.msisdn)  # queues the code's delivery job
        with served.db.session() as session:
            job = session.scalars(select(Job).where(Job.status == "queued").limit(1)).one()
            job.status = JobStatus.dead
            # Staff see only their own operator's jobs: make this one the supervisor's.
            job.operator_id = session.scalars(
                select(StaffUser.operator_id).where(StaffUser.email == "supervisor@ice-no.demo")
            ).one()
            job_id = job.id
        with web_client(served) as supervisor:
            staff_sign_in(supervisor, "supervisor@ice-no.demo")
            data = form(supervisor, "/console/jobs")
            outcome = post_under_lock(served, supervisor, f"/console/jobs/{job_id}/retry", data)
        assert_never_blocked(outcome)
        assert outcome.location == "/console/jobs"

    def test_logout(self, served: Served) -> None:
        with web_client(served) as agent:
            staff_sign_in(agent, "agent@ice-no.demo")
            data = form(agent, "/console/login")
            outcome = post_under_lock(served, agent, "/console/logout", data)
        assert_never_blocked(outcome)
        assert outcome.location == "/console/login"


def test_password_checks_do_not_hold_up_the_server(served: Served) -> None:
    """Eight wrong-password sign-ins at once are eight argon2 checks: /healthz, asked for after
    all of them were sent, is answered before the last of them."""
    with web_client(served) as client:
        data = form(client, "/console/login", password="not-the-password")
        cookies = dict(client.cookies)

    async def scenario() -> tuple[int, int, list[int]]:
        async with httpx.AsyncClient(base_url=served.base, cookies=cookies, timeout=60) as web:
            logins = [
                asyncio.create_task(
                    web.post("/console/login", data={**data, "email": f"nobody{n}@ice-no.demo"})
                )
                for n in range(LOGINS_AT_ONCE)
            ]
            # Let the logins reach the server first (ordering is what is asserted, not time).
            await asyncio.sleep(0.2)
            probe = await web.get("/healthz")
            finished_before_probe = sum(login.done() for login in logins)
            statuses = [(await login).status_code for login in logins]
            return probe.status_code, finished_before_probe, statuses

    outcome: list[tuple[int, int, list[int]]] = []
    runner = threading.Thread(target=lambda: outcome.append(asyncio.run(scenario())))
    runner.start()
    runner.join(180)
    probe_status, finished_before_probe, statuses = outcome[0]
    assert probe_status == 200
    assert finished_before_probe < LOGINS_AT_ONCE
    assert statuses == [400] * LOGINS_AT_ONCE
