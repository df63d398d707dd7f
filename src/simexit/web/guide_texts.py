"""Guide rules to sentences in the page's language, and a guide as plain text (the golden files).

Every sentence is an English msgid of the `web` domain (see `simexit.web.texts`); the guide
itself (`simexit.guides.build`) decides what is said, this module only how.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from simexit.guides import Guide, GuideRule
from simexit.policies.model import Finding
from simexit.web.i18n import N_, Texts
from simexit.web.texts import (
    BALANCE,
    CHANNEL,
    DEVICE,
    EARLY_EXIT,
    EFFECTIVE_RULE,
    EVIDENCE,
    METHOD,
    UNPAID,
    finding_text,
    label,
    list_text,
    money_text,
)

SECTION = {
    "prepare": N_("1. Before you ask"),
    "request": N_("2. Ask to cancel"),
    "verify": N_("3. Prove who you are"),
    "wait": N_("4. Wait for the end date"),
    "settle": N_("5. Settle the money"),
    "confirm": N_("6. Get the confirmation"),
    "afterwards": N_("7. Afterwards"),
}
LINES = {
    "prepaid": N_("Prepaid lines"),
    "postpaid": N_("Monthly-bill lines"),
    "data_only": N_("Data-only lines"),
    "esim": N_("eSIM lines"),
    "physical_sim": N_("SIM-card lines"),
    "CA": N_("Lines in California"),
}
COMMITMENT_KIND = {
    "smartphone": N_("Smartphone commitments"),
    "basic": N_("Basic phone, tablet and hotspot commitments"),
    "installment_plan": N_("Device instalment plans"),
}
WHO = {
    "account_owner": N_("the account holder"),
    "billing_responsible_party": N_("the person responsible for the bill"),
    "account_manager": N_("an account manager"),
    "notarised_proxy": N_("someone with a notarised power of attorney"),
}
PORT_AUTH = {
    "written_mandate": N_("a signed authorisation"),
    "transfer_pin": N_("a number transfer PIN"),
    "account_number": N_("your account number"),
    "passport_match": N_("passport details that match the contract"),
}
CONFIRM_BY = {
    "sms": N_("SMS"),
    "email": N_("e-mail"),
    "letter": N_("letter"),
    "gov_portal": N_("the state services portal"),
}
CALENDAR = {
    "NO": N_("Norway"),
    "US": N_("United States"),
    "US-CA": N_("California"),
    "RU": N_("Russia"),
}
REGIME = {
    "gdpr": N_("the GDPR"),
    "ccpa": N_("the California Consumer Privacy Act"),
    "cpni": N_("the FCC's customer data (CPNI) rules"),
    "152fz": N_("Federal Law 152-FZ on personal data"),
}
RETENTION = {
    "ip_identification": N_("Data that links an IP address to you"),
    "traffic_data": N_("Call and data traffic records"),
    "accounting": N_("Accounting records"),
    "case_records": N_("This request and its trail"),
    "contact_and_product_data": N_("Contact and product details"),
    "call_recordings": N_("Recorded calls with customer service"),
    "toll_call_billing_records": N_("Billing records of toll calls"),
    "call_and_sms_content": N_("Content of calls and messages"),
    "communication_metadata": N_("Who called or texted whom, and when"),
}
INACTIVITY = {
    "no_topup": N_("After {days} days without a top-up: {action}."),
    "no_chargeable_event": N_("After {days} days without any paid use: {action}."),
    "zero_balance": N_("After {days} days at a zero balance: {action}."),
}
INACTIVITY_ACTION = {
    "suspend_outgoing": N_("outgoing service stops"),
    "daily_fee": N_("a daily fee of {fee} is charged"),
    "terminate": N_("the subscription ends"),
}
GATE = {
    "online_cancel_if_signed_up_online": N_("If you signed up online, you can also cancel online."),
    "voicemail_cancel_processed_within_hours": N_(
        "A cancellation left as a voicemail is processed within {hours} hours."
    ),
    "cancel_visible_with_retention_offer": N_("An offer to stay must not hide the way to cancel."),
    "annual_reminder": N_("You get a yearly reminder of the subscription and how to cancel it."),
    "foreigner_sim_limit": N_(
        "A foreign citizen may hold at most {limit} SIM cards across all operators."
    ),
}
FOR_LINES = N_("{lines}: {text}")
SOURCE_READ = N_("{title} (read {date})")


def _lines_prefix(t: Texts, rule: GuideRule, text: str) -> str:
    if not rule.lines:
        return text
    lines = list_text(t, [label(t, LINES, code) for code in rule.lines])
    return t(FOR_LINES, lines=lines, text=text)


def guide_rule_text(t: Texts, rule: GuideRule) -> list[str]:
    """The sentences of one guide rule (a rule may say several things), with the lines it is
    for in front when it is not for every line."""
    render = _RENDER.get(rule.code)
    sentences = render(t, rule) if render is not None else [rule.code]
    return [_lines_prefix(t, rule, s) for s in sentences if s]


def _value(rule: GuideRule) -> Any:
    return rule.params.get("value")


def _methods(t: Texts, methods: Any, *, either: bool = True) -> str:
    return list_text(t, [label(t, METHOD, str(m)) for m in methods or ()], either=either)


def _channels(t: Texts, rule: GuideRule) -> list[str]:
    rows = []
    for row in _value(rule) or ():
        text = t(
            N_("{channel}: identity checked with {methods}."),
            channel=label(t, CHANNEL, row["channel"]),
            methods=_methods(t, row["identity"]),
        )
        if row.get("via_simexit"):
            text += " " + t(N_("(this site)"))
        elif row.get("address"):
            text += f" ({row['address']})"
        rows.append(text)
    if rows:
        rows.append(
            t(
                N_(
                    "Opening hours and call charges of these channels are not recorded here; the operator gives them."
                )
            )
        )
    return rows


def _identity(t: Texts, rule: GuideRule) -> list[str]:
    return [
        t(N_("To cancel, you prove who you are with {methods}."), methods=_methods(t, _value(rule)))
    ]


def _who(t: Texts, rule: GuideRule) -> list[str]:
    who = list_text(t, [label(t, WHO, str(w)) for w in _value(rule) or ()], either=True)
    return [t(N_("Only {who} can ask to cancel."), who=who)] if who else []


def _checklist(t: Texts, rule: GuideRule) -> list[str]:
    params = {k: v for k, v in rule.params.items() if k != "finding"}
    return [finding_text(t, Finding(str(rule.params["finding"]), params), None)]


def _preconditions(t: Texts, rule: GuideRule) -> list[str]:
    texts = {
        "no_roaming_in_prior_2_months": N_(
            "The operator asks that the line was not used abroad (roaming) in the two months before."
        )
    }
    return [label(t, texts, str(code)) for code in _value(rule) or ()]


def _effective(t: Texts, rule: GuideRule) -> list[str]:
    rule_text = EFFECTIVE_RULE.get(str(_value(rule)), EFFECTIVE_RULE["immediate"])
    return [t.gettext(rule_text).format(n_days=rule.params.get("n_days") or "")]


def _review_sla(t: Texts, rule: GuideRule) -> list[str]:
    out = [t(N_("The operator handles a request within {days} business days."), days=_value(rule))]
    calendar = rule.params.get("calendar")
    if calendar:
        out.append(
            t(
                N_("Business days follow the public holidays of {calendar}."),
                calendar=label(t, CALENDAR, str(calendar)),
            )
        )
    return out


def _cooling_off(t: Texts, rule: GuideRule) -> list[str]:
    if not _value(rule):
        return [t(N_("No general right of withdrawal for new contracts is recorded."))]
    return [
        t(
            N_("New contracts bought online or by phone can be withdrawn within {days} days."),
            days=_value(rule),
        )
    ]


def _fee(t: Texts, rule: GuideRule) -> list[str]:
    value, cur = _value(rule), rule.params.get("currency")
    if not value or Decimal(str(value)) == 0:
        return [t(N_("No fee for cancelling."))]
    return [t(N_("Cancellation fee: {amount}."), amount=money_text(t, value, cur))]


def _early_exit(t: Texts, rule: GuideRule) -> list[str]:
    value, cur = _value(rule) or {}, rule.params.get("currency")
    text = t.gettext(EARLY_EXIT.get(str(value.get("type", "none")), EARLY_EXIT["none"])).format(
        amount=money_text(t, value.get("amount"), cur),
        decrement=money_text(t, value.get("decrement_per_month"), cur),
    )
    kind = str(value.get("applies_to") or "any")
    if kind in COMMITMENT_KIND:
        text = t(FOR_LINES, lines=t.gettext(COMMITMENT_KIND[kind]), text=text)
    if value.get("free_window_days"):
        text += " " + t(
            N_("No fee when you cancel within {days} days of the start."),
            days=value["free_window_days"],
        )
    return [text]


def _max_months(t: Texts, rule: GuideRule) -> list[str]:
    if _value(rule) is None:
        return [t(N_("No upper limit on how long a commitment may last is recorded."))]
    return [t(N_("A commitment lasts at most {months} months."), months=_value(rule))]


def _adverse(t: Texts, rule: GuideRule) -> list[str]:
    if _value(rule):
        return [
            t(
                N_(
                    "If the operator changes the terms to your disadvantage, you can leave without an early exit fee."
                )
            )
        ]
    return [t(N_("Leaving without a fee after a change of terms is not recorded."))]


def _overbilled(t: Texts, rule: GuideRule) -> list[str]:
    if not _value(rule):
        return []
    return [t(N_("Amounts billed for the time after the notice period are paid back."))]


def _balance(t: Texts, rule: GuideRule) -> list[str]:
    value, cur = _value(rule) or {}, rule.params.get("currency")
    out = [label(t, BALANCE, str(value.get("policy")))]
    if value.get("min_payout"):
        out.append(
            t(
                N_("Amounts below {amount} are not paid out."),
                amount=money_text(t, value["min_payout"], cur),
            )
        )
    if "bonus" in (value.get("excluded") or ()):
        out.append(t(N_("Bonus credit is not paid out.")))
    return out


def _refund_on_switch(t: Texts, rule: GuideRule) -> list[str]:
    if _value(rule):
        return [
            t(N_("When you move your number, remaining prepaid credit is paid back on request."))
        ]
    return [t(N_("Remaining prepaid credit is not paid back when the number moves."))]


def _min_topup(t: Texts, rule: GuideRule) -> list[str]:
    if not _value(rule):
        return [t(N_("No waiting time after a top-up is recorded."))]
    return [
        t(
            N_("You can cancel {days} days after the last top-up at the earliest."),
            days=_value(rule),
        )
    ]


def _sim_return(t: Texts, rule: GuideRule) -> list[str]:
    if not _value(rule):
        return [t(N_("You do not need to return the SIM card. Cut it up once the line is closed."))]
    return [
        t(
            N_("Return the SIM card within {days} days, or a fee of {fee} applies."),
            days=rule.params.get("days") or "",
            fee=money_text(t, rule.params.get("fee"), rule.params.get("currency")),
        )
    ]


def _esim(t: Texts, _rule: GuideRule) -> list[str]:
    return [
        t(
            N_(
                "Deleting an eSIM profile from your phone does not cancel the subscription: it keeps running and is still billed. Cancel first, then delete the profile."
            )
        )
    ]


def _porting(t: Texts, rule: GuideRule) -> list[str]:
    p = rule.params
    out = [
        t(
            N_(
                "To keep your number, ask your new operator to transfer it. The transfer ends this subscription by itself."
            )
        )
    ]
    needs = [label(t, PORT_AUTH, str(a)) for a in p.get("authorisation") or ()]
    if needs:
        out.append(t(N_("Your new operator needs {needs} from you."), needs=list_text(t, needs)))
    if p.get("min_days") is not None and p.get("max_days") is not None:
        out.append(
            t(
                N_("The transfer can be set from {min} days to {max} days after the application."),
                min=p["min_days"],
                max=p["max_days"],
            )
        )
    if p.get("fee") is not None and Decimal(str(p["fee"])) > 0:
        out.append(
            t(
                N_("The transfer costs {fee}."),
                fee=money_text(t, p["fee"], p.get("currency")),
            )
        )
    return out


def _inactivity(t: Texts, rule: GuideRule) -> list[str]:
    value = _value(rule) or {}
    action_text = INACTIVITY_ACTION.get(str(value.get("action")), INACTIVITY_ACTION["terminate"])
    action = t.gettext(action_text).format(
        fee=money_text(t, value.get("fee"), rule.params.get("currency"))
    )
    trigger = INACTIVITY.get(str(value.get("trigger")), INACTIVITY["no_topup"])
    return [t(trigger, days=value.get("after_days"), action=action)]


def _suspension(t: Texts, rule: GuideRule) -> list[str]:
    if not _value(rule):
        return [t(N_("Pausing a line is not offered."))]
    return [
        t(
            N_("You can pause the line instead, for up to {days} days."),
            days=rule.params.get("max_days") or "",
        )
    ]


def _reactivation(t: Texts, rule: GuideRule) -> list[str]:
    if not _value(rule):
        return [t(N_("A cancelled line cannot be reactivated."))]
    return [t(N_("A cancelled line can be reactivated within {days} days."), days=_value(rule))]


def _quarantine(t: Texts, rule: GuideRule) -> list[str]:
    out = []
    if _value(rule):
        out.append(
            t(
                N_(
                    "After cancellation the number rests for {days} days before it is given to someone else."
                ),
                days=_value(rule),
            )
        )
    if rule.params.get("max_days"):
        out.append(
            t(
                N_("It is given to someone else at the latest {days} days after."),
                days=rule.params["max_days"],
            )
        )
    return out


def _disconnection(t: Texts, _rule: GuideRule) -> list[str]:
    return [t(N_("The day the number was disconnected is recorded."))]


def _document_check(t: Texts, rule: GuideRule) -> list[str]:
    if not _value(rule):
        return []
    return [t(N_("The operator records how your identity was checked."))]


def _unpaid(t: Texts, rule: GuideRule) -> list[str]:
    return [label(t, UNPAID, str(_value(rule)))]


def _device(t: Texts, rule: GuideRule) -> list[str]:
    return [label(t, DEVICE, str(_value(rule)))]


def _confirmation(t: Texts, rule: GuideRule) -> list[str]:
    channels = [label(t, CONFIRM_BY, str(c)) for c in _value(rule) or ()]
    if not channels:
        return []
    return [
        t(
            N_("The cancellation is confirmed to you by {channels}."),
            channels=list_text(t, channels),
        )
    ]


def _gate(t: Texts, rule: GuideRule) -> list[str]:
    value = _value(rule) or {}
    params: Mapping[str, Any] = value.get("params") or {}
    key = str(params.get("duty") or value.get("rule"))
    if key not in GATE:
        return []
    return [t(GATE[key], **{k: v for k, v in params.items() if k != "duty"})]


def _regime(t: Texts, rule: GuideRule) -> list[str]:
    laws = [label(t, REGIME, str(r)) for r in _value(rule) or ()]
    return [t(N_("Your personal data is protected by {laws}."), laws=list_text(t, laws))]


def _retention(t: Texts, rule: GuideRule) -> list[str]:
    value = _value(rule) or {}
    what = label(t, RETENTION, str(rule.params.get("category")))
    basis = str(value.get("basis") or "")
    if value.get("days") is None:
        return [t(N_("{what}: kept only as long as needed ({basis})."), what=what, basis=basis)]
    return [
        t(
            N_("{what}: kept {days} days after the contract ends ({basis})."),
            what=what,
            days=value["days"],
            basis=basis,
        )
    ]


def _erasure(t: Texts, rule: GuideRule) -> list[str]:
    months = rule.params.get("months")
    if months:
        return [
            t(
                N_(
                    "You can ask for your personal data to be erased; it is done within {months} month(s)."
                ),
                months=months,
            )
        ]
    if _value(rule):
        return [
            t(
                N_(
                    "You can ask for your personal data to be erased; it is done within {days} days."
                ),
                days=_value(rule),
            )
        ]
    return []


_RENDER: dict[str, Callable[[Texts, GuideRule], list[str]]] = {
    "channels": _channels,
    "identity": _identity,
    "who_may_cancel": _who,
    "checklist": _checklist,
    "preconditions": _preconditions,
    "effective_rule": _effective,
    "review_sla": _review_sla,
    "cooling_off": _cooling_off,
    "cancellation_fee": _fee,
    "early_exit": _early_exit,
    "max_months": _max_months,
    "adverse_change": _adverse,
    "overbilled": _overbilled,
    "device_balance": _device,
    "unpaid_bills": _unpaid,
    "balance": _balance,
    "refund_on_switch": _refund_on_switch,
    "min_topup_age": _min_topup,
    "sim_return": _sim_return,
    "esim_delete": _esim,
    "porting": _porting,
    "inactivity": _inactivity,
    "suspension": _suspension,
    "reactivation": _reactivation,
    "quarantine": _quarantine,
    "disconnection_date": _disconnection,
    "document_check": _document_check,
    "confirmation": _confirmation,
    "gate": _gate,
    "regime": _regime,
    "retention": _retention,
    "erasure": _erasure,
}


def source_text(t: Texts, title: str, retrieved: str | None) -> str:
    return t(SOURCE_READ, title=title, date=t.date(retrieved)) if retrieved else title


def guide_text(t: Texts, guide: Guide) -> str:
    """The guide as plain text in the page's language: each step, each rule's sentences, its
    evidence and its sources (what the golden files under tests/web/golden/ hold)."""
    out = [guide.legal_name or guide.pack_id]
    for section in guide.sections:
        out += ["", f"## {t.gettext(SECTION[section.code])}"]
        for rule in section.rules:
            sentences = guide_rule_text(t, rule)
            if not sentences:
                continue
            # A channel list reads one channel a line; other rules as one paragraph.
            joiner = "\n  " if rule.code == "channels" else " "
            out.append("- " + joiner.join(sentences))
            if rule.status:
                out.append(f"  [{rule.status} · {label(t, EVIDENCE, rule.status)}]")
            for source in rule.sources:
                out.append(f"  {source_text(t, source.title, source.retrieved)} <{source.url}>")
    return "\n".join(out) + "\n"
