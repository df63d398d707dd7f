"""The subscriber portal: code login, own lines, preview and request, code confirmation, status."""

from simexit.web.routes.portal import cases, erasure, lines, login

ROUTERS = (login.router, lines.router, cases.router, erasure.router)

__all__ = ["ROUTERS"]
