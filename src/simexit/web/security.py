"""Signed session cookies, CSRF tokens and the security headers of every page.

Cookies are `base64(payload).hmac` signed with a key derived from `settings.secret_key`; the
CSRF token is a signed double-submit: a random value in its own cookie and its HMAC in the form.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
from collections.abc import Callable, Coroutine, Iterable
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request, Response
from fastapi.routing import APIRoute

SESSION_COOKIE = "sx_session"  # a subscriber's, for the portal
# A staff member's, sent to the console only: signing in to the portal in another tab (or out of
# it) leaves the agent signed in, and the portal never sees the staff token.
STAFF_SESSION_COOKIE = "sx_console"
CONSOLE_PATH = "/console"
CSRF_COOKIE = "sx_csrf"
LANG_COOKIE = "sx_lang"
CSRF_FIELD = "csrf_token"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def derive_key(secret: bytes, purpose: str) -> bytes:
    return hmac.new(secret, f"simexit.web.{purpose}".encode(), hashlib.sha256).digest()


class Signer:
    """Signs small JSON payloads; `loads` returns None for anything tampered, expired or malformed."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, body: bytes) -> str:
        return (
            base64.urlsafe_b64encode(hmac.new(self._key, body, hashlib.sha256).digest())
            .decode()
            .rstrip("=")
        )

    def dumps(self, payload: dict[str, Any]) -> str:
        body = (
            base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode())
            .decode()
            .rstrip("=")
        )
        return f"{body}.{self._mac(body.encode())}"

    def loads(self, token: str | None, *, now: float) -> dict[str, Any] | None:
        if not token or token.count(".") != 1:
            return None
        body, mac = token.split(".")
        if not hmac.compare_digest(mac, self._mac(body.encode())):
            return None
        try:
            payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError:
            return None
        if not isinstance(payload, dict) or float(payload.get("exp", 0)) < now:
            return None
        return payload

    def token(self, value: str) -> str:
        return self._mac(f"csrf:{value}".encode())


def new_csrf_seed() -> str:
    return secrets.token_urlsafe(24)


def csrf_seed(request: Request) -> str:
    """The CSRF cookie value of this request, creating one (set on the response) if missing."""
    seed = getattr(request.state, "csrf_seed", None) or request.cookies.get(CSRF_COOKIE)
    if not seed or len(seed) < 16:
        seed = new_csrf_seed()
        request.state.new_csrf_seed = seed
    request.state.csrf_seed = seed
    return str(seed)


def csrf_valid(signer: Signer, request: Request, submitted: object) -> bool:
    seed = request.cookies.get(CSRF_COOKIE)
    if not seed or not isinstance(submitted, str) or not submitted:
        return False
    return hmac.compare_digest(signer.token(seed), submitted)


HSTS = "max-age=31536000; includeSubDomains"


def is_https(request: Request) -> bool:
    """Whether the browser talks https to us: directly, or to a trusted proxy that says so.

    `X-Forwarded-Proto` from anyone else is ignored: a client could claim https over plain http
    and get cookies it should never see marked for a channel that does not exist."""
    if request.url.scheme == "https":
        return True
    if request.headers.get("x-forwarded-proto", "").strip().lower() != "https":
        return False
    web = getattr(request.state, "web", None)
    trusted: tuple[Network, ...] = getattr(web, "trusted_proxies", ())
    peer = request.client.host if request.client else ""
    return _is_trusted(peer, trusted)


def set_cookie(
    request: Request,
    response: Response,
    name: str,
    value: str,
    *,
    max_age: int | None,
    path: str = "/",
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=is_https(request),
        path=path,
    )


def session_cookie_of(path: str) -> tuple[str, str]:
    """The session cookie a page at `path` reads, and the path it is set for: the console's
    own below `/console`, the subscriber's everywhere else."""
    if path == CONSOLE_PATH or path.startswith(CONSOLE_PATH + "/"):
        return STAFF_SESSION_COOKIE, CONSOLE_PATH
    return SESSION_COOKIE, "/"


class ShowPage(Exception):
    """A dependency answers the request in place of its handler: the page of a refused form, a
    redirect to the login page. `SecureRoute` sends `response` like any other."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class SecureRoute(APIRoute):
    """Adds the security headers to every response and sets a fresh CSRF cookie when one was made;
    a `ShowPage` raised by a dependency is the response."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def secured(request: Request) -> Response:
            try:
                response = await handler(request)
            except ShowPage as shown:
                response = shown.response
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            if is_https(request):
                response.headers.setdefault("Strict-Transport-Security", HSTS)
            seed = getattr(request.state, "new_csrf_seed", None)
            if seed:
                set_cookie(request, response, CSRF_COOKIE, seed, max_age=None)
            return response

        return secured


# -- the client behind a reverse proxy ----------------------------------------------------------

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or CIDR blocks (`10.0.0.5`, `10.0.0.0/8`, `::1`); unreadable entries are skipped."""
    out: list[Network] = []
    for entry in entries:
        try:
            out.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            continue
    return tuple(out)


def _is_trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip.version == net.version and ip in net for net in trusted)


def forwarded_client(peer: str, forwarded_for: str | None, trusted: tuple[Network, ...]) -> str:
    """The client a throttle should count: the direct peer, unless that peer is a trusted proxy.

    Behind trusted proxies, X-Forwarded-For is read from the right (each proxy appends the address
    it received from) and the first address that is not itself a trusted proxy is the client. A
    header from an untrusted peer is ignored, so nobody can pick their own address to dodge limits.
    """
    if not trusted or not forwarded_for or not _is_trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a garbled entry: count the proxy rather than trust the junk
    return hops[0] if hops else peer


# -- where to go after signing in ---------------------------------------------------------------

NEXT_MAX_LENGTH = 2000


def safe_next(raw: object) -> str | None:
    """`raw` if it is a path on this site (`/console/cases?x=1`), else None.

    Refused: anything with a scheme or host (`https://evil.example`, `javascript:…`), a
    protocol-relative `//evil.example`, and backslashes or control characters anywhere (browsers
    read `/\\evil.example` as `//evil.example`, and strip tabs and newlines before parsing)."""
    if not isinstance(raw, str) or not raw.startswith("/") or len(raw) > NEXT_MAX_LENGTH:
        return None
    if raw.startswith("//") or "\\" in raw or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in raw):
        return None
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc:
        return None
    return raw
