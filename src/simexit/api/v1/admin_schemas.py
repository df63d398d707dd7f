"""Pydantic models of the admin endpoints: staff users, resellers, webhook endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from simexit.api.v1.schemas import Input
from simexit.api.validators import ShortText
from simexit.models import Reseller, StaffUser, WebhookEndpoint
from simexit.staff import rules as staff_rules
from simexit.staff.errors import password_message
from simexit.webhooks import rules as webhook_rules
from simexit.webhooks.service import DeliveryView

Role = Literal["agent", "supervisor", "admin"]
Language = Literal["en", "nb", "ru", "zh_Hans"]
EventType = Literal[
    "case.submitted",
    "case.blocked",
    "case.in_review",
    "case.approved",
    "case.rejected",
    "case.withdrawn",
    "case.completed",
    "case.failed",
    "line.terminated",
    "line.suspended",
    "line.resumed",
    "case.information_required",
    "line.retention_offer_accepted",
]
DeliveryStatus = Literal["pending", "delivered", "dead"]


def _password_length(value: str) -> str:
    rule = staff_rules.password_rule_broken(value, email=None)
    if rule is not None:
        raise PydanticCustomError(rule, password_message(rule))
    return value


Email = Annotated[
    str,
    StringConstraints(max_length=320, pattern=staff_rules.EMAIL_PATTERN),
    Field(examples=["kari.nordmann@operator.example"]),
]
Password = Annotated[
    str,
    AfterValidator(_password_length),
    Field(
        description=(
            f"{staff_rules.MIN_PASSWORD_LENGTH} to {staff_rules.MAX_PASSWORD_LENGTH} characters, "
            "not the e-mail address (nor its part before @). Never returned, logged or audited."
        ),
        json_schema_extra={
            "minLength": staff_rules.MIN_PASSWORD_LENGTH,
            "maxLength": staff_rules.MAX_PASSWORD_LENGTH,
        },
        examples=["correct horse battery staple"],
    ),
]
Name = Annotated[ShortText, StringConstraints(min_length=1)]
# What the schema promises is accepted in every environment: https, a plain host, a printable
# path. The server's rule (`simexit.webhooks.rules`) also allows http to a loopback receiver in
# the local and test environments, and refuses internal addresses in staging and production.
WEBHOOK_URL_PATTERN = r"^https://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,4})?(/[!-\"$-~]*)?$"


class _Page(BaseModel):
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null at the end."
    )
    next: str | None = Field(description="The URL of the next page, or null.")


# --- staff ---------------------------------------------------------------------------------


class StaffCreate(Input):
    email: Email
    full_name: Name
    role: Role
    language: Language = "en"
    password: Password

    @field_validator("password")
    @classmethod
    def _not_the_email(cls, value: str, info: ValidationInfo) -> str:
        email = info.data.get("email")
        rule = staff_rules.password_rule_broken(
            value, email=email if isinstance(email, str) else None
        )
        if rule is not None:
            raise PydanticCustomError(rule, password_message(rule))
        return value


class StaffUpdate(Input):
    full_name: Name | None = None
    role: Role | None = None
    language: Language | None = None


class PasswordReset(Input):
    password: Password


class StaffRead(BaseModel):
    id: uuid.UUID
    operator_id: uuid.UUID
    email: str
    full_name: str
    role: Role
    language: str
    created_at: datetime
    disabled_at: datetime | None

    @classmethod
    def of(cls, staff: StaffUser) -> StaffRead:
        return cls(
            id=staff.id,
            operator_id=staff.operator_id,
            email=staff.email,
            full_name=staff.full_name,
            role=staff.role,  # type: ignore[arg-type]  # a StaffRole value, checked on write
            language=staff.language,
            created_at=staff.created_at,
            disabled_at=staff.disabled_at,
        )


class StaffList(_Page):
    items: list[StaffRead]


# --- resellers -----------------------------------------------------------------------------


class ResellerCreate(Input):
    name: Name


class ResellerUpdate(Input):
    name: Name


class ResellerRead(BaseModel):
    id: uuid.UUID
    operator_id: uuid.UUID
    name: str
    created_at: datetime
    disabled_at: datetime | None

    @classmethod
    def of(cls, reseller: Reseller) -> ResellerRead:
        return cls(
            id=reseller.id,
            operator_id=reseller.operator_id,
            name=reseller.name,
            created_at=reseller.created_at,
            disabled_at=reseller.disabled_at,
        )


class ResellerList(_Page):
    items: list[ResellerRead]


# --- webhook endpoints ---------------------------------------------------------------------


class EndpointCreate(Input):
    url: Annotated[
        str,
        StringConstraints(max_length=500),
        Field(
            examples=["https://bss.operator.example/hooks/simexit"],
            json_schema_extra={"pattern": WEBHOOK_URL_PATTERN},
        ),
    ]
    events: Annotated[
        list[EventType],
        Field(
            default_factory=list,
            max_length=len(webhook_rules.EVENT_TYPES),
            description="The events to receive; empty (the default): every event.",
        ),
    ]
    description: ShortText | None = None


class SecretRotation(Input):
    grace_hours: Annotated[
        int,
        Field(
            ge=0,
            le=webhook_rules.MAX_GRACE_HOURS,
            description="How long the old secret keeps signing (beside the new one); 0 ends it now.",
        ),
    ] = webhook_rules.DEFAULT_GRACE_HOURS


class EndpointRead(BaseModel):
    id: uuid.UUID
    operator_id: uuid.UUID
    url: str
    description: str | None
    events: list[str]
    created_at: datetime
    rotated_at: datetime | None
    previous_secret_expires_at: datetime | None = Field(
        description="Until then deliveries are also signed with the secret before the last rotation."
    )
    disabled_at: datetime | None

    @classmethod
    def of(cls, endpoint: WebhookEndpoint) -> EndpointRead:
        return cls.model_validate(_endpoint_fields(endpoint))


def _endpoint_fields(endpoint: WebhookEndpoint) -> dict[str, object]:
    return {
        "id": endpoint.id,
        "operator_id": endpoint.operator_id,
        "url": endpoint.url,
        "description": endpoint.description,
        "events": list(endpoint.events or ()),
        "created_at": endpoint.created_at,
        "rotated_at": endpoint.rotated_at,
        "previous_secret_expires_at": endpoint.previous_expires_at,
        "disabled_at": endpoint.disabled_at,
    }


class EndpointWithSecret(EndpointRead):
    secret: str = Field(description="The signing secret (whsec_...), shown this once: keep it now.")

    @classmethod
    def of_secret(cls, endpoint: WebhookEndpoint, secret: str) -> EndpointWithSecret:
        return cls.model_validate({**_endpoint_fields(endpoint), "secret": secret})


class EndpointList(_Page):
    items: list[EndpointRead]


class DeliveryRead(BaseModel):
    id: uuid.UUID
    endpoint_id: uuid.UUID | None
    message_id: str = Field(description="The webhook-id header; the same on every attempt.")
    event_type: str
    url: str
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None

    @classmethod
    def of(cls, view: DeliveryView) -> DeliveryRead:
        delivery = view.delivery
        return cls(
            id=delivery.id,
            endpoint_id=delivery.endpoint_id,
            message_id=delivery.message_id,
            event_type=delivery.event_type,
            url=delivery.url,
            status=delivery.status,  # type: ignore[arg-type]  # one of the three, set by code
            attempts=delivery.attempts,
            last_status_code=delivery.last_status_code,
            last_error=view.last_error,
            created_at=delivery.created_at,
            delivered_at=delivery.delivered_at,
        )


class DeliveryList(_Page):
    items: list[DeliveryRead]
