"""The URL rule of webhook endpoints, and the event list held to what simexit emits."""

from __future__ import annotations

import typing

import pytest

from simexit.api.v1.admin_schemas import EventType
from simexit.cases.service.common import WEBHOOK_EVENTS
from simexit.webhooks import rules


@pytest.mark.parametrize(
    ("url", "loopback_http", "expected"),
    [
        ("https://bss.example/hooks", False, None),
        ("https://bss.example:8443/hooks?x=1", False, None),
        ("http://bss.example/hooks", False, rules.URL_HTTPS_REQUIRED),
        ("http://bss.example/hooks", True, rules.URL_HTTPS_REQUIRED),
        ("http://localhost:9000/hooks", True, None),
        ("http://127.0.0.1:9000/hooks", True, None),
        ("http://[::1]:9000/hooks", True, None),
        ("http://localhost:9000/hooks", False, rules.URL_HTTPS_REQUIRED),
        ("https://localhost/hooks", False, rules.URL_PRIVATE_HOST),
        ("https://127.0.0.1/hooks", False, rules.URL_PRIVATE_HOST),
        ("https://10.1.2.3/hooks", False, rules.URL_PRIVATE_HOST),
        ("https://169.254.169.254/latest", False, rules.URL_PRIVATE_HOST),
        ("https://api.localhost/hooks", False, rules.URL_PRIVATE_HOST),
        ("https://user:pw@bss.example/hooks", False, rules.URL_CREDENTIALS),
        ("https://bss.example/hooks#top", False, rules.URL_FRAGMENT),
        ("ftp://bss.example/hooks", False, rules.URL_INVALID),
        ("https:///hooks", False, rules.URL_INVALID),
        ("https://bss.example:99999/", False, rules.URL_INVALID),
        ("https://bss example/", False, rules.URL_INVALID),
        ("not a url", True, rules.URL_INVALID),
    ],
)
def test_url_rule(url: str, loopback_http: bool, expected: str | None) -> None:
    assert rules.url_rule_broken(url, allow_loopback_http=loopback_http) == expected


def test_the_event_list_holds_every_case_event_and_the_contract_spells_it_out() -> None:
    assert set(WEBHOOK_EVENTS.values()) <= set(rules.EVENT_TYPES)
    assert typing.get_args(EventType) == rules.EVENT_TYPES
