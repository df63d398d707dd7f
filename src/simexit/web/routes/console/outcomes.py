"""Reasons and outcomes at a glance: the operator's cancellations by reason, channel, product and
week, the time to a decision and the share held up by each blocker, as server-drawn SVG bars (no
script, no CDN: the CSP allows neither) and the same numbers as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session as DbSession

from simexit.cases import repository
from simexit.cases.outcomes import Bar, Outcomes, offer_bars, summarize
from simexit.models import StaffUser
from simexit.retention import service as retention
from simexit.transactions import run_read
from simexit.web.deps import PageDep, StaffDep
from simexit.web.i18n import N_, Texts
from simexit.web.routes.common import now
from simexit.web.routes.console.permissions import staff_actor
from simexit.web.security import SecureRoute
from simexit.web.texts import CHANNEL, REASONS, label

router = APIRouter(route_class=SecureRoute, include_in_schema=False)

WEEKS = (4, 12, 26, 52)
DEFAULT_WEEKS = 12
DECISION_TIME = {
    "under_1h": N_("Under an hour"),
    "under_1d": N_("Under a day"),
    "under_3d": N_("1 to 3 days"),
    "under_7d": N_("3 to 7 days"),
    "over_7d": N_("Over 7 days"),
}
BLOCKER_SHORT = {
    "unpaid_bills": N_("Unpaid bills"),
    "port_pending": N_("Number being moved"),
    "min_topup_age": N_("Top-up too recent"),
    "port_date_too_late": N_("Transfer date too far ahead"),
    "channel_not_allowed": N_("Channel not accepted"),
    "line_status_not_allowed": N_("Line state"),
    "transfer_number_missing": N_("Transfer number missing"),
    "suspension_not_allowed": N_("Pause not offered"),
    "suspension_limit_reached": N_("Pause limit reached"),
    "suspension_too_long": N_("Pause too long"),
    "suspension_not_during_commitment": N_("Pause during commitment"),
    "reactivation_not_offered": N_("Reactivation not offered"),
    "reactivation_window_over": N_("Reactivation too late"),
    "sim_limit_reached": N_("SIM limit reached"),
}
REASON_LABELS = {**REASONS, "none": N_("No reason given")}

# Geometry of a bar chart (SVG user units).
LABEL_WIDTH, BAR_WIDTH, ROW, VALUE_WIDTH = 200, 360, 24, 90


@dataclass(frozen=True)
class BarView:
    label: str
    value: str
    y: int
    width: int


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    bars: list[BarView]
    height: int
    width: int = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    label_width: int = LABEL_WIDTH


def _chart(
    t: Texts,
    key: str,
    title: str,
    bars: tuple[Bar, ...],
    labels: Mapping[str, str] | None,
    *,
    shares: bool = False,
) -> Chart:
    biggest = max((b.count for b in bars), default=0)
    views = []
    for i, bar in enumerate(bars):
        name = label(t, labels, bar.code) if labels is not None else bar.code
        value = f"{bar.count} ({round(bar.share * 100)} %)" if shares else str(bar.count)
        width = round(BAR_WIDTH * bar.count / biggest) if biggest else 0
        views.append(BarView(name, value, i * ROW, width))
    return Chart(key, title, views, max(ROW, len(views) * ROW))


OFFER_SHORT = {"pause_instead": N_("Pause instead"), "cheaper_plan": N_("Cheaper plan")}


def charts(t: Texts, o: Outcomes) -> list[Chart]:
    return [
        _chart(t, "reason", t(N_("Cancellations by reason")), o.by_reason, REASON_LABELS),
        _chart(t, "channel", t(N_("Cancellations by channel")), o.by_channel, CHANNEL),
        _chart(t, "product", t(N_("Cancellations by product")), o.by_product, None),
        _chart(t, "week", t(N_("Cancellations by week")), o.by_week, None),
        _chart(
            t, "decision", t(N_("Time from request to decision")), o.time_to_decision, DECISION_TIME
        ),
        _chart(
            t,
            "blocker",
            t(N_("Share of requests held up, by blocker")),
            o.blocked_by_blocker,
            BLOCKER_SHORT,
            shares=True,
        ),
        _chart(
            t,
            "offers",
            t(N_("Offers accepted instead of cancelling")),
            o.offers_accepted,
            OFFER_SHORT,
        ),
    ]


def _weeks(raw: str | None) -> int:
    try:
        value = int(raw or DEFAULT_WEEKS)
    except ValueError:
        return DEFAULT_WEEKS
    return value if value in WEEKS else DEFAULT_WEEKS


async def _summary(page: PageDep, staff: StaffUser, weeks: int) -> tuple[Outcomes, str]:
    since = now() - timedelta(weeks=weeks)

    def read(db: DbSession) -> tuple[Outcomes, str]:
        zone = repository.operator(db, staff.operator_id).timezone
        facts = repository.outcome_facts(db, staff_actor(staff), since=since)
        accepted = retention.accepted_counts(
            db, operator_id=staff.operator_id, since=since, until=now()
        )
        summary = replace(summarize(facts, timezone=zone), offers_accepted=offer_bars(accepted))
        return summary, zone

    return await run_read(page.db, read)


@router.get(
    "/console/outcomes", name="console:outcomes", response_class=HTMLResponse, response_model=None
)
async def outcomes(page: PageDep, staff: StaffDep) -> Response:
    weeks = _weeks(page.request.query_params.get("weeks"))
    summary, zone = await _summary(page, staff, weeks)
    t = page.texts(staff.language)
    return page.render(
        "console/outcomes.html",
        {
            "staff": staff,
            "o": summary,
            "charts": charts(t, summary),
            "weeks": weeks,
            "week_choices": WEEKS,
            "timezone": zone,
        },
        t=t,
    )


@router.get("/console/outcomes.csv", name="console:outcomes_csv", response_model=None)
async def outcomes_csv(page: PageDep, staff: StaffDep) -> Response:
    """The charts' numbers, one row per bar: chart, code, label, count, share."""
    weeks = _weeks(page.request.query_params.get("weeks"))
    summary, _zone = await _summary(page, staff, weeks)
    t = page.texts(staff.language)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["chart", "code", "label", "count", "share"])
    raw = {
        "reason": summary.by_reason,
        "channel": summary.by_channel,
        "product": summary.by_product,
        "week": summary.by_week,
        "decision": summary.time_to_decision,
        "blocker": summary.blocked_by_blocker,
        "offers": summary.offers_accepted,
    }
    for chart in charts(t, summary):
        for bar, view in zip(raw[chart.key], chart.bars, strict=True):
            writer.writerow([chart.key, bar.code, view.label, bar.count, f"{bar.share:.4f}"])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="outcomes-{weeks}w.csv"'},
    )
