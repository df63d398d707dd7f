"""Liveness, readiness and metrics: outside /v1. Health needs no key; metrics need their own
token (`SIMEXIT_METRICS_TOKEN`) and are open without one only in `local` and `test`."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from simexit import migrate
from simexit.api.deps import RuntimeDep
from simexit.api.errors import problem_body, problem_response, responses
from simexit.api.metrics import ApiMetrics
from simexit.api.v1.schemas import Health
from simexit.config import REAL_SECRET_REQUIRED

router = APIRouter(tags=["operations"])


@router.get("/healthz", name="healthz", response_model=Health)
def healthz() -> Health:
    """The process is up. Touches nothing else."""
    return Health(status="ok")


@router.get("/readyz", name="readyz", response_model=Health, responses=responses(503))
def readyz(request: Request, runtime: RuntimeDep) -> Health | JSONResponse:
    """The database answers and its schema is at the newest migration."""
    try:
        with runtime.db.read_session() as session:
            session.execute(text("SELECT 1"))
        at_head = migrate.is_at_head(runtime.db.engine)
    except Exception:
        reason = "database unreachable"
    else:
        if at_head:
            return Health(status="ok", checks={"database": "ok", "migrations": "at head"})
        reason = "migrations not at head"
    body = problem_body(request, code="not_ready", status=503, extra={"reason": reason})
    return problem_response(request, body, {"Retry-After": "5"})


@router.get(
    "/metrics",
    name="metrics",
    response_class=Response,
    responses={
        200: {
            "content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}},
            "description": "Prometheus text format.",
        },
        **responses(401, 404),
    },
)
def metrics(request: Request, runtime: RuntimeDep) -> Response:
    """Prometheus metrics, for `Authorization: Bearer <SIMEXIT_METRICS_TOKEN>`."""
    token = runtime.settings.metrics_token.get_secret_value()
    if not token and runtime.settings.env in REAL_SECRET_REQUIRED:
        return problem_response(request, problem_body(request, code="not_found", status=404))
    if token:
        sent = request.headers.get("authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            body = problem_body(request, code="unauthenticated_metrics", status=401)
            return problem_response(request, body, {"WWW-Authenticate": 'Bearer realm="metrics"'})
    metrics: ApiMetrics = request.app.state.metrics
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
