"""Every statement of a bulk import: upserts of subscribers and lines by the operator's own ids.

Each batch is one `executemany` per table (psycopg 3 pipelines it; sqlite3 loops in C). A row
whose values equal what is stored is not written at all (`ON CONFLICT … DO UPDATE … WHERE the
row differs`), so importing the same file twice changes nothing, not even `updated_at`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from simexit.models import Line, Subscriber
from simexit.prepared import Prepared

LINK = "subscriber_external_id"
SUBSCRIBERS: Table = Subscriber.__table__  # type: ignore[assignment]
LINES: Table = Line.__table__  # type: ignore[assignment]


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _insert(dialect: str, table: Table) -> Any:
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _changed_only(table: Table, statement: Any, updates: Sequence[str]) -> Any:
    """On a row that exists already: set `updates`, only if one of them differs."""
    index = [table.c.operator_id, table.c.external_id]
    if not updates:
        return statement.on_conflict_do_nothing(index_elements=index)
    mine = tuple_(*(table.c[name] for name in updates))
    theirs = tuple_(*(statement.excluded[name] for name in updates))
    touched = (*updates, "updated_at") if "updated_at" in table.c else updates
    return statement.on_conflict_do_update(
        index_elements=index,
        set_={name: statement.excluded[name] for name in touched},
        where=mine.is_distinct_from(theirs),
    )


def _scalar_defaults(table: Table) -> dict[str, Any]:
    """The Python-side defaults of a table's columns (a prepared insert applies none itself)."""
    found: dict[str, Any] = {}
    for column in table.c:
        default = column.default
        if default is None or column.key == "id":
            continue  # the id is new per row: the caller gives it
        if getattr(default, "is_scalar", False):
            found[column.key] = getattr(default, "arg", None)
        elif getattr(default, "is_callable", False):
            found[column.key] = default.arg(None)  # type: ignore[attr-defined]  # e.g. list
    return found


_DEFAULTS = {SUBSCRIBERS.name: _scalar_defaults(SUBSCRIBERS), LINES.name: _scalar_defaults(LINES)}
_STATEMENTS: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], Prepared] = {}


def _subscriber_statement(
    dialect: str, columns: tuple[str, ...], updates: tuple[str, ...]
) -> Prepared:
    key = (dialect, "subscribers", columns, updates)
    found = _STATEMENTS.get(key)
    if found is None:
        found = _STATEMENTS[key] = Prepared(
            _changed_only(SUBSCRIBERS, _insert(dialect, SUBSCRIBERS), updates)
        )
    return found


def _line_statement(dialect: str, columns: tuple[str, ...], updates: tuple[str, ...]) -> Prepared:
    key = (dialect, "lines", columns, updates)
    found = _STATEMENTS.get(key)
    if found is None:
        owner = (
            select(SUBSCRIBERS.c.id)
            .where(
                SUBSCRIBERS.c.operator_id == bindparam("operator_id"),
                SUBSCRIBERS.c.external_id == bindparam(LINK),
            )
            .scalar_subquery()
        )
        values: dict[str, Any] = {
            name: bindparam(name, type_=LINES.c[name].type) for name in columns
        }
        values["subscriber_id"] = owner
        insert = _insert(dialect, LINES).values(values)
        found = _STATEMENTS[key] = Prepared(
            _changed_only(LINES, insert, (*updates, "subscriber_id"))
        )
    return found


def upsert_subscribers(
    session: Session,
    *,
    operator_id: uuid.UUID,
    rows: Sequence[Mapping[str, object]],
    updates: Sequence[str],
    now: datetime,
) -> int:
    """Insert subscribers by `external_id` with the columns the rows carry (every row the same),
    or set `updates` on those that exist; the number of rows written."""
    if not rows:
        return 0
    defaults = _DEFAULTS[SUBSCRIBERS.name]
    fixed = {"operator_id": operator_id, "created_at": now}
    params = [{**defaults, **fixed, "id": uuid.uuid4(), **row} for row in rows]
    statement = _subscriber_statement(_dialect(session), tuple(params[0]), tuple(updates))
    return statement.run_many(session, params)


def upsert_lines(
    session: Session,
    *,
    operator_id: uuid.UUID,
    rows: Sequence[Mapping[str, object]],
    updates: Sequence[str],
    now: datetime,
) -> int:
    """Insert lines by `external_id` with the columns the rows carry (every row the same), or
    set `updates` on those that exist, each linked to its subscriber by the subscriber's
    `external_id` (`subscriber_external_id` in each row); the number of rows written."""
    if not rows:
        return 0
    defaults = _DEFAULTS[LINES.name]
    fixed = {"operator_id": operator_id, "created_at": now, "updated_at": now}
    params = [{**defaults, **fixed, "id": uuid.uuid4(), **row} for row in rows]
    columns = tuple(name for name in params[0] if name != LINK and name != "operator_id")
    statement = _line_statement(_dialect(session), (*columns, "operator_id"), tuple(updates))
    return statement.run_many(session, params)


def existing_external_ids(
    session: Session, table: Table, operator_id: uuid.UUID, external_ids: Iterable[str]
) -> set[str]:
    wanted = list(external_ids)
    if not wanted:
        return set()
    found = session.scalars(
        select(table.c.external_id).where(
            table.c.operator_id == operator_id, table.c.external_id.in_(wanted)
        )
    )
    return {value for value in found if value is not None}


def count_lines(session: Session, operator_id: uuid.UUID) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(LINES).where(LINES.c.operator_id == operator_id)
        )
        or 0
    )


def pin_hashes(
    session: Session, operator_id: uuid.UUID, external_ids: Sequence[str]
) -> dict[str, str]:
    """The stored PIN hashes of these subscribers, so an unchanged PIN keeps its hash."""
    rows = session.execute(
        select(SUBSCRIBERS.c.external_id, SUBSCRIBERS.c.account_pin_hash).where(
            SUBSCRIBERS.c.operator_id == operator_id,
            SUBSCRIBERS.c.external_id.in_(list(external_ids)),
        )
    )
    return {key: value for key, value in rows if key is not None and value is not None}
