"""Templates and catalogs: every kind renders in every language, nothing left untranslated."""

from __future__ import annotations

import re
import string
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_file

from simexit.errors import InvalidInput
from simexit.i18n import (
    SUPPORTED_LANGUAGES,
    format_money,
    negotiate_language,
    normalize_language,
    translator,
)
from simexit.notifications import templates
from simexit.notifications.templates import TEMPLATES, render

CONTEXTS: dict[str, dict[str, Any]] = {
    "case.received": {"reference": "NO-2026-000123", "expected_date": date(2026, 12, 4)},
    "verification.code": {"code": "482913", "expiry_minutes": 10},
    "case.information_required": {
        "reference": "NO-2026-000123",
        "kind": "id_copy",
        "due_date": date(2026, 12, 14),
    },
    "case.blocked": {
        "reference": "NO-2026-000123",
        "blockers": ["unpaid_bills", "port_pending", "x_new"],
    },
    "case.approved": {
        "reference": "NO-2026-000123",
        "effective_date": "2026-12-31",
        "amount_due_minor": 12550,
        "refund_minor": 5000,
        "currency": "NOK",
    },
    "case.completed": {
        "reference": "NO-2026-000123",
        "refund_minor": 5000,
        "currency": "NOK",
        "quarantine_until": date(2027, 3, 31),
    },
    "case.reminder": {
        "reference": "NO-2026-000123",
        "reminder": "sim_return",
        "due_date": date(2027, 1, 15),
    },
    "case.rejected": {
        "reference": "NO-2026-000123",
        "reason": "The line belongs to <someone> else & not you",
    },
    "case.failed": {"reference": "NO-2026-000123"},
    "case.withdrawn": {"reference": "NO-2026-000123"},
    "esim.deleted_line_active": {"msisdn": "+4741234567"},
    "esim.delete_profile": {"msisdn": "+4741234567"},
    "esim.new_profile": {"msisdn": "+4741234567", "activation_code": "1$smdp.example$AB-12"},
    "line.pause_ended": {
        "msisdn": "+4741234567",
        "suspend_until": "2026-12-01",
        "still_barred": True,
    },
    "operator.message": {"content": "Planned maintenance tonight 01:00-03:00.", "subject": None},
    "payout.returned": {
        "reference": "TEL-2026-000123",
        "amount_minor": 12950,
        "currency": "NOK",
        "reason_code": "AC04",
    },
    "payout.settled": {
        "reference": "TEL-2026-000123",
        "amount_minor": 12950,
        "currency": "NOK",
        "account_last_digits": "0947",
    },
    "line.campaign_notice": {
        "msisdn": "+79161234567",
        "notice": "sim_limit",
        "date": "2026-12-01",
        "limit": 20,
    },
}


def _message_ids() -> list[str]:
    path = Path(templates.__file__)
    return [
        str(message)
        for _line, message, _comments, _context in extract_from_file(
            "python", str(path), keywords={"N_": None}
        )
    ]


def _placeholders(message: str) -> set[str]:
    return {name for _text, name, _spec, _conv in string.Formatter().parse(message) if name}


def test_every_kind_has_a_context_here() -> None:
    assert set(CONTEXTS) == set(TEMPLATES)


@pytest.mark.parametrize("language", [lang for lang in SUPPORTED_LANGUAGES if lang != "en"])
def test_catalog_translates_every_message_with_the_same_placeholders(language: str) -> None:
    translate = translator(language, "notifications").gettext
    for message in _message_ids():
        translated = translate(message)
        assert translated != message, f"{language}: untranslated {message!r}"
        assert _placeholders(translated) == _placeholders(message), f"{language}: {message!r}"


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("kind", sorted(TEMPLATES))
def test_every_kind_renders_in_every_language(kind: str, language: str) -> None:
    message = render(kind, language, CONTEXTS[kind])
    assert message.subject
    assert message.sms
    assert "{" not in message.text + message.sms + message.subject
    assert ".." not in message.text


class TestRendering:
    def test_dates_and_money_follow_the_locale(self) -> None:
        english = render("case.approved", "en", CONTEXTS["case.approved"]).text
        norwegian = render("case.approved", "nb", CONTEXTS["case.approved"]).text
        russian = render("case.approved", "ru", CONTEXTS["case.approved"]).text
        chinese = render("case.approved", "zh-Hans", CONTEXTS["case.approved"]).text
        assert "December 31, 2026" in english
        assert "31. desember 2026" in norwegian
        assert re.search(r"125,50\skr", norwegian)  # with a no-break space
        assert re.search(r"31 декабря 2026\sг\.", russian)
        assert "2026年12月31日" in chinese

    def test_html_escapes_context_values(self) -> None:
        message = render("case.rejected", "en", CONTEXTS["case.rejected"])
        assert "&lt;someone&gt; else &amp; not you" in message.html
        assert "<someone>" not in message.html
        assert "<someone> else & not you" in message.text

    def test_blockers_become_sentences(self) -> None:
        text = render("case.blocked", "en", CONTEXTS["case.blocked"]).text
        assert "unpaid balance" in text
        assert "moved to another operator" in text
        assert "(code x_new)" in text

    def test_nothing_to_pay_means_no_amount_sentence(self) -> None:
        context = {**CONTEXTS["case.approved"], "amount_due_minor": 0, "refund_minor": 0}
        text = render("case.approved", "en", context).text
        assert "to pay" not in text
        assert "refund" not in text

    def test_missing_context_names_the_key(self) -> None:
        with pytest.raises(InvalidInput) as raised:
            render("case.received", "en", {"reference": "X"})
        assert raised.value.field == "context.expected_date"

    def test_unknown_kind_is_refused(self) -> None:
        with pytest.raises(InvalidInput):
            render("case.teleported", "en", {})


class TestLanguages:
    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            ("zh-CN,zh;q=0.9,en;q=0.8", "zh_Hans"),
            ("zh", "zh_Hans"),
            ("zh-Hans", "zh_Hans"),
            ("nb-NO,nb;q=0.9", "nb"),
            ("no", "nb"),
            ("de-DE, ru;q=0.5, en;q=0.4", "ru"),
            ("en-GB", "en"),
            ("fr", "en"),
            ("", "en"),
            (None, "en"),
            ("ru;q=0, en", "en"),
            ("ru;q=garbage", "en"),
        ],
    )
    def test_negotiate(self, header: str | None, expected: str) -> None:
        assert negotiate_language(header) == expected

    def test_normalize_unknown_is_none(self) -> None:
        assert normalize_language("xx-YY") is None

    @pytest.mark.parametrize(
        ("minor", "currency", "locale", "pattern"),
        [
            (12550, "NOK", "nb", r"^125,50\skr$"),
            (12550, "USD", "en", r"^\$125\.50$"),
            (12550, "RUB", "ru", r"^125,50\s₽$"),
            (-500, "NOK", "nb", r"^[−-]5,00\skr$"),
            (1000, "JPY", "en", r"^¥1,000$"),  # no minor unit
        ],
    )
    def test_format_money(self, minor: int, currency: str, locale: str, pattern: str) -> None:
        assert re.match(pattern, format_money(minor, currency, locale)), format_money(
            minor, currency, locale
        )


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
@pytest.mark.parametrize("language", ["en", "nb"])
def test_latin_sms_stay_gsm7(kind: str, language: str) -> None:
    from simexit.notifications.sms_encoding import SmsEncoding, detect_encoding

    context = (
        {**CONTEXTS[kind], "reason": "The line is not yours"}
        if kind == "case.rejected"
        else CONTEXTS[kind]
    )
    assert detect_encoding(render(kind, language, context).sms) is SmsEncoding.gsm7


class TestCaseTypes:
    """Only a termination (or a port) ends the subscription; a pause or resume never says so."""

    @pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
    @pytest.mark.parametrize("case_type", ["suspend", "resume", "reactivate"])
    def test_approved_and_completed_never_say_the_subscription_ends(
        self, language: str, case_type: str
    ) -> None:
        ending = render("case.approved", language, CONTEXTS["case.approved"])
        context = {**CONTEXTS["case.approved"], "case_type": case_type}
        approved = render("case.approved", language, context)
        completed = render("case.completed", language, {**CONTEXTS["case.completed"], **context})
        ending_sentence = ending.paragraphs[1]  # "… Your subscription ends on …"
        assert ending_sentence not in approved.text
        assert render("case.completed", language, CONTEXTS["case.completed"]).subject != (
            completed.subject
        )

    def test_a_pause_says_when_it_starts_and_ends(self) -> None:
        context = {
            **CONTEXTS["case.approved"],
            "case_type": "suspend",
            "suspend_until": "2027-02-01",
        }
        text = render("case.approved", "en", context).text
        assert "paused from December 31, 2026" in text
        assert "The pause ends on February 1, 2027" in text
        assert "subscription ends" not in text

    def test_a_port_says_the_number_moves(self) -> None:
        context = {**CONTEXTS["case.completed"], "case_type": "port_out"}
        message = render("case.completed", "en", context)
        assert message.subject == "Your number has moved"
        assert "held until" not in message.text  # the number went with the subscriber

    def test_a_rejection_reason_code_becomes_words(self) -> None:
        context = {"reference": "NO-1", "reason": "duplicate_request"}
        assert "The reason: Duplicate request" in render("case.rejected", "en", context).text


class TestPayoutMessages:
    def test_a_returned_refund_says_why_in_the_banks_words_and_what_to_do(self) -> None:
        text = render("payout.returned", "en", CONTEXTS["payout.returned"]).text
        assert "The account is closed." in text
        assert "another account" in text
        unknown = {**CONTEXTS["payout.returned"], "reason_code": "MS03"}
        assert "reason code MS03" in render("payout.returned", "en", unknown).text

    def test_a_paid_refund_names_the_masked_account_only_when_known(self) -> None:
        paid = render("payout.settled", "nb", CONTEXTS["payout.settled"]).text
        assert "0947" in paid
        bare = {**CONTEXTS["payout.settled"], "account_last_digits": None}
        assert "0947" not in render("payout.settled", "nb", bare).text
