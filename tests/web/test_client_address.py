"""The login throttle counts the real client behind trusted reverse proxies, and only there."""

from __future__ import annotations

import pytest

from simexit.config import Settings
from simexit.runtime import Runtime
from simexit.web.app import create_web_app
from simexit.web.security import forwarded_client, trusted_networks
from tests.web.client import WebClient

PROXIES = trusted_networks(["10.0.0.0/8", "192.168.1.1", "::1", "not-an-address"])


@pytest.mark.parametrize(
    ("peer", "header", "expected"),
    [
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),  # untrusted peer: header ignored
        ("10.0.0.2", None, "10.0.0.2"),
        ("10.0.0.2", "198.51.100.1", "198.51.100.1"),
        ("10.0.0.2", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # a forged left entry is skipped
        ("10.0.0.2", "198.51.100.1, 192.168.1.1", "198.51.100.1"),  # two trusted hops
        ("::1", "2001:db8::7", "2001:db8::7"),
        ("10.0.0.2", "garbage", "10.0.0.2"),
        ("10.0.0.2", "10.0.0.3, 10.0.0.4", "10.0.0.3"),  # only proxies: the farthest one
    ],
)
def test_forwarded_client(peer: str, header: str | None, expected: str) -> None:
    assert forwarded_client(peer, header, PROXIES) == expected


def test_no_trusted_proxies_means_the_peer() -> None:
    assert forwarded_client("10.0.0.2", "198.51.100.1", ()) == "10.0.0.2"
    assert len(PROXIES) == 3


def _throttled_after(client: WebClient, forwarded: bool) -> list[int]:
    statuses = []
    for n in range(21):
        headers = {"x-forwarded-for": f"198.51.100.{n}"} if forwarded else {}
        token = client.csrf("/login")
        statuses.append(
            client.post(
                "/login",
                data={"csrf_token": token, "identifier": f"+47990000{n:02d}"},
                headers=headers,
            ).status_code
        )
    return statuses


def test_forged_header_does_not_escape_the_client_limit(runtime: Runtime) -> None:
    client = WebClient(create_web_app(runtime))
    try:
        statuses = _throttled_after(client, forwarded=True)
    finally:
        client.close()
    assert statuses[:20] == [303] * 20
    assert statuses[20] == 429


def test_trusted_proxy_counts_each_client(runtime: Runtime) -> None:
    settings = Settings(
        database_url=runtime.settings.database_url,
        secret_key="test-secret-key-for-the-web-tests-000",  # type: ignore[arg-type]
        trusted_proxies=["127.0.0.1"],
    )
    behind = Runtime(settings)
    behind.__dict__["db"] = runtime.db
    client = WebClient(create_web_app(behind))
    try:
        statuses = _throttled_after(client, forwarded=True)
    finally:
        client.close()
    assert statuses == [303] * 21
