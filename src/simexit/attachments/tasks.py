"""The worker deletes erased files from the store once their rows are gone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from simexit.attachments.ports import FileStore
from simexit.attachments.service import DELETE_JOB
from simexit.jobs.registry import job

_installed: FileStore | None = None


def install(store: FileStore) -> None:
    global _installed
    _installed = store


def store() -> FileStore:
    if _installed is None:
        raise RuntimeError("attachment tasks need simexit.attachments.tasks.install(...) at start")
    return _installed


@job(DELETE_JOB)
def delete_files(session: Session, *, now: datetime, keys: list[str]) -> None:  # noqa: ARG001 - the job signature
    files = store()
    for key in keys:
        files.delete(key)
