"""The console for a queue of 300: the case page's decision on top and the rule named, then the
queue's search, filters, cursor pages, claim and assign, next case and one decision for many."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from simexit.audit.service import events_for
from simexit.cases import repository
from simexit.cases.repository import QueueQuery
from simexit.models import Case, Operator, StaffUser
from simexit.policies.model import Channel
from simexit.runtime import Runtime
from simexit.web.routes.console.permissions import staff_actor
from tests.web.client import WebClient
from tests.web.conftest import staff_sign_in
from tests.web.queue_seed import seed_queue, statuses

CASE_LINK = re.compile(r'href="/console/cases/([0-9a-f-]{36})" data-open>([A-Z0-9-]+)<')
NEXT_PAGE = re.compile(r'<a href="([^"]+)" rel="next">')
AGENT = "agent@ice-no.demo"


def _references(page: str) -> list[str]:
    return [reference for _id, reference in CASE_LINK.findall(page)]


def _next_page(page: str) -> str | None:
    found = NEXT_PAGE.search(page)
    return found.group(1).replace("&amp;", "&") if found else None


def _case(runtime: Runtime, case_id: uuid.UUID) -> Case:
    with runtime.db.read_session() as session:
        case = session.get(Case, case_id)
    assert case is not None
    return case


def _staff_id(runtime: Runtime, email: str) -> uuid.UUID:
    with runtime.db.read_session() as session:
        return session.scalars(select(StaffUser.id).where(StaffUser.email == email)).one()


def _actions(runtime: Runtime, case_id: uuid.UUID) -> list[str]:
    with runtime.db.read_session() as session:
        return [e.action for e in events_for(session, subject_type="case", subject_id=case_id)]


def _in_review(runtime: Runtime, ids: list[uuid.UUID]) -> list[uuid.UUID]:
    found = statuses(runtime, ids)
    return [i for i in ids if found[i] == "in_review"]


class TestCasePage:
    def test_the_decision_comes_before_the_facts_and_rejecting_needs_a_chosen_reason(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        (case_id,) = _in_review(runtime, seed_queue(runtime, 1))
        staff_sign_in(client, AGENT)
        page = client.get(f"/console/cases/{case_id}?lang=en").text
        assert page.index('id="decide"') < page.index("Subscriber and line")
        assert page.index('id="decide"') < page.index("Identity evidence")
        select_html = page[page.index('<select id="reason"') :]
        select_html = select_html[: select_html.index("</select>")]
        options = re.findall(r'<option value="([^"]*)"', select_html)
        assert options[0] == ""
        assert "selected" not in select_html
        refused = client.submit(
            f"/console/cases/{case_id}", f"/console/cases/{case_id}/reject", {"reason": ""}
        )
        assert refused.status_code == 400
        assert _case(runtime, case_id).status == "in_review"

    def test_why_in_review_names_the_rule_its_evidence_and_source(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        # Every MTS case waits for a person because of a rule not confirmed yet.
        (case_id,) = _in_review(
            runtime,
            seed_queue(
                runtime, 1, operator_code="mts-ru", number_prefix="+7916", channel=Channel.agent
            ),
        )
        case = _case(runtime, case_id)
        unconfirmed = [f for f in case.review_reasons if f.code == "unverified_policy_value"]
        assert unconfirmed, case.review_reasons
        paths = [e.path for e in unconfirmed[0].evidence]
        with runtime.db.read_session() as session:
            pack_id = session.scalars(
                select(Operator.policy_pack).where(Operator.id == case.operator_id)
            ).one()
        pack = runtime.packs.get(pack_id)
        staff_sign_in(client, "agent@mts-ru.demo")
        page = client.get(f"/console/cases/{case_id}?lang=en").text
        for evidence in unconfirmed[0].evidence:
            assert f"<code>{evidence.path}</code>" in page
            for source in evidence.sources:
                assert pack.sources[source].title in page
        assert "Not verified" in page
        queue = client.get("/console?lang=en").text
        assert f"Rule not confirmed: {', '.join(paths)}" in queue

    def test_after_a_decision_the_next_case_opens_and_says_what_was_decided(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        first, second = _in_review(runtime, seed_queue(runtime, 3))[:2]
        staff_sign_in(client, AGENT)
        response = client.submit(
            f"/console/cases/{first}", f"/console/cases/{first}/approve", {"note": "ok"}
        )
        assert response.status_code == 303
        location = response.headers["location"]
        next_id = uuid.UUID(location.split("/console/cases/")[1].split("?")[0])
        assert next_id != first
        assert _case(runtime, next_id).status == "in_review"
        page = client.get(location + "&lang=en").text
        assert f"{_case(runtime, first).reference}: " in page
        assert "This is the next case in the queue." in page
        assert _case(runtime, second).status == "in_review"


class TestQueueOf300:
    @pytest.fixture
    def queue_ids(self, runtime: Runtime) -> list[uuid.UUID]:
        return seed_queue(runtime, 300)

    def test_pages_past_100_show_every_case_once(
        self, client: WebClient, runtime: Runtime, queue_ids: list[uuid.UUID]
    ) -> None:
        staff_sign_in(client, AGENT)
        url: str | None = "/console?lang=en"
        seen: list[str] = []
        pages = 0
        while url is not None:
            page = client.get(url)
            assert page.status_code == 200
            assert len(_references(page.text)) <= 50
            seen.extend(_references(page.text))
            url, pages = _next_page(page.text), pages + 1
            if pages == 2:
                assert "First page" in page.text
        mine = {_case(runtime, i).reference for i in queue_ids}
        assert pages >= 6
        assert len(seen) == len(set(seen))
        assert mine <= set(seen)

    def test_search_by_number_reference_and_name(
        self, client: WebClient, runtime: Runtime, queue_ids: list[uuid.UUID]
    ) -> None:
        staff_sign_in(client, AGENT)
        target = _case(runtime, queue_ids[123])
        by_number = _references(client.get("/console?q=90 000 123").text)
        assert by_number == [target.reference]
        by_reference = _references(client.get(f"/console?q={target.reference.lower()}").text)
        assert by_reference == [target.reference]
        # Subscriber 123 is "Per Olsen 123" (names cycle through five).
        assert _references(client.get("/console?q=per olsen 123").text) == [target.reference]
        assert _references(client.get("/console?q=kari nordmann 123").text) == []
        assert _references(client.get("/console?q=%25").text) == []

    def test_filters_by_channel_reason_overdue_and_assignee(
        self, client: WebClient, runtime: Runtime, queue_ids: list[uuid.UUID]
    ) -> None:
        staff_sign_in(client, AGENT)
        chat = {_case(runtime, i).reference for i in queue_ids[4::5]}
        found: list[str] = []
        url: str | None = "/console?channel=chat"
        while url is not None:
            page = client.get(url).text
            found.extend(_references(page))
            url = _next_page(page)
        assert set(found) == chat
        price = _references(client.get("/console?reason=too_expensive&status=in_review").text)
        assert price
        assert all(_case_by_reference(runtime, r).reason_code == "too_expensive" for r in price)

        late = _in_review(runtime, queue_ids)[:3]
        with runtime.db.session() as session:
            session.execute(
                update(Case)
                .where(Case.id.in_(late))
                .values(sla_due_date=datetime.now(UTC).date() - timedelta(days=3))
            )
        overdue = client.get("/console?overdue=1&lang=en").text
        assert set(_references(overdue)) == {_case(runtime, i).reference for i in late}
        assert "overdue" in overdue

        assert _references(client.get("/console?assignee=me").text) == []
        claimed = queue_ids[7]
        response = client.submit(
            "/console", f"/console/cases/{claimed}/assign", {"assignee": "me", "back": "queue"}
        )
        assert response.status_code == 303
        assert _references(client.get("/console?assignee=me").text) == [
            _case(runtime, claimed).reference
        ]
        unassigned = _references(client.get("/console?assignee=none&q=090000007").text)
        assert unassigned == []

    def test_bulk_approve_of_20_with_a_refusal_reported_per_case(
        self, client: WebClient, runtime: Runtime, queue_ids: list[uuid.UUID]
    ) -> None:
        chosen = _in_review(runtime, queue_ids)[:20]
        blocked = next(i for i, s in statuses(runtime, queue_ids).items() if s == "blocked")
        staff_sign_in(client, AGENT)
        data = {
            "csrf_token": client.csrf("/console"),
            "action": "approve",
            "note": "checked the rule by phone",
            "case_id": [str(i) for i in [*chosen, blocked]],
        }
        response = client.post("/console/bulk?lang=en", data=data)
        assert response.status_code == 200, response.text
        assert "20 decided, 1 not decided." in response.text
        assert f"{_case(runtime, blocked).reference}</a></td><td><strong>Not decided:" in (
            response.text
        )
        after = statuses(runtime, chosen)
        assert set(after.values()) <= {"approved", "executing"}
        assert statuses(runtime, [blocked])[blocked] == "blocked"
        for case_id in chosen:
            assert _actions(runtime, case_id).count("case.approve") == 1
            assert _case(runtime, case_id).decision_note == "checked the rule by phone"

    def test_bulk_reject_needs_a_reason_and_applies_it_to_each(
        self, client: WebClient, runtime: Runtime, queue_ids: list[uuid.UUID]
    ) -> None:
        chosen = _in_review(runtime, queue_ids)[:3]
        staff_sign_in(client, AGENT)
        ids = [str(i) for i in chosen]
        refused = client.post(
            "/console/bulk",
            data={"csrf_token": client.csrf("/console"), "action": "reject", "case_id": ids},
        )
        assert refused.status_code == 400
        assert set(statuses(runtime, chosen).values()) == {"in_review"}
        done = client.post(
            "/console/bulk",
            data={
                "csrf_token": client.csrf("/console"),
                "action": "reject",
                "reason": "duplicate_request",
                "case_id": ids,
            },
        )
        assert done.status_code == 200
        for case_id in chosen:
            case = _case(runtime, case_id)
            assert case.status == "rejected"
            assert case.rejection_reason == "duplicate_request"
        assert (
            client.post("/console/bulk", data={"case_id": ids}).status_code == 403
        )  # no CSRF token

    def test_next_case_is_the_earliest_due_one_that_is_mine_or_nobodys(
        self, client: WebClient, runtime: Runtime, queue_ids: list[uuid.UUID]
    ) -> None:
        review = _in_review(runtime, queue_ids)
        first, mine = review[0], review[5]
        supervisor = _staff_id(runtime, "supervisor@ice-no.demo")
        with runtime.db.session() as session:
            today = datetime.now(UTC).date()
            session.execute(
                update(Case).where(Case.id == first).values(sla_due_date=today - timedelta(days=9))
            )
            session.execute(
                update(Case).where(Case.id == mine).values(sla_due_date=today - timedelta(days=8))
            )
        staff_sign_in(client, "supervisor@ice-no.demo")
        client.submit(
            f"/console/cases/{first}",
            f"/console/cases/{first}/assign",
            {"assignee": str(supervisor)},
        )
        client.cookies.clear()
        staff_sign_in(client, AGENT)
        response = client.get("/console/next")
        assert response.status_code == 303
        assert response.headers["location"] == f"/console/cases/{mine}"


def _case_by_reference(runtime: Runtime, reference: str) -> Case:
    with runtime.db.read_session() as session:
        return session.scalars(select(Case).where(Case.reference == reference)).one()


class TestClaimAndAssign:
    def test_claim_assign_and_hand_back_each_leave_an_audit_row(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        (case_id,) = _in_review(runtime, seed_queue(runtime, 1))
        url = f"/console/cases/{case_id}"
        staff_sign_in(client, AGENT)
        assert client.submit(url, f"{url}/assign", {"assignee": "me"}).status_code == 303
        assert _case(runtime, case_id).assignee_id == _staff_id(runtime, AGENT)
        assert "Assigned to" in client.get(f"{url}?lang=en").text
        other = _staff_id(runtime, "admin@ice-no.demo")
        refused = client.submit(url, f"{url}/assign", {"assignee": str(other)})
        assert refused.status_code == 403
        client.cookies.clear()
        staff_sign_in(client, "supervisor@ice-no.demo")
        assert client.submit(url, f"{url}/assign", {"assignee": str(other)}).status_code == 303
        assert _case(runtime, case_id).assignee_id == other
        assert client.submit(url, f"{url}/assign", {"assignee": ""}).status_code == 303
        assert _case(runtime, case_id).assignee_id is None
        actions = _actions(runtime, case_id)
        assert [a for a in actions if a in {"case.claim", "case.assign", "case.unassign"}] == [
            "case.claim",
            "case.assign",
            "case.unassign",
        ]

    def test_staff_of_another_operator_cannot_be_assigned_nor_assign(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        (case_id,) = _in_review(runtime, seed_queue(runtime, 1))
        url = f"/console/cases/{case_id}"
        foreign = _staff_id(runtime, "agent@telia-no.demo")
        staff_sign_in(client, "supervisor@ice-no.demo")
        response = client.submit(url, f"{url}/assign", {"assignee": str(foreign)})
        assert response.status_code == 422
        assert client.submit(url, f"{url}/assign", {"assignee": "junk"}).status_code == 422
        assert _case(runtime, case_id).assignee_id is None
        client.cookies.clear()
        staff_sign_in(client, "agent@telia-no.demo")
        assert client.submit("/console", f"{url}/assign", {"assignee": "me"}).status_code == 404

    def test_a_closed_case_cannot_be_claimed(self, client: WebClient, runtime: Runtime) -> None:
        (case_id,) = _in_review(runtime, seed_queue(runtime, 1))
        url = f"/console/cases/{case_id}"
        staff_sign_in(client, AGENT)
        rejected = client.submit(url, f"{url}/reject", {"reason": "duplicate_request"})
        assert rejected.status_code == 303
        assert client.submit(url, f"{url}/assign", {"assignee": "me"}).status_code == 409
        assert _case(runtime, case_id).assignee_id is None
        assert "case.claim" not in _actions(runtime, case_id)


class TestQueueQueries:
    @pytest.mark.parametrize(
        "query",
        [
            QueueQuery(statuses=["in_review", "blocked", "submitted"]),
            QueueQuery(statuses=["in_review"], search="+47 90 000 012"),
            QueueQuery(statuses=["in_review"], unassigned=True),
            QueueQuery(statuses=["in_review"], channel="chat", reason_code="coverage"),
        ],
    )
    def test_the_queue_reads_cases_through_an_index(
        self, runtime: Runtime, query: QueueQuery
    ) -> None:
        if not runtime.db.is_sqlite:
            pytest.skip("reads SQLite's EXPLAIN QUERY PLAN; PostgreSQL plans by its statistics")
        seed_queue(runtime, 60)
        with runtime.db.read_session() as session:
            staff = session.scalars(select(StaffUser).where(StaffUser.email == AGENT)).one()
            statement = repository.queue_statement(staff_actor(staff), query, limit=51)
            sql = statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
            plan = [
                row[-1] for row in session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
            ]
        cases = [step for step in plan if " cases " in f" {step} "]
        assert cases, plan
        assert all(step.startswith("SEARCH cases USING INDEX") for step in cases), plan


class TestShortcuts:
    def test_the_page_lists_them_and_loads_its_script_from_this_site(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        seed_queue(runtime, 2)
        staff_sign_in(client, AGENT)
        page = client.get("/console?lang=en").text
        assert "Keyboard shortcuts" in page
        for key in ("j", "k", "x", "c", "n", "a", "r", "?"):
            assert f"<kbd>{key}</kbd>" in page
        assert '<script src="/static/console.js" defer></script>' in page
        script = client.get("/static/console.js")
        assert script.status_code == 200
        assert 'key === "j"' in script.text

    def test_an_unreadable_cursor_starts_at_the_first_page(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        seed_queue(runtime, 3)
        staff_sign_in(client, AGENT)
        first = _references(client.get("/console").text)
        for junk in ("x", "99999999-0000000000000000-" + "0" * 32, "20261399-1-2"):
            page = client.get(f"/console?cursor={junk}")
            assert page.status_code == 200
        assert _references(client.get("/console?cursor=garbage").text) == first
