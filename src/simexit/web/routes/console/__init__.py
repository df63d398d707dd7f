"""The agent console: staff login, review queue, case detail and decisions, SIM returns, jobs, sink."""

from simexit.web.routes.console import cases, erasure, login, operations
from simexit.web.routes.console.permissions import ROLE_TRIGGERS, permitted_actions

ROUTERS = (login.router, erasure.router, cases.router, operations.router)

__all__ = ["ROLE_TRIGGERS", "ROUTERS", "permitted_actions"]
