"""Codes to sentences: findings, charges, guide rules, states and choices, in the page's language.

Every sentence is an English msgid of the `web` domain, marked with `N_` for extraction and
formatted with named `{placeholders}` after translation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.lists import format_list

from simexit.kit.money import Money
from simexit.policies.model import Finding
from simexit.web.i18n import N_, Texts

STATUS = {
    "draft": N_("Draft"),
    "awaiting_verification": N_("Waiting for your code"),
    "submitted": N_("Received"),
    "blocked": N_("On hold"),
    "in_review": N_("Being reviewed"),
    "information_required": N_("Waiting for your answer"),
    "approved": N_("Approved"),
    "executing": N_("In progress"),
    "completed": N_("Completed"),
    "expired": N_("Expired"),
    "rejected": N_("Not approved"),
    "withdrawn": N_("Withdrawn"),
    "failed": N_("Needs attention"),
    "superseded": N_("Replaced by a new request"),
}
LINE_STATUS = {
    "active": N_("Active"),
    "suspended": N_("Paused"),
    "pending_termination": N_("Cancellation scheduled"),
    "terminated": N_("Cancelled"),
    "number_released": N_("Number released"),
}
CASE_TYPE = {
    "terminate": N_("Cancellation"),
    "suspend": N_("Pause"),
    "resume": N_("Resume"),
    "port_out": N_("Number transfer"),
    "reactivate": N_("Reactivation"),
}
LINE_KIND = {"physical_sim": N_("SIM card"), "esim": N_("eSIM"), "data_only": N_("Data-only SIM")}
PLAN = {"prepaid": N_("Prepaid"), "postpaid": N_("Monthly bill")}
CHANNEL = {
    "web": N_("Website"),
    "app": N_("App"),
    "api": N_("Partner systems"),
    "agent": N_("Customer service agent"),
    "phone": N_("Phone"),
    "email": N_("E-mail"),
    "chat": N_("Chat"),
    "store": N_("Store"),
    "reseller": N_("The shop that sold the card"),
    "port_in_operator": N_("Your new operator"),
}
METHOD = {
    "sms_otp": N_("a code sent by SMS"),
    "sms_code": N_("a code sent by SMS"),
    "email_otp": N_("a code sent by e-mail"),
    "email_code": N_("a code sent by e-mail"),
    "id_document": N_("an ID document"),
    "passport": N_("an ID document"),
    "passport_in_person": N_("an ID document shown in person"),
    "account_pin": N_("your account PIN"),
    "account_login": N_("your account login"),
    "bankid": N_("BankID"),
    "gosuslugi": N_("Gosuslugi"),
    "id_porten": N_("ID-porten"),
    "written_mandate": N_("a signed authorisation"),
}
REASONS = {
    "moving_abroad": N_("Moving abroad"),
    "switching_operator": N_("Switching to another operator"),
    "too_expensive": N_("Too expensive"),
    "not_needed": N_("I no longer need it"),
    "coverage": N_("Poor coverage"),
    "other": N_("Other reason"),
}
REJECTION = {
    "identity_not_confirmed": N_("Identity could not be confirmed"),
    "not_account_holder": N_("Not the account holder"),
    "unpaid_bills": N_("Unpaid bills"),
    "duplicate_request": N_("Duplicate request"),
    "fraud_suspected": N_("Suspected fraud"),
    "policy_not_met": N_("The operator's rules are not met"),
    "other": N_("Other reason"),
}
# Reasons simexit gives itself, never offered to an agent (shown like `REJECTION`).
SYSTEM_REJECTION = {
    "information_not_provided": N_("The information we asked for did not reach us in time"),
}
# What an agent may ask the subscriber for (`cases.information.INFORMATION_KINDS`).
INFORMATION_KIND = {
    "id_copy": N_("A copy of the identity document"),
    "purchase_proof": N_("The proof of purchase"),
    "corrected_name": N_("The name as it should be written"),
    "other": N_("Something else"),
}
# The sentences of the packs' retention offers, by their `text_key`.
RETENTION_OFFER = {
    "pause_instead": N_(
        "Not using the line for a while? Pause it instead: the number stays yours and you can start again later."
    ),
    "cheaper_plan": N_(
        "Paying too much? The operator can offer you a cheaper plan instead of cancelling."
    ),
}
SETTLEMENT = {
    "refund": N_("Pay the remaining balance back to me"),
    "transfer": N_("Move the remaining balance to another number"),
    "forfeit": N_("I give up the remaining balance"),
}
CHARGES = {
    "early_exit_fee": N_("Early exit fee"),
    "early_exit_admin_fee": N_("Early exit administration fee"),
    "cancellation_fee": N_("Cancellation fee"),
    "device_instalments": N_("Remaining device instalments"),
    "unpaid_bills": N_("Unpaid bills"),
    "suspension_fee": N_("Pause fee"),
    "reactivation_fee": N_("Reactivation fee"),
}
EVIDENCE = {"V": N_("Verified"), "S": N_("Second-hand source"), "U": N_("Not verified")}
AUDIT = {
    "case.opened": N_("Request opened"),
    "case.start_verification": N_("Identity check started"),
    "case.submit": N_("Request sent"),
    "case.policy_passed": N_("Checked against the rules: may go ahead"),
    "case.policy_flagged": N_("Sent to a person for review"),
    "case.policy_blocked": N_("Put on hold"),
    "case.approve": N_("Approved"),
    "case.reject": N_("Not approved"),
    "case.withdraw": N_("Withdrawn"),
    "case.expire": N_("Expired"),
    "case.claim": N_("Taken on by a staff member"),
    "case.assign": N_("Assigned to a staff member"),
    "case.unassign": N_("Handed back to the queue"),
    "case.execute": N_("Closing of the line started"),
    "case.execution_succeeded": N_("Line closed"),
    "case.execution_failed": N_("Closing the line failed; staff will retry"),
    "case.retry": N_("Closing of the line restarted"),
    "case.supersede": N_("Replaced by a new request"),
    "case.request_information": N_("Information requested from the subscriber"),
    "case.provide_information": N_("Information received"),
    "case.information_lapsed": N_("No answer by the due date"),
    "case.sla_resumed": N_("Time to decide resumed"),
    "verification.passed": N_("Identity confirmed"),
    "verification.failed": N_("Wrong code entered"),
    "verification.locked": N_("Code locked after too many tries"),
    "verification.expired": N_("Code expired"),
    "verification.attested": N_("Identity checked by staff"),
    "case.sla_due_soon": N_("Reminder: the answer is due soon"),
    "case.sla_breached": N_("The answer is overdue"),
    "line.sim_returned": N_("SIM card received back"),
    "line.terminated": N_("Line cancelled"),
    "line.number_released": N_("Number released"),
    "line.ported_out": N_("Number moved to another operator"),
    "line.port_out_requested": N_("Number transfer requested"),
    "line.port_out_completed": N_("Number transfer completed"),
    "line.port_out_linked": N_("Number transfer linked to its request"),
    "line.suspended": N_("Line paused"),
    "line.suspension_cleared": N_("Pause ended"),
    "line.resumed": N_("Line resumed"),
    "line.reactivated": N_("Line reactivated"),
}
ACTOR = {
    "subscriber": N_("Subscriber"),
    "agent": N_("Staff"),
    "integrator": N_("Partner system"),
    "reseller": N_("Reseller"),
    "system": N_("simexit (automatic)"),
    "cli": N_("Administrator"),
}
ROLE = {"agent": N_("Agent"), "supervisor": N_("Supervisor"), "admin": N_("Administrator")}
VERIFICATION_STATUS = {
    "pending": N_("Waiting for the code"),
    "passed": N_("Confirmed"),
    "failed": N_("Failed"),
    "locked": N_("Locked after too many tries"),
    "expired": N_("Expired"),
}
# Labels of the notification channels; a channel without one is shown by its name.
MESSAGE_CHANNEL = {"email": N_("E-mail"), "sms": N_("SMS"), "push": N_("Push")}
MESSAGE_KIND = {
    "verification.code": N_("One-time code"),
    "case.opened": N_("Request opened"),
    "case.received": N_("Request received"),
    "case.submitted": N_("Request sent"),
    "case.in_review": N_("Being reviewed"),
    "case.information_required": N_("Information requested"),
    "case.blocked": N_("On hold"),
    "case.approved": N_("Approved"),
    "case.rejected": N_("Not approved"),
    "case.withdrawn": N_("Withdrawn"),
    "case.completed": N_("Completed"),
    "case.failed": N_("Needs attention"),
    "case.step_failed": N_("A closing step failed"),
    "case.reminder": N_("Reminder"),
    "case.sla_due_soon": N_("Reminder: the answer is due soon"),
    "case.sla_breached": N_("The answer is overdue"),
    "line.esim_notice": N_("eSIM profile notice"),
    "line.sim_returned": N_("SIM card received back"),
    "line.number_released": N_("Number released"),
}
JOB_STATUS = {
    "queued": N_("Queued"),
    "running": N_("Running"),
    "done": N_("Done"),
    "succeeded": N_("Done"),
    "failed": N_("Failed"),
    "dead": N_("Gave up"),
}
NEXT_STEP = {
    "draft": N_("Finish the request and confirm it with the code we send you."),
    "awaiting_verification": N_("Enter the code we sent you to send the request."),
    "submitted": N_("We are checking the request against the operator's rules."),
    "blocked": N_(
        "Something must be sorted out first; see below. You can withdraw the request at any time."
    ),
    "in_review": N_(
        "A person at the operator is looking at your request. You will get a message when it is decided."
    ),
    "information_required": N_(
        "We need something from you; see below. Until you answer, the time we take to decide does not run."
    ),
    "approved": N_(
        "Nothing more to do. The line closes on the date shown; until then you can still withdraw."
    ),
    "executing": N_("The line is being closed now. You will get a confirmation when it is done."),
    "completed": N_(
        "The line is closed. You can now cut up the SIM card or delete the eSIM profile."
    ),
    "expired": N_("This request was never confirmed. Start again if you still want to cancel."),
    "rejected": N_("The request was not approved. You can send a new one with an explanation."),
    "withdrawn": N_("You withdrew this request; the line stays as it was."),
    "failed": N_("Closing the line hit a technical problem. Staff have been told and will retry."),
    "superseded": N_("A newer request replaced this one."),
}

# The next step where a case type other than a termination says something else.
NEXT_STEP_BY_TYPE = {
    "suspend": {
        "approved": N_(
            "Nothing more to do. The line pauses on the date shown; until then you can still withdraw."
        ),
        "executing": N_(
            "The line is being paused now. You will get a confirmation when it is done."
        ),
        "completed": N_("The line is paused. It works again when the pause ends."),
    },
    "resume": {
        "approved": N_("Nothing more to do. The line works again from the date shown."),
        "executing": N_("Your request is being carried out now. You will get a confirmation."),
        "completed": N_("The line works again."),
    },
    "reactivate": {
        "approved": N_("Nothing more to do. The line is active again from the date shown."),
        "executing": N_("Your request is being carried out now. You will get a confirmation."),
        "completed": N_("The line is active again."),
    },
    "port_out": {
        "approved": N_(
            "Nothing more to do. The number moves to your new operator on the date shown."
        ),
        "executing": N_("Your request is being carried out now. You will get a confirmation."),
        "completed": N_(
            "The number has moved to your new operator, and this subscription has ended."
        ),
    },
}
# What the date of a case means, by its type ("Subscription ends" only where it does).
EFFECTIVE_LABEL = {
    "terminate": N_("Subscription ends"),
    "suspend": N_("Pause starts"),
    "resume": N_("Line works again from"),
    "reactivate": N_("Line active again from"),
    "port_out": N_("Number moves on"),
}
WHEN_APPROVED = N_("When the request is approved (answer expected by {date})")


def next_step(t: Texts, case_type: str, status: str) -> str:
    by_type = NEXT_STEP_BY_TYPE.get(case_type, {})
    return t.gettext(by_type[status]) if status in by_type else label(t, NEXT_STEP, status)


FINDINGS = {
    "backup_sim_contacts": N_(
        "Copy the contacts and messages stored on the SIM card to your phone or the cloud."
    ),
    "backup_data_card": N_(
        "Save what the device with the data card keeps (messages, settings, the hotspot name and password) before the line closes."
    ),
    "move_two_factor": N_(
        "Move logins that send codes to this number (for example {services}) to another number first."
    ),
    "unbind_autopay": N_("Remove the bank card or automatic top-up linked to this line."),
    "cancel_third_party_billing": N_("Cancel services you pay for through your phone bill."),
    "keep_id_and_purchase_proof": N_(
        "Keep your ID and proof of purchase (receipt or order page) until the case is closed."
    ),
    "esim_delete_after_completion": N_(
        "Deleting the eSIM profile from your phone does not cancel the subscription. Delete it only after we confirm the cancellation."
    ),
    "return_sim": N_("Return the SIM card by {deadline}, or a fee of {fee} applies."),
    "settle_unpaid_bills": N_("Pay the unpaid bills of {amount}, or agree a payment plan."),
    "choose_balance_outcome": N_("Choose what happens to the remaining balance."),
    "keep_line_until_port_completes": N_(
        "Keep the line active until the number transfer is complete."
    ),
    "cancel_excess_sims": N_("You hold {count} SIM cards; the limit is {limit}."),
    "port_out": N_(
        "Keep your number: ask your new operator to transfer it. That ends this subscription by itself, with no separate cancellation."
    ),
    "suspend": N_("Pause the line instead if you need a break (up to {max_days} days)."),
    "unpaid_bills": N_(
        "There are unpaid bills of {amount}. They must be paid first, or a payment plan agreed."
    ),
    "instalment_plan_needed": N_(
        "Unpaid bills of {amount} need a payment plan before the line can close."
    ),
    "port_pending": N_(
        "Your number is being moved to another operator. That move ends this subscription by itself."
    ),
    "port_date_too_late": N_("A number transfer can be set for {latest} at the latest."),
    "min_topup_age": N_(
        "The line was topped up {days} days ago; the operator requires {minimum} days. You can cancel from {allowed_from}."
    ),
    "channel_not_allowed": N_(
        "This operator does not accept this request through this channel. See the guide for the ways that work."
    ),
    "line_status_not_allowed": N_("This line cannot take this request in its current state."),
    "transfer_number_missing": N_("Enter the number that should receive the balance."),
    "refund_below_minimum": N_("Balances below {minimum} are not paid out."),
    "settlement_not_offered": N_(
        "That choice is not offered by this operator; the balance is forfeited."
    ),
    "suspension_not_allowed": N_("This operator does not offer pausing a line."),
    "suspension_limit_reached": N_(
        "The line has already been paused {times} times this year (limit {limit})."
    ),
    "suspension_too_long": N_("A pause can last at most {max_days} days (until {latest_until})."),
    "suspension_not_during_commitment": N_(
        "The line cannot be paused during the commitment period (until {commitment_end})."
    ),
    "reactivation_not_offered": N_("This operator does not reactivate cancelled lines."),
    "reactivation_window_over": N_("Reactivation was possible until {deadline}."),
    "sim_limit_reached": N_("You hold {count} SIM cards; the limit is {limit}."),
    "device_instalments_continue": N_(
        "The remaining device instalments ({balance}) continue to be billed."
    ),
    "manual_review_policy": N_("This operator has every request checked by a person."),
    "unverified_policy_value": N_(
        "A rule used here is not confirmed yet, so a person checks the request."
    ),
    "commitment_benefit_unknown": N_("A person checks the early exit amount."),
    "monthly_fee_unknown": N_("A person checks the monthly fee used for the early exit amount."),
    "commitment_kind_unknown": N_(
        "A person checks what the commitment was for, which decides the early exit amount."
    ),
    "identity_method_differs": N_(
        "The operator normally asks for another kind of ID check; a person confirms it."
    ),
}
# Services on the line that receive login codes (the `services` of `move_two_factor`).
LINKED_SERVICE = {
    "two_factor": N_("e-mail and app accounts"),
    "bankid": N_("BankID"),
    "gosuslugi": N_("Gosuslugi"),
    "bank": N_("online banking"),
    "mobile_id": N_("Mobile ID"),
}
DEFAULT_FINDING = N_("A person will check one detail of this request.")

EFFECTIVE_RULE = {
    "immediate": N_("The subscription ends as soon as the request is approved."),
    "next_day": N_("The subscription ends the day after the request is approved."),
    "end_of_billing_cycle": N_("The subscription ends at the end of the current billing period."),
    "end_of_calendar_month": N_("The subscription ends at the end of the calendar month."),
    "one_calendar_month_from_first_of_next_month": N_(
        "One month's notice: the subscription ends one calendar month after the first day of next month."
    ),
    "n_days": N_("The subscription ends {n_days} days after the request."),
    "on_port_completion": N_("The subscription ends when the number transfer is complete."),
    "plan_expiry": N_("The subscription ends when the current plan period runs out."),
}
EARLY_EXIT = {
    "none": N_("No early exit fee."),
    "etf_linear": N_(
        "Early exit fee up to {amount}, falling by {decrement} for each month served."
    ),
    "remaining_benefit_pro_rata": N_(
        "Leaving a commitment early: you pay back the part of the discount or device subsidy not yet earned."
    ),
    "remaining_fees": N_("Leaving a commitment early: the remaining monthly fees are due."),
}
BALANCE = {
    "refund_on_request": N_("Remaining prepaid balance is paid back on request."),
    "transfer_to_number": N_("Remaining prepaid balance can be moved to another number."),
    "forfeit": N_("Remaining prepaid balance is lost on cancellation."),
}
UNPAID = {
    "block": N_("Unpaid bills must be paid before the line can be cancelled."),
    "instalment_plan": N_("Unpaid bills can be settled with a payment plan."),
    "net_against_balance": N_("Unpaid bills are taken from the remaining balance."),
}
DEVICE = {
    "next_bill": N_("Remaining device instalments are due on the next bill."),
    "final_bill": N_("Remaining device instalments are due on the final bill."),
    "continue_schedule": N_("Device instalments continue as agreed."),
}


def list_text(t: Texts, items: Sequence[str], *, either: bool = False) -> str:
    """Items joined the way the page's language joins a list ("A, B and C"; "A、B和C"), or
    offered as alternatives ("A, B or C") with `either`."""
    if not items:
        return ""
    return format_list(list(items), style="or" if either else "standard", locale=t.language)


def money_text(t: Texts, value: Any, currency: str | None = None) -> str:
    """Money as a pack or finding gives it: `{"minor", "currency"}` or a decimal string."""
    if isinstance(value, Mapping):
        return t.money(int(value.get("minor", 0)), str(value.get("currency") or currency))
    if value is None or currency is None:
        return ""
    try:
        return t.money(Money.parse(Decimal(str(value)), currency).minor, currency)
    except (InvalidOperation, ValueError):
        return str(value)


def _params(t: Texts, params: Mapping[str, Any], currency: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in params.items():
        if isinstance(value, Mapping) and "minor" in value:
            out[key] = money_text(t, value, currency)
        elif isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
            out[key] = t.date(value)
        elif isinstance(value, list) and key == "services":
            out[key] = list_text(t, [label(t, LINKED_SERVICE, str(v)) for v in value])
        elif isinstance(value, list):
            out[key] = list_text(t, [str(v) for v in value])
        else:
            out[key] = "" if value is None else str(value)
    return out


class _Safe(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "…"


def finding_text(t: Texts, finding: Finding, currency: str | None = None) -> str:
    message = t.gettext(FINDINGS.get(finding.code, DEFAULT_FINDING))
    return t.tidy(message.format_map(_Safe(_params(t, finding.params, currency))))


def label(t: Texts, table: Mapping[str, str], code: str | None) -> str:
    if code is None:
        return ""
    return t.gettext(table[code]) if code in table else code.replace("_", " ")
