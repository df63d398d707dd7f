"""Policy engine throughput: evaluations per second on one core, against building the inputs alone.

    uv run python bench/policy_bench.py [N]

Packs are loaded once (as in the service). The baseline builds the same N (line, request) pairs
without evaluating them, so the ratio shows what the engine costs on top of the caller's own work.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import date, timedelta

from simexit.kit.money import Money
from simexit.policies.engine import evaluate
from simexit.policies.loader import load_registry
from simexit.policies.model import (
    CaseRequest,
    Channel,
    LineFacts,
    LineKind,
    Plan,
    RequestType,
    SettlementChoice,
)

CURRENCY = {"no": "NOK", "us": "USD", "ru": "RUB"}
TODAY = date(2026, 11, 20)


def build_inputs(
    pack_ids: list[str], n: int, seed: int = 7
) -> list[tuple[str, LineFacts, CaseRequest]]:
    rng = random.Random(seed)
    inputs = []
    for _ in range(n):
        pack_id = rng.choice(pack_ids)
        currency = CURRENCY[pack_id[:2]]
        plan = rng.choice((Plan.prepaid, Plan.postpaid))
        start = TODAY - timedelta(days=rng.randint(0, 700))
        line = LineFacts(
            kind=rng.choice((LineKind.physical_sim, LineKind.esim, LineKind.data_only)),
            plan=plan,
            currency=currency,
            activated_on=start,
            region=rng.choice((None, "CA")),
            commitment_start=start if plan is Plan.postpaid else None,
            commitment_end=start + timedelta(days=730) if plan is Plan.postpaid else None,
            commitment_kind="smartphone",
            commitment_benefit=Money(rng.randint(0, 300_000), currency),
            billing_cycle_day=rng.randint(1, 28),
            last_topup_on=TODAY - timedelta(days=rng.randint(0, 90)),
            balance=Money(rng.randint(0, 50_000), currency) if plan is Plan.prepaid else None,
            unpaid_bills=Money(rng.choice((0, 0, 0, 12_900)), currency),
            device_instalment_balance=Money(rng.choice((0, 48_000)), currency),
            linked_services=("autopay_card", "bankid"),
        )
        request = CaseRequest(
            type=rng.choice(
                (
                    RequestType.terminate,
                    RequestType.terminate,
                    RequestType.port_out,
                    RequestType.suspend,
                )
            ),
            channel=rng.choice((Channel.web, Channel.phone, Channel.store, Channel.agent)),
            settlement=rng.choice((None, SettlementChoice.refund)),
        )
        inputs.append((pack_id, line, request))
    return inputs


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    started = time.perf_counter()
    registry = load_registry()
    load_seconds = time.perf_counter() - started
    pack_ids = registry.ids()
    packs = {pack_id: registry.get(pack_id) for pack_id in pack_ids}

    started = time.perf_counter()
    inputs = build_inputs(pack_ids, n)
    baseline_seconds = time.perf_counter() - started

    evaluate(packs[inputs[0][0]], inputs[0][1], inputs[0][2], TODAY)  # warm the calendar caches
    started = time.perf_counter()
    for pack_id, line, request in inputs:
        evaluate(packs[pack_id], line, request, TODAY)
    evaluate_seconds = time.perf_counter() - started

    baseline_rate = n / baseline_seconds
    evaluate_rate = n / evaluate_seconds
    print(f"packs loaded once: {len(registry.all_ids())} in {load_seconds * 1000:.0f} ms")
    print(f"inputs:            {n}")
    print(f"baseline (build inputs only): {baseline_rate:>10,.0f} /s")
    print(f"evaluate:                     {evaluate_rate:>10,.0f} /s  (target 20,000 /s)")
    print(f"ratio evaluate/baseline:      {evaluate_rate / baseline_rate:>10.2f}")


if __name__ == "__main__":
    main()
