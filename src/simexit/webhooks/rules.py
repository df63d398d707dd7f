"""Which URLs an endpoint may have and which events it may ask for. Pure.

URL rule: `https://` with a host name, no user name or password in it, no fragment. In the
`local` and `test` environments a loopback receiver (`localhost`, `127.0.0.0/8`, `::1`) may also
use plain `http://`, for a receiver on the developer's machine; in `staging` and `production`
loopback, private, link-local and unspecified addresses are refused outright, whatever the
scheme, so that an endpoint cannot be pointed at simexit's own network.
"""

from __future__ import annotations

import ipaddress
from typing import Final
from urllib.parse import urlsplit

# Every event simexit sends (tests/webhooks hold the emitters to it).
EVENT_TYPES: Final = (
    "case.submitted",
    "case.blocked",
    "case.in_review",
    "case.approved",
    "case.rejected",
    "case.withdrawn",
    "case.completed",
    "case.failed",
    "line.terminated",
    "line.suspended",
    "line.resumed",
    "case.information_required",
    "line.retention_offer_accepted",
)
# Each live endpoint gets its own delivery row and job in the transaction of every event.
MAX_LIVE_ENDPOINTS: Final = 10
MAX_GRACE_HOURS: Final = 168
DEFAULT_GRACE_HOURS: Final = 24

URL_INVALID: Final = "url_invalid"
URL_HTTPS_REQUIRED: Final = "url_https_required"
URL_CREDENTIALS: Final = "url_credentials"
URL_FRAGMENT: Final = "url_fragment"
URL_PRIVATE_HOST: Final = "url_private_host"


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_internal(host: str) -> bool:
    if _is_loopback(host) or host.lower().endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_link_local or address.is_unspecified


def url_rule_broken(url: str, *, allow_loopback_http: bool) -> str | None:
    """The code of the rule `url` breaks, or None."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError:
        return URL_INVALID
    if parts.scheme not in {"http", "https"} or not host or any(c.isspace() for c in url):
        return URL_INVALID
    if parts.username is not None or parts.password is not None:
        return URL_CREDENTIALS
    if parts.fragment:
        return URL_FRAGMENT
    if allow_loopback_http:
        if parts.scheme == "http" and not _is_loopback(host):
            return URL_HTTPS_REQUIRED
        return None
    if parts.scheme != "https":
        return URL_HTTPS_REQUIRED
    if _is_internal(host):
        return URL_PRIVATE_HOST
    return None
