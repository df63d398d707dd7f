"""GET /v1/operators/{id}/policy serves every layer that decides, merged and attributed."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Demo, TestClient


def _policy(client: TestClient, demo: Demo, code: str, headers: dict[str, str]) -> Any:
    response = client.get(f"/v1/operators/{demo.operator_ids[code]}/policy", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["pack"]


def _variant(pack: Any, name: str) -> Any:
    return next(v for v in pack["variants"] if v["name"] == name)


def test_product_layer_is_served_with_its_lines(client: TestClient, demo: Demo) -> None:
    pack = _policy(client, demo, "telenor-no", demo.telenor)
    notice = pack["cancellation"]["notice"]["effective_rule"]
    assert (notice["value"], notice["layer"]) == (
        "one_calendar_month_from_first_of_next_month",
        "no/telenor",
    )
    data_only = _variant(pack, "products.data_only")
    assert {"plan": "postpaid", "kind": "data_only", "region": None} in data_only["applies_to"]
    rule = data_only["values"]["cancellation.notice.effective_rule"]
    assert (rule["value"], rule["status"], rule["layer"]) == (
        "end_of_calendar_month",
        "S",
        "no/telenor products.data_only",
    )


def test_country_values_and_schema_defaults_are_attributed(client: TestClient, demo: Demo) -> None:
    pack = _policy(client, demo, "telenor-no", demo.telenor)
    assert pack["porting"]["authorisation"]["layer"] == "country/no"
    default = pack["porting"]["max_lead_days"]
    assert (default["status"], default["layer"]) == ("U", "schema default")


def test_region_gates_are_served(client: TestClient, demo: Demo) -> None:
    pack = _policy(client, demo, "att-us", demo.att)
    california = _variant(pack, "regions.CA")
    assert {"plan": "postpaid", "kind": "esim", "region": "CA"} in california["applies_to"]
    gate = california["values"]["regulatory_gates.ca_arl_online_if_signed_up_online"]
    assert (gate["value"]["rule"], gate["status"], gate["layer"]) == (
        "online_cancel_if_signed_up_online",
        "S",
        "country/us-ca",
    )
    assert california["values"]["review.calendar"]["value"] == "US-CA"
