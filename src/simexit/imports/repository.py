"""Every statement of a bulk import: upserts of subscribers and lines by the operator's own ids.

Each batch is one statement per table: on SQLite an `executemany` (sqlite3 loops in C), on
PostgreSQL a COPY into a staging table and one set-based upsert from it. A row
whose values equal what is stored is not written at all (`ON CONFLICT … DO UPDATE … WHERE the
row differs`), so importing the same file twice changes nothing, not even `updated_at`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import Column, MetaData, Table, func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from simexit.cases.states import CaseStatus
from simexit.models import Case, Line, Subscriber
from simexit.prepared import Prepared

SUBSCRIBERS: Table = Subscriber.__table__  # type: ignore[assignment]
LINES: Table = Line.__table__  # type: ignore[assignment]
CASES: Table = Case.__table__  # type: ignore[assignment]


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
_PREPARED: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], Prepared] = {}
_SET_BASED: dict[tuple[str, tuple[str, ...], tuple[str, ...]], str] = {}


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
    fixed = {"operator_id": operator_id, "created_at": now}
    return _upsert(session, SUBSCRIBERS, rows, fixed, tuple(updates))


def upsert_lines(
    session: Session,
    *,
    operator_id: uuid.UUID,
    rows: Sequence[Mapping[str, object]],
    updates: Sequence[str],
    now: datetime,
) -> int:
    """Insert lines by `external_id` with the columns the rows carry (every row the same, its
    `subscriber_id` included), or set `updates` on those that exist; the rows written."""
    fixed = {"operator_id": operator_id, "created_at": now, "updated_at": now}
    return _upsert(session, LINES, rows, fixed, (*updates, "subscriber_id"))


def _upsert(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, object]],
    fixed: Mapping[str, object],
    updates: tuple[str, ...],
) -> int:
    if not rows:
        return 0
    defaults = _DEFAULTS[table.name]
    params = [{**defaults, **fixed, "id": uuid.uuid4(), **row} for row in rows]
    columns = tuple(params[0])
    dialect = _dialect(session)
    if dialect == "postgresql":
        return _copy_then_upsert(session, table, params, columns, updates)
    key = (dialect, table.name, columns, updates)
    statement = _PREPARED.get(key)
    if statement is None:
        statement = _PREPARED[key] = Prepared(
            _changed_only(table, _insert(dialect, table), updates)
        )
    return statement.run_many(session, params)


# --- PostgreSQL: COPY into a staging table, then one INSERT … SELECT … ON CONFLICT ------------
#
# Sent row by row (even pipelined), an upsert costs PostgreSQL a round of parse/bind/execute and
# an index probe per row; COPY and one set-based statement per batch cost a fraction of that.
# The staging table is a temporary copy of the target's columns, emptied at each commit.


def _stage_name(table: Table) -> str:
    return f"import_stage_{table.name}"


def _copy_then_upsert(
    session: Session,
    table: Table,
    params: list[dict[str, Any]],
    columns: tuple[str, ...],
    updates: tuple[str, ...],
) -> int:
    stage = _stage_name(table)
    connection = session.connection()
    # A plan cached while the tables were empty (a fresh base) would scan them for every row of
    # the foreign-key checks as they grow; a custom plan each time is cheap next to that.
    connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} "
        f"(LIKE {table.name} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
    )
    driver = connection.connection.driver_connection
    json_columns = {
        c.key for c in table.c if isinstance(c.type.dialect_impl(connection.dialect), JSONB)
    }
    statement = f"COPY {stage} ({', '.join(columns)}) FROM STDIN"
    with driver.cursor() as cursor:  # type: ignore[union-attr]
        with cursor.copy(statement) as copy:
            for row in params:
                copy.write_row([_copy_value(row[name], name in json_columns) for name in columns])
        try:
            cursor.execute(_set_based(table, columns, updates, connection.dialect))
        except psycopg.IntegrityError as error:
            # As SQLAlchemy raises it for its own statements: the caller finds the row(s).
            raise IntegrityError(f"upsert into {table.name}", None, error) from error
        written = cursor.rowcount
    connection.exec_driver_sql(f"DELETE FROM {stage}")  # noqa: S608 - our own table's name
    return int(written)


def _copy_value(value: object, is_json: bool) -> object:
    if is_json:
        return Jsonb(value)
    if isinstance(value, Enum):
        return value.value
    return value


def _set_based(
    table: Table, columns: tuple[str, ...], updates: tuple[str, ...], dialect: Dialect
) -> str:
    """The upsert from the staging table, as PostgreSQL SQL (it takes no parameters)."""
    key = (table.name, columns, updates)
    found = _SET_BASED.get(key)
    if found is None:
        stage = Table(_stage_name(table), MetaData(), *(Column(c.key, c.type) for c in table.c))
        insert = postgresql.insert(table).from_select(
            list(columns), select(*(stage.c[name] for name in columns))
        )
        statement = _changed_only(table, insert, updates)
        found = _SET_BASED[key] = str(statement.compile(dialect=dialect))
    return found


def subscriber_ids(
    session: Session, operator_id: uuid.UUID, external_ids: Iterable[str]
) -> dict[str, uuid.UUID]:
    """The ids of these subscribers of the operator, by their external id."""
    wanted = list(set(external_ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(SUBSCRIBERS.c.external_id, SUBSCRIBERS.c.id).where(
            SUBSCRIBERS.c.operator_id == operator_id, SUBSCRIBERS.c.external_id.in_(wanted)
        )
    )
    return {key: value for key, value in rows if key is not None}


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


def lines_with_blocked_cases(
    session: Session, operator_id: uuid.UUID, external_ids: Iterable[str]
) -> list[uuid.UUID]:
    """The operator's lines among `external_ids` that have a blocked case (few: a blocked case
    waits for a bill to be paid or a flag to be cleared)."""
    wanted = list(external_ids)
    if not wanted:
        return []
    blocked = (
        select(CASES.c.line_id)
        .where(CASES.c.operator_id == operator_id, CASES.c.status == CaseStatus.blocked.value)
        .scalar_subquery()
    )
    return list(
        session.scalars(
            select(LINES.c.id).where(
                LINES.c.operator_id == operator_id,
                LINES.c.external_id.in_(wanted),
                LINES.c.id.in_(blocked),
            )
        )
    )


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
