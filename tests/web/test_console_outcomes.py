"""The "reasons and outcomes" page: SVG bars drawn by the server and the same numbers as CSV."""

from __future__ import annotations

import csv
import io
import re

from simexit.runtime import Runtime
from tests.web.client import WebClient
from tests.web.conftest import staff_sign_in
from tests.web.queue_seed import seed_queue, statuses

AGENT = "agent@ice-no.demo"


def _rows(client: WebClient, url: str = "/console/outcomes.csv?lang=en") -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


class TestOutcomes:
    def test_charts_and_csv_count_the_operators_cases(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        ids = seed_queue(runtime, 20)
        seed_queue(runtime, 7, operator_code="telia-no", number_prefix="+4795")
        in_review = [i for i, s in statuses(runtime, ids).items() if s == "in_review"][:5]
        staff_sign_in(client, AGENT)
        client.post(
            "/console/bulk",
            data={
                "csrf_token": client.csrf("/console"),
                "action": "approve",
                "case_id": [str(i) for i in in_review],
            },
        )
        before = {(r["chart"], r["code"]): int(r["count"]) for r in _rows(client)}
        page = client.get("/console/outcomes?lang=en")
        assert page.status_code == 200
        for title in (
            "Cancellations by reason",
            "Cancellations by channel",
            "Cancellations by product",
            "Cancellations by week",
            "Time from request to decision",
            "Share of requests held up, by blocker",
        ):
            assert title in page.text
        assert page.text.count("<svg") == 6
        assert " style=" not in page.text  # the CSP refuses inline styles
        assert "<script" not in page.text.split("</header>")[1]
        # 20 seeded cancellations of ice-no (plus the demo's own); telia-no's 7 are not here.
        reasons = {code: n for (chart, code), n in before.items() if chart == "reason"}
        assert reasons["moving_abroad"] >= 5
        assert reasons["too_expensive"] >= 5
        channels = {code: n for (chart, code), n in before.items() if chart == "channel"}
        assert channels["phone"] >= 16
        assert channels["chat"] >= 4
        assert sum(channels.values()) == sum(reasons.values())
        decided = sum(n for (chart, _c), n in before.items() if chart == "decision")
        assert decided >= 5
        blocked = {code: n for (chart, code), n in before.items() if chart == "blocker"}
        assert blocked.get("channel_not_allowed", 0) >= 4  # chat is refused for ice-no

        client.cookies.clear()
        staff_sign_in(client, "agent@telia-no.demo")
        telia = _rows(client)
        telia_channels = sum(int(r["count"]) for r in telia if r["chart"] == "channel")
        assert telia_channels >= 7
        assert telia_channels < sum(channels.values()) + 7

    def test_labels_follow_the_language_and_the_period_is_bounded(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        seed_queue(runtime, 5)
        staff_sign_in(client, AGENT)
        ru = client.get("/console/outcomes?lang=ru").text
        assert "Расторжения по причинам" in ru
        nb = _rows(client, "/console/outcomes.csv?lang=nb")
        assert any(r["label"] == "For dyrt" for r in nb)
        for weeks in ("4", "52", "9999", "x"):
            page = client.get(f"/console/outcomes?weeks={weeks}")
            assert page.status_code == 200
        assert re.search(
            r'<option value="12" selected>', client.get("/console/outcomes?weeks=x").text
        )
        assert client.get("/console/outcomes").status_code == 200

    def test_needs_a_signed_in_staff_member(self, client: WebClient) -> None:
        response = client.get("/console/outcomes.csv")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/console/login")
