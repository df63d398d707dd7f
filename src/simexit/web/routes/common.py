"""Helpers every screen shares: error pages, the clock, the client's address."""

from __future__ import annotations

from datetime import datetime

from fastapi import Request

from simexit.web import clocks
from simexit.web.pages import csrf_refused, error_page, not_found
from simexit.web.security import Network, forwarded_client


def now() -> datetime:
    """The signed-in staff member's or subscriber's operator's now (`web.clocks`)."""
    return clocks.now()


def client_address(request: Request, trusted: tuple[Network, ...] = ()) -> str:
    peer = request.client.host if request.client else "unknown"
    return forwarded_client(peer, request.headers.get("x-forwarded-for"), trusted)


__all__ = ["client_address", "csrf_refused", "error_page", "not_found", "now"]
