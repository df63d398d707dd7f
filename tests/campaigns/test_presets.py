"""The campaigns the packs call for: read from the pack's rule, previewable, run like any other."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from simexit.campaigns import presets, service
from simexit.campaigns.presets import NoSuchRule, PresetKind, Step
from simexit.campaigns.rules import Action
from simexit.cases.context import CaseContext
from simexit.db import Database
from simexit.jobs import run_pending
from simexit.models import CampaignLine, Notification
from simexit.notifications.templates import render
from simexit.policies.loader import PackRegistry
from simexit.principals import Actor, ActorType, StaffRole
from tests.campaigns.conftest import NOW
from tests.fixtures.factories import create_line, create_operator, create_subscriber

TODAY = date(2026, 11, 20)


def test_telenor_s_dormant_rule_ends_prepaid_lines_after_517_days(packs: PackRegistry) -> None:
    doc = packs.get("no/telenor").document
    act = presets.dormant_sweep(doc, today=TODAY, step=Step.act, warn_days=30, rule_index=None)
    assert act.action is Action.terminate
    assert act.selection.plan == "prepaid"
    assert act.selection.last_topup_before == TODAY - timedelta(days=517)
    assert act.params["source"]["rule"] == "prepaid.inactivity[1]"
    bar = presets.dormant_sweep(doc, today=TODAY, step=Step.act, warn_days=30, rule_index=0)
    assert bar.action is Action.suspend
    warn = presets.dormant_sweep(doc, today=TODAY, step=Step.warn, warn_days=30, rule_index=None)
    assert warn.action is Action.notify
    # Warned: the lines that reach 517 days within the 30 days of notice.
    assert warn.selection.last_topup_before == TODAY - timedelta(days=517 - 30)
    assert warn.params["notice"] == {"kind": "dormant_terminate", "date": "2026-12-20"}


def test_t2_ends_lines_at_zero_balance_and_megafon_only_charges_a_fee(
    packs: PackRegistry,
) -> None:
    t2 = presets.dormant_sweep(
        packs.get("ru/t2").document, today=TODAY, step=Step.act, warn_days=30, rule_index=None
    )
    assert (t2.action, t2.selection.zero_balance) == (Action.terminate, True)
    with pytest.raises(NoSuchRule):
        presets.dormant_sweep(
            packs.get("ru/megafon").document,
            today=TODAY,
            step=Step.act,
            warn_days=30,
            rule_index=None,
        )


def test_sim_limit_and_brand_closure_come_from_the_pack(packs: PackRegistry) -> None:
    limit = presets.sim_limit(packs.get("ru/mts").document, today=TODAY, step=Step.act, warn_days=7)
    assert (limit.selection.sims_over, limit.selection.beyond_first) == (20, 20)
    with pytest.raises(NoSuchRule):
        presets.sim_limit(packs.get("no/telenor").document, today=TODAY, step=Step.act, warn_days=7)
    closure = presets.brand_closure(packs.get("ru/megafon").document, brand="Yota")
    assert (closure.action, closure.selection.brand) == (Action.terminate, "Yota")
    with pytest.raises(NoSuchRule):
        presets.brand_closure(packs.get("ru/megafon").document, brand="Djuice")


def test_the_notices_read_in_every_language() -> None:
    for language in ("en", "nb", "ru", "zh"):
        message = render(
            "line.campaign_notice",
            language,
            {"msisdn": "+79160000021", "notice": "sim_limit", "date": "2026-12-01", "limit": 20},
        )
        assert "+79160000021" in message.sms
        assert "20" in message.sms


def test_holders_over_twenty_are_told_which_lines_exceed(
    db: Database, packs: PackRegistry, ctx: CaseContext
) -> None:
    with db.session() as session:
        operator = create_operator(session, packs=packs, pack_id="ru/mts", prefix="RU")
        holder = create_subscriber(session, operator=operator, phone="+79160000000", language="ru")
        lines = [
            create_line(
                session,
                operator=operator,
                subscriber=holder,
                msisdn=f"+791600000{n:02d}",
                activated_on=date(2024, 1, 1) + timedelta(days=n),
            )
            for n in range(22)
        ]
        modest = create_subscriber(session, operator=operator, phone="+79160000100")
        create_line(session, operator=operator, subscriber=modest, msisdn="+79160000100")
        operator_id = operator.id
    agent = Actor(ActorType.agent, "agent@mts", operator_id, role=StaffRole.agent)
    supervisor = Actor(ActorType.agent, "sup@mts", operator_id, role=StaffRole.supervisor)
    with db.session() as session:
        campaign_id = service.create_from_pack(
            session, ctx, actor=agent, kind=PresetKind.sim_limit, step=Step.warn, warn_days=14,
            brand=None, rule_index=None, start_at=None, now=NOW,
        ).id  # fmt: skip
    with db.read_session() as session:
        dry = service.dry_run(session, ctx, actor=agent, campaign_id=campaign_id, now=NOW)
    assert (dry.selected, dry.acted) == (2, 2)  # the 21st and 22nd lines, not the first 20
    assert {s["msisdn"] for s in dry.sample} == {lines[20].msisdn, lines[21].msisdn}
    with db.session() as session:
        service.approve(session, actor=supervisor, campaign_id=campaign_id, now=NOW)
    run_pending(db, now=NOW, worker_id="test")
    with db.read_session() as session:
        outcomes = list(
            session.scalars(select(CampaignLine).where(CampaignLine.campaign_id == campaign_id))
        )
        sent = list(
            session.scalars(select(Notification).where(Notification.kind == "line.campaign_notice"))
        )
    assert {o.outcome for o in outcomes} == {"done"}
    assert sent
    assert {n.language for n in sent} == {"ru"}
