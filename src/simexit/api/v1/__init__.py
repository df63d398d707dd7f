"""API v1: one router per domain, listed here in the order the app includes them.

A list, not one router that includes the others: FastAPI (0.137+) keeps included routers as a
tree and matches a request against each level again on its way down, so every level of nesting
costs each request another pass over the routes before it.
"""

from __future__ import annotations

from fastapi import APIRouter

from simexit.api.v1 import (
    campaigns,
    case_information,
    cases,
    esim,
    imports,
    ledger,
    lines,
    operators,
    payouts,
    port_outs,
    provisioned_lines,
    resellers,
    staff,
    subscribers,
    test_clocks,
    webhooks,
)

# Provisioning's lines before `lines`: `/v1/lines/by-external-id/{id}` must not be read as a
# line id.
routers: list[APIRouter] = [
    module.router
    for module in (
        operators,
        subscribers,
        provisioned_lines,
        lines,
        cases,
        case_information,
        esim,
        port_outs,
        staff,
        resellers,
        webhooks,
        test_clocks,
        imports,
        payouts,
        ledger,
        campaigns,
    )
]
