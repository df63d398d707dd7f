from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from simexit.db import Base
from simexit.models._types import JsonType, UtcDateTime, new_id


class DataImport(Base):
    """A subscriber-base file sent to `POST /v1/imports`, and what its job made of it."""

    __tablename__ = "imports"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"), index=True)
    format: Mapped[str] = mapped_column(String(10))  # csv | jsonl
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    dry_run: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20))  # queued | running | done | failed
    totals: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    # Where the next batch starts: a byte offset into the file and its line number; the CSV
    # header's columns once read.
    position_bytes: Mapped[int] = mapped_column(Integer, default=0)
    position_line: Mapped[int] = mapped_column(Integer, default=0)
    columns: Mapped[list[str] | None] = mapped_column(JsonType)
    error: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ImportChunk(Base):
    """A piece of an uploaded file, in order. Kept in the database, not on one server's disk,
    so that any worker of a scaled deployment can run the import."""

    __tablename__ = "import_chunks"

    import_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("imports.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ImportRejection(Base):
    """One rejected row of an import: its line in the file, the field and the rule it broke."""

    __tablename__ = "import_rejections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    import_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("imports.id"), index=True)
    row: Mapped[int] = mapped_column(Integer)
    external_id: Mapped[str] = mapped_column(String(100))
    field: Mapped[str] = mapped_column(String(100))
    rule: Mapped[str] = mapped_column(String(60))
    detail: Mapped[str] = mapped_column(String(500))
