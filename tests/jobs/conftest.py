from __future__ import annotations

from collections.abc import Iterator

import pytest

from simexit.db import Database
from tests.jobs.effect_tasks import create_effects_table, drop_effects_table


@pytest.fixture
def effects_table(db: Database) -> Iterator[Database]:
    """A throwaway `job_effects` table, dropped afterwards so the schema still matches the models."""
    create_effects_table(db.engine)
    yield db
    drop_effects_table(db.engine)
