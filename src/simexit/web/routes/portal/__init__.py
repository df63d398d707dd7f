"""The subscriber portal: code login, own lines, preview and request, code confirmation, status."""

from simexit.web.routes.portal import cases, eid, erasure, information, lines, login, offers

ROUTERS = (
    login.router,
    lines.router,
    offers.router,
    cases.router,
    information.router,
    eid.router,
    erasure.router,
)

__all__ = ["ROUTERS"]
