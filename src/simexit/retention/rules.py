"""Which of the pack's offers a line is shown. Pure."""

from __future__ import annotations

from collections.abc import Iterable

from simexit.policies.schema import Ev, RetentionOffer


def offers_for(
    offers: Iterable[Ev[RetentionOffer]], *, plan: str, pause_possible: bool
) -> list[RetentionOffer]:
    """The offers that fit the line's plan; a pause only where the rules let this line pause."""
    return [
        offer.value
        for offer in offers
        if (not offer.value.plans or plan in offer.value.plans)
        and (offer.value.kind != "pause" or pause_possible)
    ]


def find(offers: Iterable[Ev[RetentionOffer]], code: str) -> RetentionOffer | None:
    return next((offer.value for offer in offers if offer.value.code == code), None)
