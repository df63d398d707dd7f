"""The ledger over HTTP: the CSV export and the trial balance, for an operator's admin key only."""

from __future__ import annotations

import csv
import io

from tests.api.conftest import Demo, TestClient


def test_the_export_is_csv_with_a_header_and_a_file_name(client: TestClient, demo: Demo) -> None:
    answer = client.get(
        "/v1/ledger-entries",
        params={"from": "2026-01-01", "to": "2026-12-31"},
        headers=demo.telenor,
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert "ledger-2026-01-01-2026-12-31.csv" in answer.headers["content-disposition"]
    reader = csv.reader(io.StringIO(answer.text))
    assert next(reader)[:3] == ["created_at", "case_reference", "case_id"]


def test_a_bad_period_is_refused_by_name(client: TestClient, demo: Demo) -> None:
    backwards = client.get(
        "/v1/ledger-entries",
        params={"from": "2026-12-02", "to": "2026-12-01"},
        headers=demo.telenor,
    )
    assert backwards.status_code == 422
    assert backwards.json()["errors"][0]["field"] == "query.to"
    assert backwards.json()["errors"][0]["code"] == "date_order"
    missing = client.get("/v1/ledger-entries", params={"to": "2026-12-01"}, headers=demo.telenor)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "query.from"


def test_only_an_operators_admin_key_reads_the_ledger(client: TestClient, demo: Demo) -> None:
    for path in ("/v1/ledger-entries?from=2026-01-01&to=2026-01-31", "/v1/ledger/trial-balance"):
        assert client.get(path, headers=demo.reseller).status_code == 403, path


def test_the_trial_balance_of_the_demo_adds_up(client: TestClient, demo: Demo) -> None:
    answer = client.get("/v1/ledger/trial-balance", headers=demo.telenor)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["balanced"] is True
    assert body["problems"] == []
