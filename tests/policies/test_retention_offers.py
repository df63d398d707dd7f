"""Retention offers in the packs: optional, with evidence; which a line is shown. Pure."""

from __future__ import annotations

from simexit.policies.loader import load_registry
from simexit.policies.schema import Ev, RetentionOffer
from simexit.retention import rules

PAUSE = Ev[RetentionOffer](value=RetentionOffer(code="p", kind="pause", text_key="pause_instead"))
CHEAPER = Ev[RetentionOffer](
    value=RetentionOffer(
        code="c", kind="cheaper_plan", text_key="cheaper_plan", plans=("postpaid",)
    )
)


def test_offers_fit_the_plan_and_a_pause_only_where_one_is_possible() -> None:
    offers = (PAUSE, CHEAPER)
    assert [o.code for o in rules.offers_for(offers, plan="postpaid", pause_possible=True)] == [
        "p",
        "c",
    ]
    assert rules.offers_for(offers, plan="prepaid", pause_possible=False) == []
    assert rules.find(offers, "c") == CHEAPER.value
    assert rules.find(offers, "x") is None


def test_packs_without_offers_have_none_and_every_offer_names_a_source() -> None:
    registry = load_registry()
    telenor = registry.get("no/telenor").document
    assert {o.value.code for o in telenor.retention_offers} == {"pause_instead", "cheaper_plan"}
    for offer in telenor.retention_offers:
        assert offer.src, offer.value.code
        assert all(source in telenor.sources for source in offer.src)
    assert registry.get("us/att").document.retention_offers == ()


def test_every_offer_text_key_has_a_sentence() -> None:
    from simexit.web.texts import RETENTION_OFFER

    for pack_id in ("no/telenor",):
        for offer in load_registry().get(pack_id).document.retention_offers:
            assert offer.value.text_key in RETENTION_OFFER
