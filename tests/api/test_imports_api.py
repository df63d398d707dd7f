"""POST /v1/imports: a base file uploaded, imported by its job in batches, rejections as CSV."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from simexit.imports import tasks as import_tasks
from simexit.jobs import run_pending
from simexit.models import AuditEvent, Line
from simexit.runtime import Runtime
from tests.api.conftest import NOW, Demo, TestClient
from tests.imports import base_files

CSV = {"Content-Type": "text/csv"}


def _work(runtime: Runtime) -> None:
    import_tasks.install(runtime.packs, runtime.cases.secret_key)
    run_pending(runtime.db, now=NOW, worker_id="w")


def _imported_lines(runtime: Runtime) -> int:
    with runtime.db.read_session() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(Line).where(Line.external_id.is_not(None))
            )
            or 0
        )


def test_a_base_is_imported_by_its_job_and_rejections_come_back_as_csv(
    client: TestClient, demo: Demo, runtime: Runtime
) -> None:
    data = base_files.csv_bytes(base_files.rows(1000, broken_every=50))
    sent = client.post("/v1/imports", content=data, headers={**demo.telenor, **CSV})
    assert sent.status_code == 202, sent.text
    body = sent.json()
    assert (body["status"], body["size_bytes"]) == ("queued", len(data))
    assert sent.headers["Location"] == f"/v1/imports/{body['id']}"

    _work(runtime)

    done = client.get(f"/v1/imports/{body['id']}", headers=demo.telenor).json()
    assert done["status"] == "done"
    assert done["bytes_processed"] == len(data)
    assert done["totals"]["rows"] == 1000
    assert (done["totals"]["lines_created"], done["totals"]["rejected_rows"]) == (980, 20)
    report = client.get(done["rejections"], headers=demo.telenor)
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/csv")
    rejected = list(csv.DictReader(io.StringIO(report.text)))
    planted = base_files.broken_rows(1000, 50)
    assert {int(r["row"]): (r["field"], r["rule"]) for r in rejected} == planted
    assert _imported_lines(runtime) == 980

    again = client.post("/v1/imports", content=data, headers={**demo.telenor, **CSV}).json()
    _work(runtime)
    second = client.get(f"/v1/imports/{again['id']}", headers=demo.telenor).json()
    assert second["totals"]["lines_unchanged"] == 980
    assert second["totals"]["lines_created"] == second["totals"]["lines_updated"] == 0
    first_page = client.get("/v1/imports?limit=1", headers=demo.telenor).json()
    cursor = first_page["next_cursor"]
    second_page = client.get(f"/v1/imports?limit=1&cursor={cursor}", headers=demo.telenor).json()
    assert second_page["next_cursor"] is None
    listed = {item["id"] for item in first_page["items"] + second_page["items"]}
    assert listed == {again["id"], body["id"]}
    with runtime.db.read_session() as session:
        actions = set(
            session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "import"))
        )
    assert {"import.queued", "import.completed"} <= actions


def test_a_dry_run_reports_and_writes_no_line(
    client: TestClient, demo: Demo, runtime: Runtime
) -> None:
    data = base_files.csv_bytes(base_files.rows(30, broken_every=10))
    sent = client.post(
        "/v1/imports?dry_run=true", content=data, headers={**demo.telenor, **CSV}
    ).json()
    _work(runtime)
    done = client.get(f"/v1/imports/{sent['id']}", headers=demo.telenor).json()
    assert done["dry_run"] is True
    assert (done["totals"]["lines_created"], done["totals"]["rejected_rows"]) == (27, 3)
    assert _imported_lines(runtime) == 0


def test_json_lines_are_imported_too(client: TestClient, demo: Demo, runtime: Runtime) -> None:
    import json

    data = "\n".join(json.dumps(row) for row in base_files.rows(5)).encode()
    sent = client.post(
        "/v1/imports",
        content=data,
        headers={**demo.telenor, "Content-Type": "application/x-ndjson"},
    ).json()
    _work(runtime)
    done = client.get(f"/v1/imports/{sent['id']}", headers=demo.telenor).json()
    assert done["totals"]["lines_created"] == 5


def test_a_file_with_an_unknown_column_fails_as_a_whole(
    client: TestClient, demo: Demo, runtime: Runtime
) -> None:
    sent = client.post(
        "/v1/imports", content=b"external_id,colour\nL1,red\n", headers={**demo.telenor, **CSV}
    ).json()
    _work(runtime)
    done = client.get(f"/v1/imports/{sent['id']}", headers=demo.telenor).json()
    assert done["status"] == "failed"
    assert "colour" in done["error"]


def test_only_an_operator_admin_key_imports_and_sees_imports(
    client: TestClient, demo: Demo
) -> None:
    data = base_files.csv_bytes(base_files.rows(2))
    refused = client.post("/v1/imports", content=data, headers={**demo.reseller, **CSV})
    assert refused.status_code == 403
    assert refused.json()["code"] == "scope_required"
    mine = client.post("/v1/imports", content=data, headers={**demo.telenor, **CSV}).json()
    other = client.get(f"/v1/imports/{mine['id']}", headers=demo.att)
    assert other.status_code == 404
    assert client.get(f"/v1/imports/{mine['id']}/rejections", headers=demo.att).status_code == 404
    assert client.get("/v1/imports", headers=demo.att).json()["items"] == []
    assert client.post("/v1/imports", content=data, headers=CSV).status_code == 401


def test_wrong_media_type_and_empty_file_are_named(client: TestClient, demo: Demo) -> None:
    wrong = client.post(
        "/v1/imports", content=b"{}", headers={**demo.telenor, "Content-Type": "application/json"}
    )
    assert wrong.status_code == 415
    assert wrong.json()["field"] == "Content-Type"
    ru = client.post(
        "/v1/imports",
        content=b"{}",
        headers={**demo.telenor, "Content-Type": "text/plain", "Accept-Language": "ru"},
    )
    assert ru.json()["detail"].startswith("Отправьте файл")
    empty = client.post("/v1/imports", content=b"", headers={**demo.telenor, **CSV})
    assert empty.status_code == 422
    assert empty.json()["field"] == "file"


def test_an_idempotency_key_replays_the_first_import(client: TestClient, demo: Demo) -> None:
    data = base_files.csv_bytes(base_files.rows(3))
    headers = {**demo.telenor, **CSV, "Idempotency-Key": "base-2026-12-03"}
    first = client.post("/v1/imports", content=data, headers=headers)
    second = client.post("/v1/imports", content=data, headers=headers)
    assert second.status_code == 202
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert second.json()["id"] == first.json()["id"]
    other_file = client.post(
        "/v1/imports", content=base_files.csv_bytes(base_files.rows(4)), headers=headers
    )
    assert other_file.status_code == 422
    assert other_file.json()["code"] == "idempotency_key_reused"


def test_an_import_may_be_larger_than_a_json_body_but_has_its_own_limit(
    runtime: Runtime, demo: Demo
) -> None:
    from simexit.api.app import create_app
    from simexit.api.ratelimit import RateLimits

    runtime.settings = runtime.settings.model_copy(update={"import_max_bytes": 3 * 1024 * 1024})
    app = create_app(runtime, clock=lambda: NOW, rate_limits=RateLimits())
    rows = base_files.rows(12_000)  # about 2.5 MB: over the 1 MiB JSON limit, under 3 MiB
    data = base_files.csv_bytes(rows)
    assert 1024 * 1024 < len(data) < 3 * 1024 * 1024
    with TestClient(app) as client:
        taken = client.post("/v1/imports", content=data, headers={**demo.telenor, **CSV})
        assert taken.status_code == 202, taken.text
        too_large = client.post("/v1/imports", content=data + data, headers={**demo.telenor, **CSV})
        assert too_large.status_code == 413
        assert too_large.json()["limit_bytes"] == 3 * 1024 * 1024
        _work(runtime)
        done = client.get(f"/v1/imports/{taken.json()['id']}", headers=demo.telenor).json()
    # Several chunks and several job runs, resumed at each batch's end.
    assert done["status"] == "done"
    assert done["totals"]["batches"] >= 6
    assert done["totals"]["lines_created"] == 12_000
