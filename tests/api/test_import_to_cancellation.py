"""From an empty database to a cancelled line: an operator loads its base over the API (1,000
lines, 20 of them broken), loads it again (nothing changes), then one of the imported lines is
cancelled over HTTP and a test clock is moved to the day the cancellation takes effect."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

from sqlalchemy import select, update
from stdnum import luhn

from simexit.access import service as keys
from simexit.api.app import create_app
from simexit.api.ratelimit import RateLimits
from simexit.db import Database
from simexit.jobs import run_pending
from simexit.models import Case, Line, Operator
from simexit.principals import Actor, ActorType
from tests.api.conftest import NOW, TestClient, build_runtime
from tests.fixtures.factories import create_operator
from tests.imports import base_files

CSV = {"Content-Type": "text/csv"}
SETUP = Actor(ActorType.cli, "test")


def _empty_operator(db: Database, pack_id: str = "no/telenor", prefix: str = "NO") -> str:
    """A sandbox operator with nothing in it, and its key (admin for the import, cases for the
    cancellation, identity:attest for the shop's ID check), as an operator's first day looks."""
    with db.session() as session:
        operator = create_operator(
            session,
            packs=build_runtime(db).packs,
            code="fjord-mobil",
            pack_id=pack_id,
            prefix=prefix,
        )
        session.execute(update(Operator).where(Operator.id == operator.id).values(sandbox=True))
        created = keys.create_key(
            session,
            actor=SETUP,
            operator_code="fjord-mobil",
            name="bss",
            now=NOW,
            scopes=("admin", "cases", "identity:attest"),
        )
        return created.secret


def _import(client: TestClient, headers: dict[str, str], data: bytes, run: Any) -> dict[str, Any]:
    sent = client.post("/v1/imports", content=data, headers={**headers, **CSV})
    assert sent.status_code == 202, sent.text
    run()
    done: dict[str, Any] = client.get(sent.headers["Location"], headers=headers).json()
    assert done["status"] == "done", done
    return done


def test_an_empty_database_to_a_cancelled_imported_line(db: Database) -> None:
    runtime = build_runtime(db)
    with db.read_session() as session:
        assert session.scalars(select(Line)).first() is None
    headers = {"Authorization": f"Bearer {_empty_operator(db)}"}
    runtime.prepare_jobs()
    app = create_app(runtime, clock=lambda: NOW, rate_limits=RateLimits())

    def run_jobs() -> None:
        run_pending(db, now=NOW, worker_id="w")

    data = base_files.csv_bytes(base_files.rows(1000, broken_every=50))
    with TestClient(app) as client:
        first = _import(client, headers, data, run_jobs)
        assert (first["totals"]["lines_created"], first["totals"]["rejected_rows"]) == (980, 20)
        report = client.get(first["rejections"], headers=headers).text
        rejected = {
            int(r["row"]): (r["field"], r["rule"]) for r in csv.DictReader(io.StringIO(report))
        }
        assert rejected == base_files.broken_rows(1000, 50)

        again = _import(client, headers, data, run_jobs)
        assert again["totals"]["lines_unchanged"] == 980
        assert again["totals"]["lines_created"] == again["totals"]["lines_updated"] == 0

        line = client.get("/v1/lines/by-external-id/L-0000001", headers=headers)
        assert line.status_code == 200, line.text
        line_id = line.json()["id"]
        case_id = _cancel(client, headers, line_id)
        case = _case(db, case_id)
        assert case.effective_date is not None
        clock = client.post("/v1/test-clocks", json={}, headers=headers)
        assert clock.status_code == 201, clock.text
        days = (case.effective_date - NOW.date()).days + 1
        moved = client.post(
            f"/v1/test-clocks/{clock.json()['id']}/advance", json={"days": days}, headers=headers
        )
        assert moved.status_code == 200, moved.text
        assert moved.json()["due_work"]["jobs_run"] >= 1
        assert moved.json()["due_work"]["jobs_pending"] == 0
        shown = client.get(f"/v1/cases/{case_id}", headers=headers).json()
    assert shown["status"] == "completed", shown
    with db.read_session() as session:
        stored = session.get(Line, uuid.UUID(line_id))
        assert stored is not None
        assert stored.status == "terminated"


def _cancel(client: TestClient, headers: dict[str, str], line_id: str) -> str:
    opened = client.post("/v1/cases", json={"line_id": line_id}, headers=headers)
    assert opened.status_code == 201, opened.text
    case_id: str = opened.json()["id"]
    identity = client.post(
        f"/v1/cases/{case_id}/identity",
        json={"method": "id_document", "document_type": "passport", "document_last4": "1234"},
        headers=headers,
    )
    assert identity.status_code == 201, identity.text
    submitted = client.post(f"/v1/cases/{case_id}/submit", json={}, headers=headers)
    assert submitted.status_code == 200, submitted.text
    if submitted.json()["status"] == "in_review":
        approved = client.post(f"/v1/cases/{case_id}/approve", json={"note": "ok"}, headers=headers)
        assert approved.status_code == 200, approved.text
    return case_id


def _case(db: Database, case_id: str) -> Case:
    with db.read_session() as session:
        case = session.get(Case, uuid.UUID(case_id))
        assert case is not None
        return case


def test_a_reimport_that_clears_the_unpaid_bills_frees_the_blocked_case(db: Database) -> None:
    """The bulk path re-checks blocked cases as a bill-payment event does: the line's new values
    come in a file, and its case moves on without anyone touching it."""
    runtime = build_runtime(db)
    # Russia: a debt blocks the termination until it is paid (packs/country/ru.yaml).
    headers = {"Authorization": f"Bearer {_empty_operator(db, 'ru/mts', 'RU')}"}
    runtime.prepare_jobs()
    app = create_app(runtime, clock=lambda: NOW, rate_limits=RateLimits())

    def run_jobs() -> None:
        run_pending(db, now=NOW, worker_id="w")

    def base(unpaid: str) -> bytes:
        items = [_russian(row) for row in base_files.rows(5)]
        items[1] = {**items[1], "unpaid_bills": unpaid}  # L-0000001
        return base_files.csv_bytes(iter(items))

    with TestClient(app) as client:
        _import(client, headers, base("450.00"), run_jobs)
        line_id = client.get("/v1/lines/by-external-id/L-0000001", headers=headers).json()["id"]
        case_id = _cancel(client, headers, line_id)
        blocked = client.get(f"/v1/cases/{case_id}", headers=headers).json()
        assert blocked["status"] == "blocked", blocked

        unchanged = _import(client, headers, base("450.00"), run_jobs)
        assert unchanged["totals"]["lines_updated"] == 0
        assert _case(db, case_id).status == "blocked"

        paid = _import(client, headers, base("0.00"), run_jobs)
        assert paid["totals"]["lines_updated"] == 1
        run_jobs()
        moved = client.get(f"/v1/cases/{case_id}", headers=headers).json()
    assert moved["status"] not in {"blocked", "draft"}, moved


def _russian(row: dict[str, str]) -> dict[str, str]:
    serial = int(row["external_id"][2:])
    body = f"89701010{serial:011d}"
    return {
        **row,
        "subscriber_language": "ru",
        "subscriber_email": row["subscriber_email"].replace(".no", ".ru"),
        "msisdn": f"+7916{serial:07d}",
        "iccid": body + luhn.calc_check_digit(body),
        "imsi": f"25001{serial:010d}",
        "linked_services": "",
    }
