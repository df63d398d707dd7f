"""Every field of the pack schema is read by the engine, a job or the guides: a field nobody reads
is a rule nobody follows. `READERS` names, for each field, the module that reads it and the text
that shows it does; the test fails on a field missing here, a reader that no longer reads it, or
an entry for a field the schema dropped.

A new field: add it to `READERS` with the code that acts on it (and if nothing should, drop the
field). `inactivity` is read by the guides (and by `campaigns` for bulk sweeps where that module
exists, issue 21).
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel

from simexit.policies import schema

SRC = Path(__file__).resolve().parents[2] / "src" / "simexit"
# Where a field may be read: the engine (compiling and evaluating rules), jobs and services that
# act on cases, lines, refunds and data, and the guides. The loader reads only the pack header.
READER_PREFIXES = (
    "policies/rules.py",
    "policies/engine.py",
    "policies/pack.py",
    "policies/loader.py",
    # The schedule bulk sweeps act on (issue 21's campaigns); the guides show the same rules.
    "policies/inactivity.py",
    "cases/",
    "privacy/",
    "refunds/",
    "provisioning/",
    "notifications/",
    "guides/",
    "campaigns/",
    # Retention offers: which apply to a line, and what taking one does.
    "retention/",
    # The sentence of an offer is a text of the portal (`web.texts.RETENTION_OFFER`).
    "web/routes/portal/offers.py",
)
RULES, ENGINE, PACK, GUIDES = (
    "policies/rules.py",
    "policies/engine.py",
    "policies/pack.py",
    "guides/build.py",
)

READERS: dict[str, tuple[str, str]] = {
    "pack.id": (PACK, "document.pack.id"),
    "pack.kind": (PACK, "document.pack.kind"),
    "pack.extends": ("policies/loader.py", "header.extends"),
    "pack.country": (PACK, "document.pack.country"),
    "pack.region": ("policies/loader.py", "header.region"),
    "pack.operator.legal_name": (GUIDES, '"legal_name"'),
    "pack.operator.org_id": (GUIDES, '"org_id"'),
    "pack.operator.brands": (GUIDES, '"brands"'),
    "pack.reviewed": (RULES, "doc.pack.reviewed"),
    "sources.*.url": (GUIDES, '"url"'),
    "sources.*.title": (GUIDES, '"title"'),
    "sources.*.retrieved": (GUIDES, '"retrieved"'),
    "sources.*.kind": (GUIDES, '"kind"'),
    "locale.currency": (RULES, "doc.locale.currency"),
    "locale.timezone": ("cases/service/common.py", ".timezone"),
    "locale.languages": ("provisioning/rules.py", ".languages"),
    "review.mode": (RULES, "doc.review.mode"),
    "review.sla_business_days": (RULES, "doc.review.sla_business_days"),
    "review.calendar": (RULES, "doc.review.calendar"),
    "review.confirmation_channels": ("cases/service/common.py", "confirmation_channels"),
    "cancellation.channels.channel": (RULES, "rule.channel"),
    "cancellation.channels.identity": (RULES, "rule.identity"),
    "cancellation.channels.request_types": (RULES, "rule.request_types"),
    "cancellation.channels.plans": (RULES, "rule.plans"),
    "cancellation.channels.kinds": (RULES, "rule.kinds"),
    "cancellation.channels.address": (GUIDES, '"address"'),
    "cancellation.channels.identity_required": (
        "cases/service/intake.py",
        "rule.identity_required",
    ),
    "retention_offers.code": ("retention/rules.py", "offer.value.code"),
    "retention_offers.kind": ("retention/rules.py", "offer.value.kind"),
    "retention_offers.plans": ("retention/rules.py", "offer.value.plans"),
    "retention_offers.text_key": ("web/routes/portal/offers.py", "offer.text_key"),
    "cancellation.channels.via_simexit": (GUIDES, '"via_simexit"'),
    "cancellation.notice.effective_rule": (RULES, "n.effective_rule"),
    "cancellation.notice.n_days": (RULES, "n.n_days"),
    "cancellation.notice.refund_overbilled_beyond_notice": (
        GUIDES,
        '"refund_overbilled_beyond_notice"',
    ),
    "cancellation.cancellation_fee": (RULES, "c.cancellation_fee"),
    "cancellation.commitment.max_months": (GUIDES, '"max_months"'),
    "cancellation.commitment.early_exit.applies_to": (RULES, "ev.value.applies_to"),
    "cancellation.commitment.early_exit.type": (RULES, "ev.value.type"),
    "cancellation.commitment.early_exit.amount": (RULES, "ev.value.amount"),
    "cancellation.commitment.early_exit.decrement_per_month": (
        RULES,
        "ev.value.decrement_per_month",
    ),
    "cancellation.commitment.early_exit.admin_fee": (RULES, "ev.value.admin_fee"),
    "cancellation.commitment.early_exit.free_window_days": (RULES, "ev.value.free_window_days"),
    "cancellation.commitment.early_exit.cap": (RULES, "ev.value.cap"),
    "cancellation.commitment.free_exit_on_adverse_change": (
        GUIDES,
        '"free_exit_on_adverse_change"',
    ),
    "cancellation.device_balance_due_on_cancel": (RULES, "c.device_balance_due_on_cancel"),
    "cancellation.unpaid_bills": (RULES, "c.unpaid_bills"),
    "cancellation.cooling_off_days": (RULES, "c.cooling_off_days"),
    "cancellation.termination_preconditions": (GUIDES, '"termination_preconditions"'),
    "identity.at_termination": (RULES, "doc.identity.at_termination"),
    "identity.who_may_cancel": (GUIDES, '"who_may_cancel"'),
    "identity.document_check_record_required": (GUIDES, '"document_check_record_required"'),
    "prepaid.balance_on_cancel.policy": (RULES, "balance.policy"),
    "prepaid.balance_on_cancel.min_payout": (RULES, "balance.min_payout"),
    "prepaid.balance_on_cancel.excluded": (RULES, "balance.excluded"),
    "prepaid.balance_on_cancel.methods": (RULES, "balance.methods"),
    "prepaid.refund_on_switch": (RULES, "p.refund_on_switch"),
    "prepaid.min_days_since_last_topup": (RULES, "p.min_days_since_last_topup"),
    "prepaid.inactivity.trigger": ("policies/inactivity.py", "rule.trigger"),
    "prepaid.inactivity.after_days": ("policies/inactivity.py", "rule.after_days"),
    "prepaid.inactivity.action": ("policies/inactivity.py", "rule.action"),
    "prepaid.inactivity.fee": ("policies/inactivity.py", "rule.fee"),
    "prepaid.refund_account_formats": ("refunds/service.py", "refund_account_formats"),
    "porting.ends_donor_contract": (GUIDES, '"ends_donor_contract"'),
    "porting.donor_billing_until": (RULES, "doc.porting.donor_billing_until"),
    "porting.authorisation": (GUIDES, '"authorisation"'),
    "porting.min_lead_days": (RULES, "doc.porting.min_lead_days"),
    "porting.max_lead_days": (RULES, "doc.porting.max_lead_days"),
    "porting.fee": (GUIDES, '"porting", "fee"'),
    "porting.blocks_on_debt": (RULES, "doc.porting.blocks_on_debt"),
    "numbering.quarantine_days": (RULES, "doc.numbering.quarantine_days"),
    "numbering.quarantine_max_days": (GUIDES, '"quarantine_max_days"'),
    "numbering.record_disconnection_date": (GUIDES, '"record_disconnection_date"'),
    "numbering.mobile_country_codes": ("provisioning/rules.py", "mobile_country_codes"),
    "sim.physical_return_required": (RULES, "doc.sim.physical_return_required"),
    "sim.return_within_days": (RULES, "doc.sim.return_within_days"),
    "sim.non_return_fee": (RULES, "doc.sim.non_return_fee"),
    "sim.esim_profile_deletion_cancels": (GUIDES, '"esim_profile_deletion_cancels"'),
    "suspension.allowed": (RULES, "s.allowed"),
    "suspension.max_days": (RULES, "s.max_days"),
    "suspension.times_per_year": (RULES, "s.times_per_year"),
    "suspension.fee": (RULES, "s.fee"),
    "suspension.during_commitment": (RULES, "s.during_commitment"),
    "suspension.counted_per": (RULES, "s.counted_per"),
    "reactivation.window_days": (RULES, "r.window_days"),
    "reactivation.fee": (RULES, "r.fee"),
    "data_protection.regime": (GUIDES, '"regime"'),
    "data_protection.retention.*.days": ("cases/tasks.py", 'retention_days("case_records")'),
    "data_protection.retention.*.basis": ("guides/build.py", '"retention"'),
    "data_protection.erasure_deadline_days": ("privacy/service.py", "erasure_due"),
    "data_protection.erasure_deadline_months": ("privacy/service.py", "erasure_due"),
    "regulatory_gates.*.rule": (RULES, "ev.value.rule"),
    "regulatory_gates.*.applies_to": (RULES, "ev.value.applies_to"),
    "regulatory_gates.*.params": (RULES, "ev.value.params"),
    "products": ("policies/loader.py", '"products"'),
}


def _inner(annotation: typing.Any) -> typing.Any:
    meta = getattr(annotation, "__pydantic_generic_metadata__", None)
    if meta and meta.get("origin") is schema.Ev:
        return _inner(meta["args"][0])
    return annotation


def _models(annotation: typing.Any) -> Iterator[type[BaseModel]]:
    annotation = _inner(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for arg in typing.get_args(annotation):
        yield from _models(arg)


def _leaves(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        inner = list(_models(info.annotation))
        if not inner or path == "products":
            yield path
            continue
        keyed = typing.get_origin(_inner(info.annotation)) is dict
        for sub in inner:
            yield from _leaves(sub, f"{path}.*." if keyed else f"{path}.")


FIELDS = sorted(set(_leaves(schema.PackDocument)))


def test_every_schema_field_has_a_reader() -> None:
    assert [path for path in FIELDS if path not in READERS] == []


def test_no_reader_for_a_field_the_schema_dropped() -> None:
    assert [path for path in READERS if path not in FIELDS] == []


def test_each_reader_reads_its_field() -> None:
    broken = []
    for path, (module, token) in READERS.items():
        assert module.startswith(READER_PREFIXES), (
            f"{path}: {module} is not an engine, job or guide"
        )
        text = (SRC / module).read_text(encoding="utf-8")
        if token not in text:
            broken.append(f"{path}: {module} does not contain {token!r}")
    assert broken == []
