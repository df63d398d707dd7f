"""The agent console: staff login, review queue, case detail and decisions, SIM returns, jobs, sink."""

from simexit.web.routes.console import (
    cases,
    erasure,
    information,
    intake,
    login,
    operations,
    outcomes,
    queue,
)
from simexit.web.routes.console.permissions import ROLE_TRIGGERS, permitted_actions

# The queue's own case routes (assign) come before the generic `/console/cases/{id}/{action}`.
ROUTERS = (
    login.router,
    erasure.router,
    queue.router,
    intake.router,
    information.router,
    cases.router,
    operations.router,
    outcomes.router,
)

__all__ = ["ROLE_TRIGGERS", "ROUTERS", "permitted_actions"]
