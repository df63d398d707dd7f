"""Core statements compiled once per dialect and run on the DB-API cursor of a session.

A write request runs a dozen small statements whose SQL never changes: look up a key, lock the
audit chain head, append an event, queue a job. SQLAlchemy's `Connection.execute` caches their
compiled form, but still builds an execution context, a result object and a parameter dictionary
per call, which cost two to three times what SQLite spends running the statement. `Prepared`
keeps what SQLAlchemy knows, and only that: the statement is written with Core (so it is the same
statement on SQLite and PostgreSQL), compiled by SQLAlchemy for the session's dialect the first
time it runs, with the dialect's own bind and result processors for each column type (UUIDs,
time zones, JSON). Each later call only converts its values, hands the SQL to the driver and
converts the row back.

What it leaves out, on purpose: ORM entities and events (use the session for those), engine
events other than `before_cursor_execute`, expanding IN lists (their SQL changes with the list)
and Python-side column defaults, which SQLAlchemy's execution context would apply. Each is
refused when the statement is compiled, as is a required parameter without a value, so nothing
is skipped silently. Driver errors come out as SQLAlchemy's (`sqlalchemy.exc.IntegrityError` and
so on), as from `Connection.execute`. ADR 0004 says why this exists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.base import Executable

Row = tuple[Any, ...]
_Processor = Callable[[Any], Any] | None
_DRIVER = "simexit.prepared.driver"


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    positional: bool
    names: tuple[str, ...]  # parameter names, in placeholder order when positional
    parameters: tuple[tuple[str, _Processor], ...]  # each name with its bind processor
    constants: Mapping[str, Any]  # values the statement itself carries (literals, fixed lists)
    result_processors: tuple[_Processor, ...] | None  # None: no processor for any column
    driver_error: type[Exception]  # the driver's base exception class (PEP 249 `Error`)


class Prepared:
    """One Core statement, run with `rows`, `one_or_none`, `scalars`, `run` or `run_many`.

    Parameters are given by bind name (`bindparam("x")`) or, for `insert(table)` and
    `update(table)` without `.values()`, by column key. Like `Connection.execute`, a statement
    compiles once per set of keys it is given."""

    __slots__ = ("_compiled", "statement")

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[tuple[str, frozenset[str]], _Compiled] = {}

    def rows(self, session: Session, params: Mapping[str, Any] | None = None) -> list[Row]:
        """The result rows, each a tuple in the order of the statement's columns."""
        compiled, cursor = self._execute(session, params or {})
        fetched = cursor.fetchall()
        processors = compiled.result_processors
        if processors is None:
            return [tuple(row) for row in fetched]
        return [
            tuple(
                value if p is None else p(value) for p, value in zip(processors, row, strict=True)
            )
            for row in fetched
        ]

    def one_or_none(self, session: Session, params: Mapping[str, Any] | None = None) -> Row | None:
        found = self.rows(session, params)
        if len(found) > 1:
            raise LookupError(f"expected at most one row, got {len(found)}")
        return found[0] if found else None

    def scalars(self, session: Session, params: Mapping[str, Any] | None = None) -> list[Any]:
        return [row[0] for row in self.rows(session, params)]

    def run(self, session: Session, params: Mapping[str, Any] | None = None) -> int:
        """Run a statement that returns no rows; the number of rows it changed."""
        _, cursor = self._execute(session, params or {})
        return int(cursor.rowcount)

    def run_many(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> int:
        """One statement for many parameter sets (all with the same keys), as executemany; the
        number of rows it changed, summed (sqlite3 and psycopg 3 both sum executemany's)."""
        if not rows:
            return 0
        driver = _driver(session)
        compiled = self._compiled_for(driver, rows[0])
        values = [_driver_values(compiled, row) for row in rows]
        return int(_send(driver, compiled, values, many=True).rowcount)

    def _execute(self, session: Session, params: Mapping[str, Any]) -> tuple[_Compiled, Any]:
        driver = _driver(session)
        compiled = self._compiled_for(driver, params)
        return compiled, _send(driver, compiled, _driver_values(compiled, params), many=False)

    def _compiled_for(self, driver: _Driver, params: Mapping[str, Any]) -> _Compiled:
        key = (driver.dialect.name, frozenset(params))
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = _compile(self.statement, driver.dialect, key[1])
        return compiled


@dataclass(frozen=True, slots=True)
class _Driver:
    """What a transaction's statements run on, looked up once per transaction.

    `listeners` are the engine's `before_cursor_execute` listeners, fired as `Connection.execute`
    would so statement counters, recorders and tracing see these statements too (with no
    execution context); one added in the middle of a transaction sees the next one's."""

    connection: Connection
    dbapi_connection: Any
    dialect: Dialect
    listeners: Any


def _driver(session: Session) -> _Driver:
    cached: _Driver | None = session.info.get(_DRIVER)
    if cached is None:
        connection = session.connection()
        listeners = connection.dispatch.before_cursor_execute
        cached = session.info[_DRIVER] = _Driver(
            connection,
            connection.connection.dbapi_connection,
            connection.dialect,
            listeners if listeners else None,
        )
    return cached


def _send(driver: _Driver, compiled: _Compiled, values: Any, *, many: bool) -> Any:
    """Hand the SQL and its converted values to a new cursor; the cursor, for rows or rowcount."""
    cursor = driver.dbapi_connection.cursor()
    if driver.listeners:
        driver.listeners(driver.connection, cursor, compiled.sql, values, None, many)
    try:
        if many:
            cursor.executemany(compiled.sql, values)
        else:
            cursor.execute(compiled.sql, values)
    except compiled.driver_error as error:
        raise _wrapped(compiled, values, error) from error
    return cursor


def _wrapped(compiled: _Compiled, values: Any, error: Exception) -> StatementError:
    """The driver's exception as SQLAlchemy's matching class (`IntegrityError`, ...)."""
    return DBAPIError.instance(compiled.sql, values, error, compiled.driver_error)


@event.listens_for(Session, "after_transaction_create")
@event.listens_for(Session, "after_transaction_end")
def _forget_driver_connection(session: Session, _transaction: SessionTransaction) -> None:
    # A savepoint begins when the session hands out its connection inside `begin_nested()`;
    # a connection kept from before would run the savepoint's statements outside it.
    session.info.pop(_DRIVER, None)


def _compile(statement: Executable, dialect: Dialect, keys: frozenset[str]) -> _Compiled:
    # As `Connection.execute` does: the keys of the parameters pick the columns of an INSERT or
    # an UPDATE's SET clause.
    compiled = statement.compile(dialect=dialect, column_keys=sorted(keys))  # type: ignore[attr-defined]
    expanding = [name for name, bind in compiled.binds.items() if bind.expanding]
    if expanding:
        raise ValueError(
            f"Prepared cannot run an expanding IN ({', '.join(expanding)}): its SQL changes with "
            "the length of the list. For a fixed list write `column.in_([literal(v), ...])`."
        )
    skipped = [*compiled.insert_prefetch, *compiled.update_prefetch]
    if skipped:
        raise ValueError(
            f"{type(statement).__name__} on {getattr(statement, 'table', '?')}: "
            f"{', '.join(c.key for c in skipped)} would take a Python-side default, which "
            "Prepared does not apply; give each a value"
        )
    positional = bool(dialect.positional)
    names = tuple(compiled.positiontup) if positional else tuple(compiled.binds)
    bind_processors = tuple(
        compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    )
    missing = [name for name in names if name not in keys and compiled.binds[name].required]
    if missing:
        raise ValueError(f"no value for the parameters {', '.join(missing)}")
    constants = {
        name: value
        for name, value in compiled.construct_params(_check=False).items()
        if name not in keys
    }
    columns: Sequence[ColumnElement[Any]] = list(getattr(statement, "exported_columns", ()))
    result_processors = tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
    )
    return _Compiled(
        sql=compiled.string,
        positional=positional,
        names=names,
        parameters=tuple(zip(names, bind_processors, strict=True)),
        constants=constants,
        result_processors=result_processors
        if any(p is not None for p in result_processors)
        else None,
        driver_error=dialect.loaded_dbapi.Error,
    )


def _driver_values(compiled: _Compiled, params: Mapping[str, Any]) -> Any:
    if compiled.constants:
        params = {**compiled.constants, **params}
    get = params.get
    converted = [
        get(name) if processor is None else processor(get(name))
        for name, processor in compiled.parameters
    ]
    if compiled.positional:
        return tuple(converted)
    return dict(zip(compiled.names, converted, strict=True))
