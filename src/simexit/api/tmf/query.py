"""TM Forum list conventions: attribute filters from the query string, `fields=`, `offset` and
`limit` with `X-Total-Count` / `X-Result-Count`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import JSONResponse, Response

from simexit.tmf.errors import FilterNotSupported

PAGING = frozenset({"fields", "offset", "limit"})
OffsetQuery = Annotated[int, Query(ge=0, le=1_000_000, description="Index of the first resource.")]
LimitQuery = Annotated[int, Query(ge=1, le=1000, description="How many resources at most.")]
FieldsQuery = Annotated[
    str | None,
    Query(
        max_length=500,
        description="Comma-separated attributes to return (id, href and @type always come).",
    ),
]
ALWAYS = ("id", "href", "@type")


def filters_of(
    request: Request, supported: Iterable[str], whole: Iterable[str] = ()
) -> dict[str, list[str]]:
    """The attribute filters of the query (`?state=held&state=pending`, or comma-separated;
    the attributes in `whole` are free text, never split). An attribute simexit cannot filter
    on is refused rather than ignored (400)."""
    unsplit = frozenset(whole)
    allowed = frozenset(supported)
    found: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        if name in PAGING:
            continue
        if name not in allowed:
            raise FilterNotSupported(
                f"cannot filter on {name!r}; filters: {', '.join(sorted(allowed))}",
                field=f"query.{name}",
                supported=", ".join(sorted(allowed)) or "none",
            )
        values = [value] if name in unsplit else value.split(",")
        found.setdefault(name, []).extend(v for v in values if v)
    return found


def select_fields(
    resource: dict[str, Any], fields: str | None, required: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Only the `fields` asked for, and always `id`, `href`, `@type` and the attributes the spec
    makes `required` for the resource (a ProductOrder without `productOrderItem` is invalid)."""
    if not fields:
        return resource
    wanted = {f.strip() for f in fields.split(",") if f.strip()} | set(ALWAYS) | set(required)
    return {k: v for k, v in resource.items() if k in wanted}


def page_response(items: list[dict[str, Any]], total: int) -> JSONResponse:
    return JSONResponse(
        items, headers={"X-Total-Count": str(total), "X-Result-Count": str(len(items))}
    )


def tmf_time(value: Any) -> str | None:
    """RFC 3339 in UTC with milliseconds and `Z` (no `+`, which a query string would turn into
    a space when a client sends the value back as a filter)."""
    if value is None:
        return None
    text: str = value.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")  # isoformat pads the year (0240-...), strftime does not


def no_content() -> Response:
    """204, with the content type the TM Forum specs declare for every answer."""
    return Response(status_code=204, media_type="application/json;charset=utf-8")
