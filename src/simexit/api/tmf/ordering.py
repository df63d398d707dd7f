"""TMF622 Product Ordering v4: `productOrder` and `cancelProductOrder`.

A `delete` item for a product (a line of the caller's) opens and submits a termination case
through the case services `/v1` uses; `modify` with the product's status `suspended` / `active`
a suspension / resumption. The order's state is derived from its cases each time it is read."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy.orm import Session

from simexit.api.deps import ActorDep, ReadSessionDep, TransactionDep
from simexit.api.errors import responses
from simexit.api.tmf.hubs import add_hub_routes
from simexit.api.tmf.models import TMF_MODEL, NoteIn, RelatedPartyIn, ShortText, Text
from simexit.api.tmf.query import (
    FieldsQuery,
    LimitQuery,
    OffsetQuery,
    filters_of,
    page_response,
    select_fields,
    tmf_time,
)
from simexit.api.transaction import Reply
from simexit.api.v1.schemas import Preview
from simexit.models import Case, TmfOrder, TmfOrderCancellation
from simexit.tmf import repository, views
from simexit.tmf import service as tmf_service
from simexit.tmf.errors import CancellationNotFound, FilterValueInvalid, OrderNotFound
from simexit.tmf.events import ORDERING_EVENTS
from simexit.tmf.rules import OrderState

BASE = "/tmf-api/productOrderingManagement/v4"
INVENTORY = "/tmf-api/productInventory/v4"
router = APIRouter(prefix=BASE, tags=["TMF622 product ordering"])

IdPath = Annotated[str, Path(max_length=100, description="The resource's id.")]
Action = Literal["add", "modify", "delete", "noChange"]


class ProductRefIn(BaseModel):
    model_config = TMF_MODEL

    id: ShortText | None = None
    status: ShortText | None = Field(
        default=None, description="For `modify`: `suspended` or `active`."
    )


class ProductOrderItemIn(BaseModel):
    model_config = TMF_MODEL

    id: ShortText
    action: Action
    quantity: Annotated[int, Field(ge=0, le=1000)] | None = None
    product: ProductRefIn | None = None


class ProductOrderCreate(BaseModel):
    """TMF622 `ProductOrder_Create`: the attributes simexit keeps (others are ignored)."""

    model_config = TMF_MODEL

    product_order_item: Annotated[list[ProductOrderItemIn], Field(min_length=1, max_length=100)]
    external_id: ShortText | None = None
    category: ShortText | None = None
    description: Text | None = None
    priority: ShortText | None = None
    requested_completion_date: AwareDatetime | None = None
    requested_start_date: AwareDatetime | None = None
    related_party: Annotated[list[RelatedPartyIn], Field(max_length=50)] | None = None
    note: Annotated[list[NoteIn], Field(max_length=50)] | None = None


class ProductOrderRefIn(BaseModel):
    model_config = TMF_MODEL

    id: ShortText
    href: Text | None = None


class CancelProductOrderCreate(BaseModel):
    model_config = TMF_MODEL

    product_order: ProductOrderRefIn
    cancellation_reason: Text | None = None
    requested_cancellation_date: AwareDatetime | None = None


# --- views ----------------------------------------------------------------------------------


def _href(request: Request, path: str) -> str:
    return str(request.base_url).rstrip("/") + path


def order_view(request: Request, order: TmfOrder, cases: dict[uuid.UUID, Case]) -> dict[str, Any]:
    doc = dict(order.document)
    items: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = list(doc.pop("note", None) or [])
    sent_items = {str(i.get("id")): i for i in doc.pop("productOrderItem", None) or []}
    effective: list[str] = []
    completed: list[datetime] = []
    derived = views.derive(order, cases)
    for item_view in derived.items:
        record, case, state, reason = (
            item_view.record,
            item_view.case,
            item_view.state,
            item_view.reason,
        )
        sent = sent_items.get(str(record["id"]), {})
        item: dict[str, Any] = {"id": record["id"], "action": record["action"]}
        if sent.get("quantity") is not None:
            item["quantity"] = sent["quantity"]
        item["state"] = state.value
        item.setdefault("@type", "ProductOrderItem")
        if record.get("product_id"):
            product: dict[str, Any] = {}
            product["id"] = record["product_id"]
            product["href"] = _href(request, f"{INVENTORY}/product/{record['product_id']}")
            product.setdefault("@referredType", "Product")
            item["product"] = product
        if case is not None:
            item["simexitCase"] = {
                "id": str(case.id),
                "reference": case.reference,
                "href": _href(request, f"/v1/cases/{case.id}"),
                "type": case.type,
                "status": case.status.value,
                "effectiveDate": case.effective_date.isoformat() if case.effective_date else None,
                "preview": Preview.of(case.preview).model_dump(mode="json")
                if case.preview
                else None,
            }
            if case.effective_date:
                effective.append(case.effective_date.isoformat())
            if case.completed_at:
                completed.append(case.completed_at)
        if reason:
            item["stateChangeReason"] = reason
            notes.append(
                {
                    "id": f"simexit-item-{record['id']}",
                    "author": "simexit",
                    "date": tmf_time(order.updated_at),
                    "text": f"item {record['id']} {state.value}: {reason}",
                    "@type": "Note",
                }
            )
        items.append(item)
    state = derived.state
    if order.state_reason and not derived.has_cases:
        notes.append(
            {
                "id": "simexit-order",
                "author": "simexit",
                "date": tmf_time(order.created_at),
                "text": f"{order.state}: {order.state_reason}",
                "@type": "Note",
            }
        )
    view: dict[str, Any] = {
        **doc,
        "id": str(order.id),
        "href": _href(request, f"{BASE}/productOrder/{order.id}"),
        "orderDate": tmf_time(order.order_date),
        "state": state.value,
        "productOrderItem": items,
        "relatedParty": doc.get("relatedParty") or [],
        "note": notes,
        "@type": "ProductOrder",
    }
    if order.requested_completion_date:
        view["requestedCompletionDate"] = tmf_time(order.requested_completion_date)
    if effective:
        view["expectedCompletionDate"] = max(effective) + "T00:00:00.000Z"
    if state is OrderState.completed and completed:
        view["completionDate"] = tmf_time(max(completed))
    if order.cancellation_date:
        view["cancellationDate"] = tmf_time(order.cancellation_date)
        if order.cancellation_reason:
            view["cancellationReason"] = order.cancellation_reason
    if order.external_id:
        view["externalId"] = order.external_id
    return view


def _views(request: Request, session: Session, orders: list[TmfOrder]) -> list[dict[str, Any]]:
    ids = [i for o in orders for i in views.case_ids(o)]
    cases = repository.cases_by_id(session, ids)
    return [order_view(request, o, cases) for o in orders]


def cancellation_view(request: Request, c: TmfOrderCancellation) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": str(c.id),
        "href": _href(request, f"{BASE}/cancelProductOrder/{c.id}"),
        "state": c.state,
        "productOrder": {
            "id": str(c.order_id),
            "href": _href(request, f"{BASE}/productOrder/{c.order_id}"),
            "@referredType": "ProductOrder",
        },
        "@type": "CancelProductOrder",
    }
    if c.cancellation_reason:
        view["cancellationReason"] = c.cancellation_reason
    if c.requested_cancellation_date:
        view["requestedCancellationDate"] = tmf_time(c.requested_cancellation_date)
    if c.effective_cancellation_date:
        view["effectiveCancellationDate"] = tmf_time(c.effective_cancellation_date)
    if c.state_reason:
        view["stateChangeReason"] = c.state_reason
    return view


def _uuid(value: str, error: type[OrderNotFound] | type[CancellationNotFound]) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise error(f"no such resource {value!r}", field="id") from None


# --- productOrder ---------------------------------------------------------------------------

ORDER_FILTERS = ("id", "state", "externalId", "orderDate")
ORDER_REQUIRED = ("productOrderItem",)  # the v4 spec's `ProductOrder.required`
CANCEL_REQUIRED = ("productOrder",)


@router.post(
    "/productOrder",
    name="tmf622_create_product_order",
    status_code=201,
    responses=responses(400, 401, 403, 404, 409),
)
async def create_product_order(
    request: Request, body: ProductOrderCreate, call: TransactionDep
) -> JSONResponse:
    """Place an order. Items simexit does not carry out are recorded and answered `rejected`."""
    document = body.model_dump(mode="json", exclude_none=True, by_alias=True)

    def effect(session: Session, now: datetime) -> Reply:
        order = tmf_service.place_order(
            session,
            call.runtime.cases,
            actor=call.actor,
            items=[
                tmf_service.OrderItemIn(
                    id=i.id,
                    action=i.action,
                    product_id=i.product.id if i.product else None,
                    product_status=i.product.status if i.product else None,
                )
                for i in body.product_order_item
            ],
            document=document,
            external_id=body.external_id,
            requested_completion_date=body.requested_completion_date,
            now=now,
        )
        view = _views(request, session, [order])[0]
        return Reply(view, 201, f"{BASE}/productOrder/{order.id}")

    return await call.respond(effect)


@router.get("/productOrder", name="tmf622_list_product_orders", responses=responses(400, 401, 403))
def list_product_orders(
    request: Request,
    session: ReadSessionDep,
    actor: ActorDep,
    fields: FieldsQuery = None,
    offset: OffsetQuery = 0,
    limit: LimitQuery = 100,
) -> JSONResponse:
    """Newest first. Filters: `id`, `state`, `externalId`, `orderDate` (repeat or comma-separate
    values to match several)."""
    tmf_service.require_api_caller(actor)
    found = filters_of(request, ORDER_FILTERS)
    filters = repository.OrderFilters(
        ids=[_filter_uuid(v) for v in found.get("id", [])],
        external_ids=found.get("externalId", []),
        order_dates=[_filter_time(v) for v in found.get("orderDate", [])],
        states=found.get("state", []),
    )
    orders, total = repository.list_orders(session, actor, filters, offset=offset, limit=limit)
    views = _views(request, session, orders)
    return page_response([select_fields(v, fields, ORDER_REQUIRED) for v in views], total)


def _filter_uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        # No order has such an id: match nothing rather than refuse.
        return uuid.UUID(int=0)


def _filter_time(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "+"))
    except ValueError:
        raise FilterValueInvalid(
            f"orderDate {value!r} is not an RFC 3339 date-time", field="query.orderDate"
        ) from None
    if parsed.tzinfo is None:
        raise FilterValueInvalid("orderDate needs a time zone (Z)", field="query.orderDate")
    return parsed


@router.get(
    "/productOrder/{id}",
    name="tmf622_get_product_order",
    responses=responses(401, 403, 404),
)
def get_product_order(
    id: IdPath,
    request: Request,
    session: ReadSessionDep,
    actor: ActorDep,
    fields: FieldsQuery = None,
) -> dict[str, Any]:
    tmf_service.require_api_caller(actor)
    order = repository.get_order(session, actor, _uuid(id, OrderNotFound))
    return select_fields(_views(request, session, [order])[0], fields, ORDER_REQUIRED)


# --- cancelProductOrder ---------------------------------------------------------------------


@router.post(
    "/cancelProductOrder",
    name="tmf622_create_cancel_product_order",
    status_code=201,
    responses=responses(400, 401, 403, 404, 409),
)
async def create_cancel_product_order(
    request: Request, body: CancelProductOrderCreate, call: TransactionDep
) -> JSONResponse:
    """Cancel an order: its cases are withdrawn (`done`), or none is when one has already been
    carried out or takes effect today (`rejected`, with `stateChangeReason`)."""
    try:
        order_id = uuid.UUID(body.product_order.id)
    except ValueError:
        order_id = uuid.UUID(int=0)  # no order has it: refused as unknown below

    def effect(session: Session, now: datetime) -> Reply:
        cancellation = tmf_service.cancel_order(
            session,
            call.runtime.cases,
            actor=call.actor,
            order_id=order_id,
            reason=body.cancellation_reason,
            requested_cancellation_date=body.requested_cancellation_date,
            now=now,
        )
        return Reply(
            cancellation_view(request, cancellation),
            201,
            f"{BASE}/cancelProductOrder/{cancellation.id}",
        )

    return await call.respond(effect)


@router.get(
    "/cancelProductOrder",
    name="tmf622_list_cancel_product_orders",
    responses=responses(400, 401, 403),
)
def list_cancel_product_orders(
    request: Request,
    session: ReadSessionDep,
    actor: ActorDep,
    fields: FieldsQuery = None,
    offset: OffsetQuery = 0,
    limit: LimitQuery = 100,
) -> JSONResponse:
    tmf_service.require_api_caller(actor)
    filters_of(request, ())
    found, total = repository.list_cancellations(session, actor, offset=offset, limit=limit)
    return page_response(
        [select_fields(cancellation_view(request, c), fields, CANCEL_REQUIRED) for c in found],
        total,
    )


@router.get(
    "/cancelProductOrder/{id}",
    name="tmf622_get_cancel_product_order",
    responses=responses(401, 403, 404),
)
def get_cancel_product_order(
    id: IdPath,
    request: Request,
    session: ReadSessionDep,
    actor: ActorDep,
    fields: FieldsQuery = None,
) -> dict[str, Any]:
    tmf_service.require_api_caller(actor)
    found = repository.get_cancellation(session, actor, _uuid(id, CancellationNotFound))
    return select_fields(cancellation_view(request, found), fields, CANCEL_REQUIRED)


add_hub_routes(router, api="TMF622", event_types=ORDERING_EVENTS, prefix=BASE)
