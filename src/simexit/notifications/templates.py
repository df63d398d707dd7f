"""The messages we send, one template per kind, rendered in the subscriber's language.

Every sentence is an English gettext msgid with `{named}` placeholders, translated in the
`notifications` domain (`simexit/locales/*/LC_MESSAGES/notifications.po`). `N_` only marks a
string as a message; the tests extract the marked strings with Babel and check every catalog.
Context values are raw (dates, minor units); they are formatted for the locale here.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from simexit.errors import InvalidInput
from simexit.i18n import format_date, format_money, normalize_language, translator
from simexit.verification.codes import CODE_DIGITS, CODE_PLACEHOLDER

DOMAIN = "notifications"


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, don't translate"
    return message


GREETING = N_("Hello,")
SIGN_OFF = N_("Kind regards,")
DEFAULT_SENDER = N_("Customer service")

# One sentence per blocker code of the policy engine (`policies.engine`); a test enumerates
# the engine's codes and fails on any without one here.
BLOCKER_SENTENCES = {
    "unpaid_bills": N_(
        "There is an unpaid balance on the account. Please pay it, or ask us about a payment plan."
    ),
    "port_pending": N_(
        "Your number is being moved to another operator. That move ends this subscription by "
        "itself, so no separate cancellation is needed."
    ),
    "port_date_too_late": N_(
        "The transfer date asked for is later than the operator allows. Please ask for an earlier date."
    ),
    "min_topup_age": N_(
        "The line was topped up only recently. Please try again when the waiting period is over."
    ),
    "line_status_not_allowed": N_("The line cannot take this request in its current state."),
    "channel_not_allowed": N_(
        "This operator does not take this request this way. The operator's guide shows the ways that work."
    ),
    "transfer_number_missing": N_("We need the number that should receive the remaining balance."),
    "suspension_not_allowed": N_("This operator does not offer pausing a line."),
    "suspension_limit_reached": N_(
        "The line has already been paused as many times this year as the operator allows."
    ),
    "suspension_too_long": N_("The pause you asked for is longer than the operator allows."),
    "suspension_not_during_commitment": N_(
        "The line cannot be paused during its commitment period."
    ),
    "reactivation_not_offered": N_("This operator does not reactivate cancelled lines."),
    "reactivation_window_over": N_("The time in which the line could be reactivated is over."),
    "sim_limit_reached": N_("You already hold as many SIM cards as the rules allow."),
}
UNKNOWN_BLOCKER = N_(
    "Something on the line needs a closer look (code {code}). Our customer service can help."
)

# One sentence per rejection reason an agent can choose (`cases.service.review`).
REJECTION_SENTENCES = {
    "identity_not_confirmed": N_("Identity could not be confirmed"),
    "not_account_holder": N_("Not the account holder"),
    "unpaid_bills": N_("Unpaid bills"),
    "duplicate_request": N_("Duplicate request"),
    "fraud_suspected": N_("Suspected fraud"),
    "policy_not_met": N_("The operator's rules are not met"),
    "other": N_("Other reason"),
    # Not an agent's choice: the scheduler's, when an information request lapsed unanswered.
    "information_not_provided": N_("The information we asked for did not reach us in time"),
}

# What an agent may ask for (`cases.information.INFORMATION_KINDS`).
INFORMATION_SENTENCES = {
    "id_copy": N_("a copy of your identity document"),
    "purchase_proof": N_("the proof of purchase"),
    "corrected_name": N_("your name as it should be written"),
    "other": N_("some more information"),
}

# Keyed by the `reminder` code the scanners send (`cases.tasks`).
REMINDER_SENTENCES = {
    "sim_return": N_(
        "We have not received the SIM card yet. Please send it back by {due_date} to avoid a fee."
    ),
    "verification_pending": N_(
        "Your request is waiting for you to confirm your identity. Please do it by {due_date}."
    ),
    "payment_due": N_("There is still an amount to pay. Please pay it by {due_date}."),
}
UNKNOWN_REMINDER = N_("There is still something to do for your request by {due_date}.")


# Why a bank sent a refund back, by the ISO 20022 status reason code of its pain.002 (the codes
# of the ExternalStatusReason1Code list that name the receiving account or its holder).
RETURN_REASON_SENTENCES = {
    "AC01": N_("The account number is not right."),
    "AC04": N_("The account is closed."),
    "AC06": N_("The account is blocked."),
    "BE01": N_("The name on the account is not the name on the subscription."),
    "RC01": N_("The bank code (BIC) is not right."),
    "RR03": N_("The bank needs the account holder's name and address."),
}
UNKNOWN_RETURN_REASON = N_("The bank gave the reason code {code}.")


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    subject: str
    paragraphs: tuple[str, ...]
    sms: str  # the short text form: an SMS, and every channel without a text of its own
    sender_name: str
    # Texts written for one channel (by its name), for a template that needs a different short
    # form there. A channel asks `short_text(name)`; without an entry it gets `sms`.
    channel_texts: Mapping[str, str] = field(default_factory=dict)

    def short_text(self, channel: str) -> str:
        return self.channel_texts.get(channel, self.sms)

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs) + "\n"

    @property
    def html(self) -> str:
        # Every piece is escaped: context values (a rejection reason typed by an agent) are data.
        body = "\n".join(
            f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in self.paragraphs
        )
        return (
            '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
            f"<title>{html.escape(self.subject)}</title></head>\n"
            f'<body style="font-family: sans-serif; line-height: 1.5">\n{body}\n</body></html>\n'
        )


class _Writer:
    """Translates and fills one message's sentences in one language."""

    def __init__(self, language: str, context: Mapping[str, Any]) -> None:
        self.language = language
        self.context = context
        self._gettext = translator(language, DOMAIN).gettext

    def require(self, key: str) -> Any:
        if self.context.get(key) in (None, ""):
            raise InvalidInput(
                f"The notification needs '{key}' in its context.", field=f"context.{key}"
            )
        return self.context[key]

    def date(self, key: str) -> str:
        value = self.require(key)
        if isinstance(value, str):
            value = date.fromisoformat(value)
        if not isinstance(value, date):
            raise InvalidInput(f"'{key}' must be a date.", field=f"context.{key}")
        return format_date(value, self.language)

    def money(self, key: str) -> str:
        return format_money(
            int(self.context.get(key) or 0), str(self.require("currency")), self.language
        )

    def __call__(self, message: str, **values: Any) -> str:
        translated = self._gettext(message)
        for name, value in values.items():
            # "31 декабря 2026 г." ends a sentence by itself: no second full stop after it.
            if isinstance(value, str) and value.endswith("."):
                translated = translated.replace("{" + name + "}.", "{" + name + "}")
        return translated.format(**values)


Parts = tuple[str, list[str], str]  # subject, body paragraphs, sms
Builder = Callable[[_Writer], Parts]


def _received(w: _Writer) -> Parts:
    ref, expected = w.require("reference"), w.date("expected_date")
    return (
        w(N_("We have received your request {reference}"), reference=ref),
        [
            w(
                N_(
                    "Thank you. We have received your request and given it the reference {reference}."
                ),
                reference=ref,
            ),
            w(
                N_(
                    "We expect to give you an answer by {expected_date}. You do not need to do anything right now."
                ),
                expected_date=expected,
            ),
        ],
        w(
            N_("We have received your request {reference}. Expect an answer by {expected_date}."),
            reference=ref,
            expected_date=expected,
        ),
    )


def _verification_code(w: _Writer) -> Parts:
    code, minutes = w.require("code"), int(w.require("expiry_minutes"))
    return (
        w(N_("Your confirmation code")),
        [
            w(N_("Your confirmation code is {code}."), code=code),
            w(
                N_(
                    "It is valid for {minutes} minutes. Do not share it with anyone. If you did not ask for it, you can ignore this message; nothing will change."
                ),
                minutes=minutes,
            ),
        ],
        w(
            N_(
                "Your confirmation code is {code}. It is valid for {minutes} minutes. Do not share it with anyone."
            ),
            code=code,
            minutes=minutes,
        ),
    )


def _blocked(w: _Writer) -> Parts:
    ref = w.require("reference")
    codes = w.context.get("blockers") or []
    reasons = [
        w(BLOCKER_SENTENCES[code]) if code in BLOCKER_SENTENCES else w(UNKNOWN_BLOCKER, code=code)
        for code in codes
    ]
    return (
        w(N_("Your request {reference} needs something from you"), reference=ref),
        [
            w(
                N_("We cannot go ahead with your request {reference} yet. This is what is needed:"),
                reference=ref,
            ),
            *(f"• {reason}" for reason in reasons),
            w(N_("Once this is sorted out, your request continues where it left off.")),
        ],
        w(
            N_(
                "Your request {reference} is on hold until something is sorted out. Your case page shows what to do."
            ),
            reference=ref,
        ),
    )


# What an approval means, by case type: only a termination ends the subscription.
APPROVED_SENTENCES = {
    "terminate": N_(
        "Your request {reference} is approved. Your subscription ends on {effective_date}."
    ),
    "suspend": N_(
        "Your request {reference} is approved. Your line is paused from {effective_date}."
    ),
    "resume": N_(
        "Your request {reference} is approved. Your line works again from {effective_date}."
    ),
    "port_out": N_(
        "Your request {reference} is approved. Your number moves to your new operator on {effective_date}, and that ends this subscription."
    ),
    "reactivate": N_(
        "Your request {reference} is approved. Your line is active again from {effective_date}."
    ),
}
PAUSED_UNTIL = N_("The pause ends on {date}, and the line then works as before.")
# Subject and sentence of a completed request, by case type.
COMPLETED_SUBJECTS = {
    "terminate": N_("Your subscription has ended"),
    "suspend": N_("Your line is paused"),
    "resume": N_("Your line works again"),
    "port_out": N_("Your number has moved"),
    "reactivate": N_("Your line is active again"),
}
COMPLETED_SENTENCES = {
    "terminate": N_("Your request {reference} is complete, and the subscription has ended."),
    "suspend": N_("Your request {reference} is complete: the line is paused."),
    "resume": N_("Your request {reference} is complete: the line works again."),
    "port_out": N_(
        "Your request {reference} is complete: the number has moved to your new operator, and this subscription has ended."
    ),
    "reactivate": N_("Your request {reference} is complete: the line is active again."),
}
ENDS_SUBSCRIPTION = frozenset({"terminate", "port_out"})


def _case_type(w: _Writer) -> str:
    kind = str(w.context.get("case_type") or "terminate")
    return kind if kind in APPROVED_SENTENCES else "terminate"


def _approved(w: _Writer) -> Parts:
    ref, effective = w.require("reference"), w.date("effective_date")
    kind = _case_type(w)
    sentence = w(APPROVED_SENTENCES[kind], reference=ref, effective_date=effective)
    body = [sentence]
    if kind == "suspend" and w.context.get("suspend_until"):
        body.append(w(PAUSED_UNTIL, date=w.date("suspend_until")))
    if int(w.context.get("amount_due_minor") or 0) > 0:
        body.append(w(N_("Amount still to pay: {amount}."), amount=w.money("amount_due_minor")))
    if int(w.context.get("refund_minor") or 0) > 0:
        body.append(w(N_("You will get a refund of {amount}."), amount=w.money("refund_minor")))
    if kind in ENDS_SUBSCRIPTION:
        body.append(w(N_("Until then you can use the line as usual.")))
    sms = (
        w(
            N_("Your request {reference} is approved. The subscription ends on {effective_date}."),
            reference=ref,
            effective_date=effective,
        )
        if kind == "terminate"
        else sentence
    )
    return (w(N_("Your request {reference} is approved"), reference=ref), body, sms)


def _completed(w: _Writer) -> Parts:
    ref = w.require("reference")
    kind = _case_type(w)
    body = [w(COMPLETED_SENTENCES[kind], reference=ref)]
    if kind == "suspend" and w.context.get("suspend_until"):
        body.append(w(PAUSED_UNTIL, date=w.date("suspend_until")))
    if int(w.context.get("refund_minor") or 0) > 0:
        body.append(
            w(N_("A refund of {amount} is on its way to you."), amount=w.money("refund_minor"))
        )
    if kind == "terminate" and w.context.get("quarantine_until"):
        body.append(
            w(
                N_(
                    "The phone number is held until {date}. After that it may be given to someone else."
                ),
                date=w.date("quarantine_until"),
            )
        )
    if kind in ENDS_SUBSCRIPTION:
        body.append(w(N_("Thank you for having been with us.")))
    sms = (
        w(
            N_(
                "Your subscription has ended (request {reference}). Thank you for having been with us."
            ),
            reference=ref,
        )
        if kind == "terminate"
        else body[0]
    )
    return (w(COMPLETED_SUBJECTS[kind]), body, sms)


def _reminder(w: _Writer) -> Parts:
    ref, due = w.require("reference"), w.date("due_date")
    code = str(w.require("reminder"))
    sentence = w(REMINDER_SENTENCES.get(code, UNKNOWN_REMINDER), due_date=due)
    return (
        w(N_("A reminder about your request {reference}"), reference=ref),
        [sentence],
        w(N_("Reminder about request {reference}: {sentence}"), reference=ref, sentence=sentence),
    )


def _rejected(w: _Writer) -> Parts:
    ref, code = w.require("reference"), str(w.require("reason"))
    reason = w(REJECTION_SENTENCES[code]) if code in REJECTION_SENTENCES else code
    return (
        w(N_("We could not accept your request {reference}"), reference=ref),
        [
            w(N_("We are sorry, but we could not accept your request {reference}."), reference=ref),
            w(N_("The reason: {reason}"), reason=reason),
            w(
                N_(
                    "If you think this is a mistake, or your situation changes, you are welcome to send a new request."
                )
            ),
        ],
        w(
            N_("We could not accept your request {reference}. The reason: {reason}"),
            reference=ref,
            reason=reason,
        ),
    )


def _information_required(w: _Writer) -> Parts:
    ref, due, code = w.require("reference"), w.date("due_date"), str(w.require("kind"))
    what = w(INFORMATION_SENTENCES.get(code, INFORMATION_SENTENCES["other"]))
    return (
        w(N_("We need something from you for your request {reference}"), reference=ref),
        [
            w(
                N_("To go on with your request {reference} we need {what}."),
                reference=ref,
                what=what,
            ),
            w(
                N_(
                    "Please answer or upload it on the page of your request by {date}. Until then we wait, and the time we take to answer does not run."
                ),
                date=due,
            ),
        ],
        w(
            N_(
                "For your request {reference} we need {what} by {date}. Answer on your request's page."
            ),
            reference=ref,
            what=what,
            date=due,
        ),
    )


def _failed(w: _Writer) -> Parts:
    ref = w.require("reference")
    what = (
        N_("Something went wrong on our side while we were ending your subscription ({reference}).")
        if _case_type(w) in ENDS_SUBSCRIPTION
        else N_(
            "Something went wrong on our side while we were carrying out your request ({reference})."
        )
    )
    return (
        w(N_("A delay with your request {reference}"), reference=ref),
        [
            w(what, reference=ref),
            w(
                N_(
                    "You do not need to do anything. Our team knows about it and will finish the work, and we will write to you when it is done."
                )
            ),
        ],
        w(
            N_(
                "A technical problem has delayed your request {reference}. You do not need to do anything; we will tell you when it is done."
            ),
            reference=ref,
        ),
    )


def _withdrawn(w: _Writer) -> Parts:
    ref = w.require("reference")
    return (
        w(N_("Your request {reference} is withdrawn"), reference=ref),
        [
            w(
                N_(
                    "As you asked, we have withdrawn your request {reference}. Your subscription continues as before."
                ),
                reference=ref,
            )
        ],
        w(
            N_("Your request {reference} is withdrawn. Your subscription continues as before."),
            reference=ref,
        ),
    )


def _esim_deleted(w: _Writer) -> Parts:
    msisdn = w.require("msisdn")
    return (
        w(N_("Your eSIM was removed, but your subscription is still active")),
        [
            w(
                N_(
                    "The eSIM for {msisdn} was deleted from a phone. Deleting an eSIM does not end the subscription, so the line is still active and still billed."
                ),
                msisdn=msisdn,
            ),
            w(
                N_(
                    "If you want to end the subscription, send us a cancellation request. If you want to use the line again, we can give you a new eSIM."
                )
            ),
        ],
        w(
            N_(
                "The eSIM for {msisdn} was deleted, but the subscription is still active and billed. To end it, send a cancellation request."
            ),
            msisdn=msisdn,
        ),
    )


def _esim_delete_profile(w: _Writer) -> Parts:
    """A terminated line's profile is still on a phone (`cases.teardown`, and an SM-DP+ notice
    of an installation after the end): it no longer works; the subscriber may delete it."""
    msisdn = w.require("msisdn")
    return (
        w(N_("Please delete the eSIM for {msisdn} from your phone"), msisdn=msisdn),
        [
            w(
                N_(
                    "The subscription for {msisdn} has ended, and its eSIM no longer works. It may still be on your phone: you can delete it in the phone's settings."
                ),
                msisdn=msisdn,
            )
        ],
        w(
            N_(
                "The subscription for {msisdn} has ended and its eSIM no longer works. You can delete it in your phone's settings."
            ),
            msisdn=msisdn,
        ),
    )


def _esim_new_profile(w: _Writer) -> Parts:
    """A reactivated eSIM line has a new profile to download (`cases.teardown`)."""
    msisdn = w.require("msisdn")
    code = w.context.get("activation_code")
    body = [w(N_("Your line {msisdn} is active again with a new eSIM."), msisdn=msisdn)]
    if code:
        body.append(
            w(
                N_("To install it, add an eSIM in your phone's settings with this code: {code}"),
                code=str(code),
            )
        )
    return (
        w(N_("A new eSIM for {msisdn}"), msisdn=msisdn),
        body,
        body[-1],
    )


def _pause_ended(w: _Writer) -> Parts:
    """The scheduler ended a voluntary suspension on its last day (`cases.tasks.resume_due`)."""
    msisdn, until = w.require("msisdn"), w.date("suspend_until")
    still_barred = bool(w.context.get("still_barred"))
    body = [
        w(
            N_("The pause you asked for on {msisdn} ended on {date}."),
            msisdn=msisdn,
            date=until,
        ),
        w(N_("The line is on hold for another reason. Our customer service can tell you more."))
        if still_barred
        else w(N_("The line works again, and billing continues as before.")),
    ]
    return (
        w(N_("The pause on {msisdn} has ended"), msisdn=msisdn),
        body,
        w(N_("The pause on {msisdn} ended on {date}."), msisdn=msisdn, date=until),
    )


def _payout_returned(w: _Writer) -> Parts:
    """The bank sent a refund back (`refunds.notices`): why, and what to do."""
    ref, amount = w.require("reference"), w.money("amount_minor")
    code = str(w.context.get("reason_code") or "")
    reason = RETURN_REASON_SENTENCES.get(code)
    body = [
        w(
            N_("The bank sent back the refund of {amount} for your request {reference}."),
            amount=amount,
            reference=ref,
        ),
        w(reason) if reason else w(UNKNOWN_RETURN_REASON, code=code or "-"),
        w(
            N_(
                "Please give us another account on the page of your request, or tell our "
                "customer service. We keep the money for you until then."
            )
        ),
    ]
    return (
        w(N_("Your refund for request {reference} could not be paid"), reference=ref),
        body,
        w(
            N_(
                "The refund of {amount} for {reference} came back from the bank. Please give us "
                "another account on the page of your request."
            ),
            amount=amount,
            reference=ref,
        ),
    )


def _payout_settled(w: _Writer) -> Parts:
    """The refund reached the subscriber (`refunds.notices`)."""
    ref, amount = w.require("reference"), w.money("amount_minor")
    digits = w.context.get("account_last_digits")
    sentence = (
        w(
            N_(
                "The refund of {amount} for your request {reference} has been paid to the "
                "account ending in {digits}."
            ),
            amount=amount,
            reference=ref,
            digits=digits,
        )
        if digits
        else w(
            N_("The refund of {amount} for your request {reference} has been paid."),
            amount=amount,
            reference=ref,
        )
    )
    return (
        w(N_("Your refund for request {reference} is paid"), reference=ref),
        [sentence],
        sentence,
    )


# A campaign's warning before it acts on the line (`campaigns.presets`), keyed by `notice`.
CAMPAIGN_NOTICES = {
    "dormant_suspend": N_(
        "Your line {msisdn} has not been used for a long time. If it is not topped up or used by {date}, outgoing calls and messages will be barred."
    ),
    "dormant_terminate": N_(
        "Your line {msisdn} has not been used for a long time. If it is not topped up or used by {date}, the subscription will end."
    ),
    "sim_limit": N_(
        "You hold more SIM cards than the law allows ({limit} per person). The line {msisdn} is over the limit and will be blocked from {date}, unless you end other lines before then."
    ),
}


def _campaign_notice(w: _Writer) -> Parts:
    """What a campaign will do to the line, and from when (`campaigns.flows`)."""
    msisdn, when = w.require("msisdn"), w.date("date")
    sentence = CAMPAIGN_NOTICES.get(str(w.require("notice")))
    if sentence is None:
        raise InvalidInput("unknown campaign notice", field="context.notice")
    body = w(sentence, msisdn=msisdn, date=when, limit=w.context.get("limit", ""))
    return (w(N_("About your line {msisdn}"), msisdn=msisdn), [body], body)


def _operator_message(w: _Writer) -> Parts:
    """A message the operator wrote itself (TMF681 `communicationMessage`), sent as written."""
    content = str(w.require("content"))
    return (str(w.context.get("subject") or content[:80]), [content], content)


TEMPLATES: dict[str, Builder] = {
    "case.received": _received,
    "verification.code": _verification_code,
    "case.blocked": _blocked,
    "case.approved": _approved,
    "case.completed": _completed,
    "case.reminder": _reminder,
    "case.rejected": _rejected,
    "case.information_required": _information_required,
    "case.failed": _failed,
    "case.withdrawn": _withdrawn,
    "esim.deleted_line_active": _esim_deleted,
    "esim.delete_profile": _esim_delete_profile,
    "esim.new_profile": _esim_new_profile,
    "line.pause_ended": _pause_ended,
    "operator.message": _operator_message,
    "payout.returned": _payout_returned,
    "payout.settled": _payout_settled,
    "line.campaign_notice": _campaign_notice,
}

# Kinds whose body holds a one-time code. The stored body never does: it is rendered with
# `CODE_PLACEHOLDER`, the delivery job writes the code in when it hands the message to a
# transport, and the body is dropped once sent.
SENSITIVE_KINDS = frozenset({"verification.code"})


def stored_context(kind: str, context: Mapping[str, Any]) -> dict[str, Any]:
    """The context a message is stored from: a code kind gets the placeholder, whatever it got."""
    if kind in SENSITIVE_KINDS:
        return {**context, "code": CODE_PLACEHOLDER}
    return dict(context)


def counted_context(kind: str, context: Mapping[str, Any]) -> dict[str, Any]:
    """The context to count a text's SMS parts from: digits where the code goes, as sent."""
    if kind in SENSITIVE_KINDS:
        return {**context, "code": "0" * CODE_DIGITS}
    return dict(context)


def render(kind: str, language: str, context: Mapping[str, Any]) -> RenderedMessage:
    builder = TEMPLATES.get(kind)
    if builder is None:
        raise InvalidInput(f"There is no notification template '{kind}'.", field="kind")
    writer = _Writer(normalize_language(language) or "en", context)
    subject, body, sms = builder(writer)
    sender = str(context.get("operator_name") or writer(DEFAULT_SENDER))
    paragraphs = (writer(GREETING), *body, f"{writer(SIGN_OFF)}\n{sender}")
    # Babel puts no-break spaces in money and dates; in an SMS one would force UCS-2 (70
    # characters a part instead of 160) for Norwegian or English text.
    sms = sms.replace("\u00a0", " ").replace("\u202f", " ")
    return RenderedMessage(subject=subject, paragraphs=paragraphs, sms=sms, sender_name=sender)
