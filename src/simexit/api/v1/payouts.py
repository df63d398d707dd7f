"""Refunds that are paid: a case's refund destination, payouts, pain.001 batches, bank answers.

`PUT /v1/cases/{id}/refund-destination` takes where the refund goes (any caller who may act on
the case: the subscriber, an agent, a reseller for its own cases); the answer shows it masked.
The rest needs the admin scope: `GET /v1/payouts`, `POST /v1/payout-batches` (one pain.001 file
of the scheduled bank refunds in a currency), `GET /v1/payout-batches/{id}/file` (the file, byte
for byte), and `POST /v1/payout-batches/status-reports` (the bank's pain.002, as XML).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from simexit.access.scopes import require_admin
from simexit.api.deps import ActorDep, ReadSessionDep, RuntimeDep, TransactionDep
from simexit.api.errors import responses
from simexit.api.transaction import Reply
from simexit.api.v1.paging import CURSOR_PATTERN, decode_cursor, page_of
from simexit.errors import InvalidInput
from simexit.kit.money import Money
from simexit.models import Operator, Payout, PayoutBatch
from simexit.refunds import repository, service
from simexit.refunds.errors import (
    BatchNotFound,
    ReportTooLarge,
    UnsupportedReportType,
)
from simexit.refunds.states import PayoutStatus

router = APIRouter(tags=["payouts"])
XML = "application/xml"
MAX_REPORT_BYTES = 20 * 1024 * 1024


class RefundDestinationWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["no_account", "iban", "us_account", "ru_account", "card", "line"] = Field(
        description="A bank account form the operator's country uses, the card paid with "
        "(the payment provider's token), or another line of the subscriber (its id)."
    )
    holder_name: str = Field(max_length=140, description="The account holder.")
    account: str = Field(
        max_length=64, description="Account number, IBAN, card token or the line's id."
    )
    bank_id: str | None = Field(
        default=None, max_length=11, description="BIC, ABA routing number or the Russian BIC."
    )


class RefundDestinationRead(BaseModel):
    case_id: uuid.UUID
    kind: str | None = Field(description="None while no destination is given.")
    masked: str | None = Field(description="None once erased with the personal data.")
    payout_status: PayoutStatus | None = Field(
        description="None until the case has settled and its payout is opened."
    )

    @classmethod
    def of(cls, view: service.DestinationView) -> RefundDestinationRead:
        return cls(
            case_id=view.case_id,
            kind=view.kind,
            masked=view.masked,
            payout_status=view.payout_status,
        )


class PayoutRead(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    case_reference: str
    amount: str = Field(description="A decimal string in the currency's minor-unit precision.")
    currency: str
    status: PayoutStatus
    destination: str | None = Field(description="Masked.")
    batch_id: uuid.UUID | None
    files_sent: int
    return_reason: str | None = Field(description="The bank's reason code, e.g. AC04.")
    created_at: datetime
    updated_at: datetime
    settled_at: datetime | None

    @classmethod
    def of(cls, payout: Payout, reference: str, masked: str | None) -> PayoutRead:
        return cls(
            id=payout.id,
            case_id=payout.case_id,
            case_reference=reference,
            amount=Money(payout.amount_minor, payout.currency).as_str(),
            currency=payout.currency,
            status=payout.status,
            destination=masked,
            batch_id=payout.batch_id,
            files_sent=payout.files_sent,
            return_reason=payout.return_reason,
            created_at=payout.created_at,
            updated_at=payout.updated_at,
            settled_at=payout.settled_at,
        )


class PayoutList(BaseModel):
    items: list[PayoutRead]
    next_cursor: str | None


class BatchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    currency: str = Field(pattern=r"^[A-Z]{3}$", description="One currency per file.")
    execution_date: date | None = Field(
        default=None, description="Requested execution date; default: the next day."
    )


class BatchRead(BaseModel):
    id: uuid.UUID
    message_id: str = Field(description="The file's MsgId; a status report names it.")
    currency: str
    transfers: int
    total: str
    execution_date: date
    sha256: str
    created_at: datetime
    last_report_id: str | None
    file: str = Field(description="The URL of the pain.001 file.")

    @classmethod
    def of(cls, batch: PayoutBatch) -> BatchRead:
        return cls(
            id=batch.id,
            message_id=batch.message_id,
            currency=batch.currency,
            transfers=batch.transfer_count,
            total=Money(batch.total_minor, batch.currency).as_str(),
            execution_date=batch.execution_date,
            sha256=batch.sha256,
            created_at=batch.created_at,
            last_report_id=batch.last_report_id,
            file=f"/v1/payout-batches/{batch.id}/file",
        )


class ReportRead(BaseModel):
    report_id: str
    batch_id: uuid.UUID
    settled: int
    returned: int
    pending: int
    unchanged: int
    unknown: list[str] = Field(description="EndToEndIds the file did not contain.")


@router.put(
    "/v1/cases/{case_id}/refund-destination",
    name="set_refund_destination",
    response_model=RefundDestinationRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def set_refund_destination(
    case_id: uuid.UUID, body: RefundDestinationWrite, call: TransactionDep
) -> JSONResponse:
    """Where the case's refund is paid, checked as its form and the operator's rules say."""

    def effect(session: Session, now: datetime) -> Reply:
        view = service.give_destination(
            session,
            call.runtime.cases,
            actor=call.actor,
            case_id=case_id,
            values=body.model_dump(),
            now=now,
            request_id=call.request_id,
        )
        return Reply(RefundDestinationRead.of(view))

    return await call.respond(effect)


@router.get(
    "/v1/cases/{case_id}/refund-destination",
    name="get_refund_destination",
    response_model=RefundDestinationRead,
    responses=responses(401, 403, 404, 422),
)
def get_refund_destination(
    case_id: uuid.UUID, session: ReadSessionDep, actor: ActorDep
) -> RefundDestinationRead:
    """Where the case's refund goes; `kind` null while none is given."""
    view = service.destination_view(session, actor, case_id)
    return RefundDestinationRead.of(view)


@router.get(
    "/v1/payouts",
    name="list_payouts",
    response_model=PayoutList,
    responses=responses(401, 403, 422),
)
def list_payouts(
    request: Request,
    session: ReadSessionDep,
    actor: ActorDep,
    status: PayoutStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[
        str | None,
        Query(
            max_length=200,
            description="The `next_cursor` of the page before.",
            json_schema_extra={"pattern": CURSOR_PATTERN},
        ),
    ] = None,
) -> PayoutList:
    """Newest first."""
    require_admin(actor)
    after = decode_cursor(cursor) if cursor else None
    rows = repository.list_payouts(session, actor, status=status, after=after, limit=limit + 1)
    payouts = [payout for payout, _ref, _masked in rows]
    page, next_cursor, _next = page_of(request, payouts, limit)
    shown = rows[: len(page)]
    return PayoutList(
        items=[PayoutRead.of(p, ref, masked) for p, ref, masked in shown],
        next_cursor=next_cursor,
    )


@router.post(
    "/v1/payout-batches",
    name="create_payout_batch",
    status_code=201,
    response_model=BatchRead,
    responses=responses(401, 403, 409, 422),
)
async def create_payout_batch(
    body: BatchCreate, call: TransactionDep, runtime: RuntimeDep
) -> JSONResponse:
    """One pain.001 file of the operator's scheduled bank refunds in the currency."""

    def effect(session: Session, now: datetime) -> Reply:
        actor = call.actor
        require_admin(actor)
        operator = _operator_of(session, actor.operator_id)
        debtor = runtime.gateways.for_operator(operator.code).payments.debtor(body.currency)
        exported = service.export_batch(
            session,
            runtime.cases,
            actor=actor,
            operator=operator,
            currency=body.currency,
            debtor=debtor,
            execution_date=body.execution_date or now.date() + timedelta(days=1),
            now=now,
            request_id=call.request_id,
        )
        batch = BatchRead.of(exported.batch)
        return Reply(batch, 201, f"/v1/payout-batches/{batch.id}")

    return await call.respond(effect)


def _operator_of(session: Session, operator_id: uuid.UUID | None) -> Operator:
    operator = session.get(Operator, operator_id) if operator_id is not None else None
    if operator is None:
        raise InvalidInput(
            "payout files are per operator: use an operator's API key", field="authorization"
        )
    return operator


@router.get(
    "/v1/payout-batches/{batch_id}",
    name="get_payout_batch",
    response_model=BatchRead,
    responses=responses(401, 403, 404, 422),
)
def get_payout_batch(batch_id: uuid.UUID, session: ReadSessionDep, actor: ActorDep) -> BatchRead:
    require_admin(actor)
    batch = repository.batch_in_scope(session, actor, batch_id)
    if batch is None:
        raise BatchNotFound("no such payout batch", field="batch_id")
    return BatchRead.of(batch)


@router.get(
    "/v1/payout-batches/{batch_id}/file",
    name="get_payout_batch_file",
    responses={
        200: {"description": "The pain.001.001.09 file.", "content": {XML: {}}},
        **responses(401, 403, 404, 422),
    },
    response_class=Response,
)
def get_payout_batch_file(
    batch_id: uuid.UUID, session: ReadSessionDep, actor: ActorDep, runtime: RuntimeDep
) -> Response:
    require_admin(actor)
    document = service.batch_document(session, runtime.cases, actor, batch_id)
    return Response(
        document,
        media_type=XML,
        headers={"Content-Disposition": f'attachment; filename="pain001-{batch_id}.xml"'},
    )


# The documented example: the bank's answer to a file with this MsgId, naming a transfer the
# file did not hold (an answer about it is listed under `unknown`).
EXAMPLE_MESSAGE_ID = "SX20261204EXAMPLE"
EXAMPLE_REPORT = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>'
    "<GrpHdr><MsgId>BANK-20261208-1</MsgId><CreDtTm>2026-12-08T09:00:00</CreDtTm></GrpHdr>"
    f"<OrgnlGrpInfAndSts><OrgnlMsgId>{EXAMPLE_MESSAGE_ID}</OrgnlMsgId>"
    "<OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId><GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>"
    "<OrgnlPmtInfAndSts><OrgnlPmtInfId>SX20261204EXAMPLE</OrgnlPmtInfId><TxInfAndSts>"
    "<OrgnlEndToEndId>0123456789abcdef0123456789abcdef</OrgnlEndToEndId><TxSts>RJCT</TxSts>"
    "<StsRsnInf><Rsn><Cd>AC04</Cd></Rsn></StsRsnInf></TxInfAndSts></OrgnlPmtInfAndSts>"
    "</CstmrPmtStsRpt></Document>"
)
_REPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            XML: {"schema": {"type": "string", "format": "binary"}, "example": EXAMPLE_REPORT}
        },
    }
}


@router.post(
    "/v1/payout-batches/status-reports",
    name="import_payout_status_report",
    response_model=ReportRead,
    responses=responses(401, 403, 404, 413, 415, 422),
    openapi_extra=_REPORT_BODY,
)
async def import_payout_status_report(request: Request, call: TransactionDep) -> JSONResponse:
    """The bank's pain.002 for one of the operator's files: settles or returns its refunds.
    Sending the same report again changes nothing."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in {XML, "text/xml"}:
        raise UnsupportedReportType(
            "send the status report as application/xml", field="content-type"
        )
    data = await request.body()
    if len(data) > MAX_REPORT_BYTES:
        raise ReportTooLarge("a status report may be at most 20 MB", field="body")

    def effect(session: Session, now: datetime) -> Reply:
        actor = call.actor
        require_admin(actor)
        operator = _operator_of(session, actor.operator_id)
        outcome = service.import_status_report(
            session,
            actor=actor,
            operator_id=operator.id,
            data=data,
            now=now,
            request_id=call.request_id,
        )
        return Reply(
            ReportRead(
                report_id=outcome.message_id,
                batch_id=outcome.batch_id,
                settled=outcome.settled,
                returned=outcome.returned,
                pending=outcome.pending,
                unchanged=outcome.unchanged,
                unknown=outcome.unknown,
            )
        )

    return await call.respond(effect)
