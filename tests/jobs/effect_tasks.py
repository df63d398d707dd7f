"""Job handlers whose effect can be counted: each run inserts one row into `job_effects`.

The table is test-only (created and dropped by the `effects_table` fixture); it has no unique
key on purpose, so a job that ran twice shows up as two rows instead of an error.
Workers started by the process tests import this module with `--task-module`.
"""

from __future__ import annotations

import time
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from simexit.jobs import job

EFFECT_JOB = "tests.record_effect"


@job(EFFECT_JOB, max_attempts=8)
def record_effect(session: Session, *, now: datetime, key: str, pause_ms: int = 0) -> None:
    session.execute(
        text("INSERT INTO job_effects (effect_key, done_at) VALUES (:key, :at)"),
        {"key": key, "at": now.isoformat()},
    )
    if pause_ms:
        time.sleep(pause_ms / 1000)  # widen the window for a kill to land inside a job


def create_effects_table(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS job_effects"))
        connection.execute(
            text("CREATE TABLE job_effects (effect_key VARCHAR(80) NOT NULL, done_at VARCHAR(40))")
        )


def drop_effects_table(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS job_effects"))


def effect_counts(engine: Engine) -> dict[str, int]:
    # DEFERRED: a reader must not take SQLite's write lock from the worker it is watching.
    with engine.execution_options(sqlite_begin="DEFERRED").connect() as connection:
        rows = connection.execute(
            text("SELECT effect_key, COUNT(*) FROM job_effects GROUP BY effect_key")
        )
        return {str(key): int(count) for key, count in rows}
