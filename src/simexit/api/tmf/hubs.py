"""TM Forum `hub`: a listener registers a callback for the API's events (`POST /hub`, answered
with the signing secret, shown once) and removes it (`DELETE /hub/{id}`). Each hub is a webhook
endpoint naming the API's event types, so events go out as simexit's durable, signed, retried
webhook deliveries (docs/tmforum.md)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from simexit.api.deps import ActorDep, ReadSessionDep, TransactionDep
from simexit.api.errors import responses
from simexit.api.tmf.models import NO_NUL
from simexit.api.tmf.query import no_content
from simexit.api.transaction import Reply
from simexit.models import WebhookEndpoint
from simexit.tmf import service as tmf_service
from simexit.tmf.errors import HubNotFound

LOOPBACK_ENVIRONMENTS = frozenset({"local", "test"})


class HubCreate(BaseModel):
    model_config = ConfigDict(extra="allow")

    callback: Annotated[str, Field(min_length=1, max_length=500, pattern=NO_NUL)]
    query: Annotated[str, Field(max_length=500, pattern=NO_NUL)] | None = None


def _view(
    request: Request, base: str, endpoint: WebhookEndpoint, secret: str | None = None
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": str(endpoint.id),
        "href": str(request.base_url).rstrip("/") + f"{base}/hub/{endpoint.id}",
        "callback": endpoint.url,
        "@type": "EventSubscription",
        "events": list(endpoint.events),
        "state": "disabled" if endpoint.disabled_at else "active",
    }
    if secret is not None:
        view["secret"] = secret
    return view


def _hub_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise HubNotFound(f"no such hub {value!r}", field="id") from None


def add_hub_routes(
    router: APIRouter, *, api: str, event_types: tuple[str, ...], prefix: str
) -> None:
    """`POST /hub`, `GET /hub/{id}`, `DELETE /hub/{id}` on `router` for `event_types`."""
    slug = api.lower()

    async def register_hub(request: Request, body: HubCreate, call: TransactionDep) -> JSONResponse:
        allow_http = call.runtime.settings.env.value in LOOPBACK_ENVIRONMENTS

        def effect(session: Session, now: datetime) -> Reply:
            made = tmf_service.register_hub(
                session,
                actor=call.actor,
                callback=body.callback,
                query=body.query,
                event_types=event_types,
                api=api,
                allow_loopback_http=allow_http,
                now=now,
            )
            view = _view(request, prefix, made.endpoint, made.secret)
            if body.query:
                view["query"] = body.query
            return Reply(view, 201, f"{prefix}/hub/{made.endpoint.id}")

        return await call.respond(effect)

    def get_hub(
        id: Annotated[str, Path(max_length=100)],
        request: Request,
        session: ReadSessionDep,
        actor: ActorDep,
    ) -> dict[str, Any]:
        endpoint = tmf_service.hub(
            session, actor=actor, hub_id=_hub_id(id), event_types=event_types
        )
        return _view(request, prefix, endpoint)

    async def unregister_hub(
        id: Annotated[str, Path(max_length=100)], call: TransactionDep
    ) -> Response:
        hub_id = _hub_id(id)

        def effect(session: Session, now: datetime) -> Reply:
            tmf_service.unregister_hub(
                session, actor=call.actor, hub_id=hub_id, event_types=event_types, now=now
            )
            return Reply({}, 204)

        answer = await call.respond(effect)
        return no_content() if answer.status_code == 204 else answer

    router.add_api_route(
        "/hub",
        register_hub,
        methods=["POST"],
        name=f"{slug}_register_hub",
        status_code=201,
        responses=responses(400, 401, 403, 409),
        summary=f"Register a listener for the {api} events",
    )
    router.add_api_route(
        "/hub/{id}",
        get_hub,
        methods=["GET"],
        name=f"{slug}_get_hub",
        responses=responses(401, 403, 404),
    )
    router.add_api_route(
        "/hub/{id}",
        unregister_hub,
        methods=["DELETE"],
        name=f"{slug}_unregister_hub",
        status_code=204,
        responses=responses(401, 403, 404),
    )
