"""From an operator row and its policy pack to what the field rules need to know."""

from __future__ import annotations

from simexit.models import Operator
from simexit.policies.pack import Pack
from simexit.provisioning.rules import OperatorFacts


def operator_facts(operator: Operator, pack: Pack) -> OperatorFacts:
    return OperatorFacts(
        country=operator.country,
        currency=operator.currency,
        mobile_country_codes=pack.mobile_country_codes,
        languages=tuple(operator.languages or ()),
        regions=pack.regions,
    )
