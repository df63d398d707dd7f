"""Append-only rows (audit events, jobs, notifications, deliveries) inserted at once, outside the
unit of work. Only repositories and the job queue use this; services read as plain domain code."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Insert, Table, inspect
from sqlalchemy.orm import Session, make_transient_to_detached

from simexit.db import Base
from simexit.prepared import Prepared

_Row = TypeVar("_Row", bound=Base)


def append_row(session: Session, row: _Row) -> _Row:
    """Insert an append-only row (audit event, job, notification, delivery) now, with one Core
    statement on the session's connection, outside the unit of work.

    Such rows are never updated in the transaction that writes them, so the unit of work's
    bookkeeping (and a flush to make them visible to a look-up) buys nothing; skipping it is most
    of what a write request costs. The row is in the database at once: a later query of the same
    transaction finds it, and a rollback removes it with everything else. Only attributes that
    were set are written, so column defaults still apply; the object comes back detached, with
    its identity, so a caller can read it or `session.add` it to change it later."""
    state = inspect(row)
    values = {
        attribute.columns[0].name: state.dict[attribute.key]
        for attribute in state.mapper.column_attrs
        if attribute.key in state.dict
    }
    session.connection().execute(_insert_into(type(row)), values)
    make_transient_to_detached(row)
    return row


_INSERTS: dict[type[Base], Insert] = {}


def _insert_into(model: type[Base]) -> Insert:
    statement = _INSERTS.get(model)
    if statement is None:
        table = model.__table__
        if not isinstance(table, Table):  # every model here maps one plain table
            raise TypeError(f"{model.__name__} does not map a table")
        statement = _INSERTS[model] = table.insert()
    return statement


_PREPARED_INSERTS: dict[type[Base], Prepared] = {}


def append_values(
    session: Session, model: type[Base], values: dict[str, Any] | list[dict[str, Any]]
) -> None:
    """`append_row` without the ORM object, for rows nobody reads back in the same request
    (audit events, jobs): one INSERT run on the driver (`Prepared`), keyed by column. A list of
    rows (with the same keys) goes in as one executemany. Every column with a Python-side
    default must be given (`Prepared` refuses the statement otherwise)."""
    statement = _PREPARED_INSERTS.get(model)
    if statement is None:
        statement = _PREPARED_INSERTS[model] = Prepared(_insert_into(model))
    if isinstance(values, list):
        statement.run_many(session, values)
    else:
        statement.run(session, values)
