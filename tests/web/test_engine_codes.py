"""Every code the engine can give has a sentence in every language, wherever it is shown.

The codes are read from the source, not listed here: every `Finding("<code>", …)` written in
`simexit` (the policy engine and the case service), sorted by the list it is appended to, and
the rejection reasons the review service accepts. A new code without a sentence fails here.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

from simexit.cases.service.review import REJECTION_REASONS
from simexit.i18n import SUPPORTED_LANGUAGES, translator
from simexit.notifications import templates as notification_templates
from simexit.policies.model import Finding
from simexit.web import texts as web_texts
from simexit.web.i18n import Texts

SOURCE = Path(__file__).parents[2] / "src" / "simexit"


def _engine_codes() -> dict[str, set[str]]:
    """Finding codes by kind: the last name of the list each is appended to."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in SOURCE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            func = node.func
            target = ast.unparse(func.value) if isinstance(func, ast.Attribute) else ""
            if not (isinstance(func, ast.Attribute) and func.attr == "append") and not (
                isinstance(func, ast.Name) and func.id == "add"
            ):
                continue
            finding = node.args[0]
            if (
                isinstance(finding, ast.Call)
                and isinstance(finding.func, ast.Name)
                and finding.func.id == Finding.__name__
                and finding.args
                and isinstance(finding.args[0], ast.Constant)
            ):
                kind = target.rsplit(".", 1)[-1] if target else "checklist"  # `add` = checklist
                found[kind].add(str(finding.args[0].value))
    return found


CODES = _engine_codes()
BLOCKERS = CODES["blockers"]
REVIEWS = CODES["reviews"] | CODES["review_extra"]
EVERY_FINDING = set().union(*CODES.values())
LANGUAGES = list(SUPPORTED_LANGUAGES)


def test_the_source_is_read() -> None:
    """The enumeration itself works: the codes of the issue and each kind are there."""
    assert {"unpaid_bills", "port_pending", "min_topup_age"} <= BLOCKERS
    assert {"unverified_policy_value", "identity_method_differs"} <= REVIEWS
    assert {"backup_sim_contacts", "return_sim"} <= CODES["checklist"]
    assert {"port_out", "suspend"} <= CODES["alternatives"]
    assert set(CODES) <= {"blockers", "reviews", "review_extra", "checklist", "alternatives"}


class TestNotifications:
    def test_every_blocker_has_a_sentence(self) -> None:
        assert sorted(BLOCKERS - set(notification_templates.BLOCKER_SENTENCES)) == []

    def test_every_rejection_reason_has_a_sentence(self) -> None:
        assert sorted(REJECTION_REASONS - set(notification_templates.REJECTION_SENTENCES)) == []

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_a_blocked_message_never_shows_a_code(self, language: str) -> None:
        message = notification_templates.render(
            "case.blocked", language, {"reference": "NO-1", "blockers": sorted(BLOCKERS)}
        )
        for code in BLOCKERS:
            assert code not in message.text, (language, code)

    @pytest.mark.parametrize("language", LANGUAGES)
    @pytest.mark.parametrize("code", sorted(REJECTION_REASONS))
    def test_a_rejection_says_the_reason_in_words(self, language: str, code: str) -> None:
        message = notification_templates.render(
            "case.rejected", language, {"reference": "NO-1", "reason": code}
        )
        assert code not in message.text + message.sms

    @pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
    def test_every_sentence_is_translated(self, language: str) -> None:
        gettext = translator(language, notification_templates.DOMAIN).gettext
        tables = (
            notification_templates.BLOCKER_SENTENCES,
            notification_templates.REJECTION_SENTENCES,
        )
        untranslated = [m for table in tables for m in table.values() if gettext(m) == m]
        assert untranslated == []


class TestPortalAndConsole:
    """Both show findings through `web.texts.finding_text` and reasons through `REJECTION`."""

    def test_every_finding_has_a_sentence(self) -> None:
        assert sorted(EVERY_FINDING - set(web_texts.FINDINGS)) == []

    def test_every_rejection_reason_has_a_label(self) -> None:
        assert sorted(REJECTION_REASONS - set(web_texts.REJECTION)) == []

    @pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
    def test_every_sentence_is_translated(self, language: str) -> None:
        t = Texts(language)
        messages = [web_texts.FINDINGS[c] for c in EVERY_FINDING] + [
            web_texts.REJECTION[c] for c in REJECTION_REASONS
        ]
        assert [m for m in messages if t.gettext(m) == m] == []

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_no_finding_falls_back_to_the_generic_sentence(self, language: str) -> None:
        t = Texts(language)
        generic = t.gettext(web_texts.DEFAULT_FINDING)
        for code in EVERY_FINDING:
            assert web_texts.finding_text(t, Finding(code, {}), "NOK") != generic, code
