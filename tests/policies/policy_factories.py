"""Builders for policy-engine inputs with deterministic defaults (helpers, not tests)."""

from __future__ import annotations

from datetime import date
from typing import Any

from simexit.kit.money import Money
from simexit.policies.model import CaseRequest, Channel, LineFacts, LineKind, Plan, RequestType

CURRENCY = {"no": "NOK", "us": "USD", "ru": "RUB"}


def money(amount: str, currency: str) -> Money:
    return Money.parse(amount, currency)


def line_for(pack_id: str, **overrides: Any) -> LineFacts:
    values: dict[str, Any] = {
        "kind": LineKind.physical_sim,
        "plan": Plan.postpaid,
        "currency": CURRENCY[
            pack_id.split("/")[0] if not pack_id.startswith("country/") else pack_id[8:]
        ],
        "activated_on": date(2024, 1, 1),
    }
    values.update(overrides)
    return LineFacts(**values)


def request(
    kind: RequestType = RequestType.terminate, channel: Channel = Channel.agent, **overrides: Any
) -> CaseRequest:
    return CaseRequest(type=kind, channel=channel, **overrides)
