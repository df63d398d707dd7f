"""Test databases for every tier that needs one.

`db` runs each test on SQLite (a copy of a migrated template file) and, when
SIMEXIT_TEST_DATABASE_URL is set, again on PostgreSQL (a database private to this test process,
built by the migrations, emptied between tests). Under CI=true the PostgreSQL URL is required:
a CI run that silently skipped PostgreSQL would prove nothing.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import URL

from simexit import migrate
from simexit.db import Base, Database, make_engine

pytest_plugins = ["pytester", "tests.plugins.every_test_runs"]

PG_ENV = "SIMEXIT_TEST_DATABASE_URL"
BACKENDS = ["sqlite", "postgresql"]


def _postgres_server_url() -> URL | None:
    raw = os.environ.get(PG_ENV)
    if not raw:
        return None
    url = make_url(raw)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    server = _postgres_server_url()
    if server is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{PG_ENV} must be set in CI: the PostgreSQL tier may not be skipped")
        pytest.skip(f"{PG_ENV} is not set; PostgreSQL tier skipped (set it to run on PostgreSQL)")
    name = f"simexit_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


_DROP_REFERENCE_SEQUENCES = """
DO $$ DECLARE found record; BEGIN
  FOR found IN SELECT sequencename FROM pg_sequences WHERE sequencename LIKE 'case\\_reference\\_%'
  LOOP EXECUTE 'DROP SEQUENCE ' || quote_ident(found.sequencename); END LOOP;
END $$
"""


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "simexit.db"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        # Tests may empty the append-only audit table between runs; the app never can.
        conn.execute(text("SET LOCAL simexit.allow_audit_truncate = 'on'"))
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        # Case references come from a sequence per operator and year (cases.repository).
        conn.execute(text(_DROP_REFERENCE_SEQUENCES))
    engine.dispose()
    return url


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
