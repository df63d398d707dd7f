"""TMF637 Product Inventory v4: the caller's lines as products (read only; a product is ended
with a TMF622 `delete` order, never deleted here)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from simexit.api.deps import ActorDep, ReadSessionDep
from simexit.api.errors import responses
from simexit.api.tmf.hubs import add_hub_routes
from simexit.api.tmf.query import (
    FieldsQuery,
    LimitQuery,
    OffsetQuery,
    filters_of,
    page_response,
    select_fields,
)
from simexit.models import Line
from simexit.tmf import repository
from simexit.tmf import service as tmf_service
from simexit.tmf.errors import FilterValueInvalid, ProductNotFound
from simexit.tmf.events import PRODUCT_STATUS_CHANGE
from simexit.tmf.rules import PRODUCT_STATUS_OF_LINE, ProductStatus, line_statuses_for

BASE = "/tmf-api/productInventory/v4"
router = APIRouter(prefix=BASE, tags=["TMF637 product inventory"])
IdPath = Annotated[str, Path(max_length=100, description="The product's (line's) id.")]
PRODUCT_FILTERS = ("id", "status", "name")


def _money(minor: int, currency: str) -> dict[str, Any]:
    return {"unit": currency, "value": minor / 100}


def product_view(request: Request, line: Line) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/")
    characteristics = [
        {"name": name, "valueType": "string", "value": value}
        for name, value in (
            ("msisdn", line.msisdn),
            ("kind", line.kind),
            ("plan", line.plan),
            ("iccid", line.iccid),
            ("brand", line.brand),
        )
        if value
    ]
    prices = (
        [
            {
                "name": "monthly fee",
                "priceType": "recurring",
                "recurringChargePeriod": "month",
                "price": {"taxIncludedAmount": _money(line.monthly_fee_minor, line.currency)},
                "@type": "ProductPrice",
            }
        ]
        if line.monthly_fee_minor is not None
        else []
    )
    view: dict[str, Any] = {
        "id": str(line.id),
        "href": f"{base}{BASE}/product/{line.id}",
        "name": line.product_name or f"{line.plan} {line.kind}",
        "isBundle": False,
        "isCustomerVisible": True,
        "status": PRODUCT_STATUS_OF_LINE[line.status].value,
        "startDate": f"{line.activated_on.isoformat()}T00:00:00.000Z",
        "billingAccount": {
            "id": str(line.subscriber_id),
            "@referredType": "BillingAccount",
        },
        "productCharacteristic": characteristics,
        "productOffering": {
            "id": line.product_name or line.plan,
            "name": line.product_name or line.plan,
            "@referredType": "ProductOffering",
        },
        "productPrice": prices,
        "relatedParty": [
            {"id": str(line.subscriber_id), "role": "customer", "@referredType": "Individual"}
        ],
        "@type": "Product",
    }
    if line.iccid:
        view["productSerialNumber"] = line.iccid
    if line.terminated_on:
        view["terminationDate"] = f"{line.terminated_on.isoformat()}T00:00:00.000Z"
    return view


@router.get("/product", name="tmf637_list_products", responses=responses(400, 401, 403))
def list_products(
    request: Request,
    session: ReadSessionDep,
    actor: ActorDep,
    fields: FieldsQuery = None,
    offset: OffsetQuery = 0,
    limit: LimitQuery = 100,
) -> JSONResponse:
    """The caller's lines, oldest first. Filters: `id`, `status`, `name`."""
    tmf_service.require_api_caller(actor)
    found = filters_of(request, PRODUCT_FILTERS)
    statuses = None
    if "status" in found:
        statuses = [s for value in found["status"] for s in line_statuses_for(_status(value))]
    ids = []
    for value in found.get("id", []):
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            ids.append(uuid.UUID(int=0))  # no product has it: match nothing
    filters = repository.ProductFilters(ids=ids, statuses=statuses, names=found.get("name", []))
    lines, total = repository.list_products(session, actor, filters, offset=offset, limit=limit)
    return page_response([select_fields(product_view(request, li), fields) for li in lines], total)


def _status(value: str) -> ProductStatus:
    try:
        return ProductStatus(value)
    except ValueError:
        raise FilterValueInvalid(
            f"{value!r} is not a product status; one of "
            + ", ".join(s.value for s in ProductStatus),
            field="query.status",
        ) from None


@router.get("/product/{id}", name="tmf637_get_product", responses=responses(401, 403, 404))
def get_product(
    id: IdPath,
    request: Request,
    session: ReadSessionDep,
    actor: ActorDep,
    fields: FieldsQuery = None,
) -> dict[str, Any]:
    tmf_service.require_api_caller(actor)
    try:
        line_id = uuid.UUID(id)
    except ValueError:
        raise ProductNotFound(f"no such product {id!r}", field="id") from None
    line = repository.get_product(session, actor, line_id)
    return select_fields(product_view(request, line), fields)


add_hub_routes(router, api="TMF637", event_types=(PRODUCT_STATUS_CHANGE,), prefix=BASE)
