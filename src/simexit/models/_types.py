"""Column helpers shared by the models."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import JSON, DateTime, String, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from simexit.policies.model import Decision, Finding
from simexit.policies.serialize import (
    decision_from_dict,
    decision_to_dict,
    finding_from_dict,
    finding_to_dict,
)

_E = TypeVar("_E", bound=StrEnum)
_T = TypeVar("_T")

# JSONB on PostgreSQL (indexable), JSON text on SQLite.
JsonType = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on both back ends (SQLite has no time zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


class EnumText(TypeDecorator[_E]):
    """A `StrEnum` stored as its value in a plain string column.

    The column stays `VARCHAR(n)` on both back ends (no database enum type to migrate when a
    state is added); Python sees the enum member. A value outside the enum is refused on the way
    in and on the way out, so a typo or a row written by hand shows at once."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[_E], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: _E | str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> _E | None:
        return None if value is None else self.enum(value)


class _JsonDocument(TypeDecorator[_T]):
    """A typed value kept as a JSON document: JSONB on PostgreSQL, JSON text on SQLite."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


class DecisionDocument(_JsonDocument[Decision]):
    """The policy decision frozen into a case, written and read through `policies.serialize`:
    the one place that knows its JSON shape."""

    def process_bind_param(self, value: Decision | None, dialect: Dialect) -> Any:
        return None if value is None else decision_to_dict(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decision | None:
        return None if value is None else decision_from_dict(value)


class FindingsDocument(_JsonDocument[tuple[Finding, ...]]):
    """Findings (blockers, review reasons) as a JSON list, read back as `Finding`s."""

    cache_ok = True  # SQLAlchemy asks each subclass itself

    def process_bind_param(self, value: tuple[Finding, ...] | None, dialect: Dialect) -> Any:
        return None if value is None else [finding_to_dict(f) for f in value]

    def process_result_value(self, value: Any, dialect: Dialect) -> tuple[Finding, ...] | None:
        return None if value is None else tuple(finding_from_dict(f) for f in value)
